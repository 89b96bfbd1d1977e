import { setupLanguages, t, api, b64urlToBytes, qrImage } from "/assets/i18n.js";

const $ = (id) => document.getElementById(id);
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");

// An ECDSA signature as WebCrypto wants it (r || s, 32 bytes each), from DER or already raw.
function rawSignature(sig) {
  if (sig.length === 64) return sig;
  let i = 2;
  const part = () => { i++; const len = sig[i++]; const v = sig.slice(i, i + len); i += len; return v.slice(-32); };
  const r = part(), s = part();
  const out = new Uint8Array(64);
  out.set(r, 32 - r.length); out.set(s, 64 - s.length);
  return out;
}

// The signed bytes are the server's `message`: they must name this request and this digest (and carry the
// organisation and a hash of the texts the phone showed), and the signature must verify over them.
async function verify(view, requestId, digest) {
  const message = b64urlToBytes(view.message);
  const lines = new TextDecoder().decode(message).split("\n");
  if (lines[0] !== "egov-mobile/sign-request/v2" || lines[1] !== requestId || lines[2] !== digest) return false;
  const key = await crypto.subtle.importKey("raw", b64urlToBytes(view.public_key), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, rawSignature(b64urlToBytes(view.signature)), message);
}

$("sign").addEventListener("click", async () => {
  const digest = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode($("text").value)));
  const req = await api("/v1/sign-requests", {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ digest, description: { kk: "Өтінішке қол қою", ru: "Подписание заявления", en: "Signing an application" } }),
  });
  $("qr").src = await qrImage(req.qr_url);
  $("qr").dataset.qrUrl = req.qr_url;
  $("pending").dataset.requestId = req.request_id;
  $("pending").hidden = false;
  const source = new EventSource(`/v1/sign-requests/${req.request_id}/events`);
  source.addEventListener("signed", async (e) => {
    source.close();
    const view = JSON.parse(e.data);
    const ok = await verify(view, req.request_id, digest);
    $("pending").hidden = true;
    $("done").hidden = false;
    $("signer").textContent = view.signer_name;
    $("digest").textContent = view.digest;
    $("signature").textContent = view.signature;
    const verdict = $("verdict");
    verdict.textContent = ok ? t("sign_done") : t("sig_invalid");
    verdict.className = "state " + (ok ? "ok" : "bad");
    verdict.dataset.verified = String(ok);
  });
  source.addEventListener("expired", () => { source.close(); $("pending").querySelector(".state").textContent = t("expired"); });
});
setupLanguages();
