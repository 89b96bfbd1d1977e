import { setupLanguages, t, api, b64urlToBytes, lang } from "/assets/i18n.js";

const $ = (id) => document.getElementById(id);
let token;

async function verifyJws(jws) {
  const [h, p, s] = jws.split(".");
  const header = JSON.parse(new TextDecoder().decode(b64urlToBytes(h)));
  const jwks = await api("/.well-known/jwks.json");
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || header.alg !== "ES256" || header.typ !== "egov-document-copy+jws") return { ok: false };
  const key = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, b64urlToBytes(s), new TextEncoder().encode(`${h}.${p}`));
  return { ok, payload: JSON.parse(new TextDecoder().decode(b64urlToBytes(p))) };
}

function show(value) {
  if (value && typeof value === "object" && "kk" in value) return value[lang()];
  if (Array.isArray(value)) return value.map(show).join(", ");
  if (value === true) return "✓";
  if (value === false) return "✗";
  return value == null ? "—" : String(value);
}

$("org-login").addEventListener("click", async () => {
  $("org-error").hidden = true;
  try {
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: $("client-id").value, client_secret: $("client-secret").value });
    token = (await api("/v1/oauth/token", { method: "POST", body: form })).access_token;
    $("org").hidden = true;
    $("check").hidden = false;
  } catch (e) {
    $("org-error").textContent = e.message;
    $("org-error").hidden = false;
  }
});

// One request per code: a code redeems once, so a second click (a double click, an impatient clerk) must
// not send it again; its "already used" would replace the document the first one got.
let checking = false;
$("verify").addEventListener("click", async () => {
  if (checking) return;
  checking = true;
  const button = $("verify");
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    await check();
  } finally {
    checking = false;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
});

async function check() {
  $("error").hidden = true;
  $("result").hidden = true;
  const input = $("code").value.trim();
  const body = input.startsWith("http") ? { qr_url: input } : { short_code: input };
  try {
    const got = await api("/v1/shares/redeem", { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer " + token }, body: JSON.stringify(body) });
    const { ok, payload } = await verifyJws(got.copy);
    const sig = $("signature");
    sig.textContent = ok ? t("sig_valid") : t("sig_invalid");
    sig.className = "badge " + (ok ? "ok" : "bad");
    sig.dataset.valid = String(ok);
    const status = await api(`/v1/shared-copies/${payload.share_id}/status`, { headers: { authorization: "Bearer " + token } });
    const st = $("status");
    const verdicts = { valid: "doc_valid", suspended: "doc_suspended" };
    st.textContent = t(verdicts[status.document_status] || "doc_revoked");
    st.className = "badge " + (status.document_status === "valid" ? "ok" : "bad");
    st.dataset.status = status.document_status;
    const dl = $("fields");
    dl.replaceChildren();
    const title = document.createElement("dt"); title.textContent = "";
    const name = document.createElement("dd"); name.textContent = show(payload.document.title);
    dl.append(title, name);
    for (const [k, v] of Object.entries(payload.disclosed)) {
      const label = got.labels && got.labels[k] ? got.labels[k][lang()] : k.replace(/_/g, " ");
      const dt = document.createElement("dt"); dt.textContent = label; dt.dataset.label = k;
      const dd = document.createElement("dd"); dd.textContent = show(v); dd.dataset.field = k;
      dl.append(dt, dd);
    }
    const photo = $("photo");
    photo.hidden = !payload.photo;
    if (payload.photo) photo.src = "data:image/jpeg;base64," + payload.photo;
    $("viewer").textContent = `${payload.viewer.name}, ${new Date(payload.viewed_at).toLocaleString()}`;
    $("result").hidden = false;
    // Ready for the next code; this one is spent.
    $("code").value = "";
  } catch (e) {
    $("error").textContent = e.message;
    $("error").hidden = false;
  }
}
setupLanguages();
