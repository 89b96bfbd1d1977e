import { setupLanguages, t, api, qrImage } from "/assets/i18n.js";

let source;
const $ = (id) => document.getElementById(id);

// `fresh` marks a QR that came from the event stream (the next one, 60 s after the first). The QR's
// secret goes to the image route in a POST body, never in a URL.
async function showQr(url, fresh) {
  $("qr").src = await qrImage(url);
  $("qr").dataset.qrUrl = url;
  $("qr").dataset.fresh = fresh ? "1" : "0";
}

function setState(key, cls) {
  const s = $("state");
  s.dataset.i18n = key;
  s.textContent = t(key);
  s.className = "state " + (cls || "");
}

async function start() {
  if (source) source.close();
  $("again").hidden = true;
  setState("waiting");
  const req = await api("/v1/web-login/requests", { method: "POST" });
  $("check-code").textContent = req.check_code;
  $("login-box").dataset.requestId = req.request_id;
  await showQr(req.qr_url, false);
  source = new EventSource(`/v1/web-login/requests/${req.request_id}/events`);
  source.addEventListener("qr", (e) => showQr(JSON.parse(e.data).qr_url, true));
  source.addEventListener("scanned", () => setState("scanned"));
  source.addEventListener("approved", async (e) => {
    source.close();
    const tokens = await api("/v1/web-login/exchange", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ login_code: JSON.parse(e.data).login_code }),
    });
    const me = await api("/v1/me", { headers: { authorization: "Bearer " + tokens.access_token } });
    $("who").textContent = `${me.given_name} ${me.surname}`;
    $("login-box").hidden = true;
    $("signed-in").hidden = false;
  });
  for (const end of ["denied", "expired"]) {
    source.addEventListener(end, () => { source.close(); setState(end, "bad"); $("again").hidden = false; });
  }
}

$("again").addEventListener("click", start);
setupLanguages();
start().catch((e) => setState("expired", "bad"));
