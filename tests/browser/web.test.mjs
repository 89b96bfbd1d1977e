// The web pages in a real browser: Debian's Chromium driven by playwright-core, against the real
// egov-server binary. The phone's side is played through the HTTP API, as the app does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import crypto from "node:crypto";
import { chromium } from "playwright-core";

const ROOT = new URL("../..", import.meta.url).pathname;
const BIN = process.env.EGOV_SERVER_BIN || join(ROOT, "target/debug/egov-server");
const ARTIFACTS = join(ROOT, "tests/browser/artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

let server, base, browser;

before(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "egov-browser-"));
  server = spawn(BIN, ["--bind", "127.0.0.1:0", "--data-dir", dataDir], { env: { ...process.env, RUST_LOG: "warn" }, stdio: ["ignore", "pipe", "inherit"] });
  base = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("egov-server did not start: " + out)), 60000);
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server.on("exit", (code) => reject(new Error(`egov-server exited ${code}: ${out}`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
});

async function api(path, options = {}) {
  const r = await fetch(base + path, options);
  const body = (r.headers.get("content-type") || "").includes("json") ? await r.json() : await r.text();
  if (!r.ok) throw new Error(`${options.method || "GET"} ${path}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

const json = (method, body, token) => ({
  method,
  headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}) },
  body: JSON.stringify(body),
});

/** The phone signs in by SMS code (read from the dev outbox). */
async function phoneLogin(phone) {
  const seen = new Set((await api("/dev/sms-outbox?phone=" + encodeURIComponent(phone))).map((m) => m.id));
  const flow = await api("/v1/auth/otp/start", json("POST", { phone }));
  let sms;
  for (let i = 0; i < 100 && !sms; i++) {
    sms = (await api("/dev/sms-outbox?phone=" + encodeURIComponent(phone))).find((m) => !seen.has(m.id) && m.kind === "otp");
    if (!sms) await new Promise((r) => setTimeout(r, 50));
  }
  const code = sms.text.match(/\d{6}/)[0];
  return (await api("/v1/auth/otp/verify", json("POST", { flow_id: flow.flow_id, code }))).access_token;
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** A device key like Android Keystore's: P-256, DER signatures. */
function device() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return {
    publicKey: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    sign: (messageB64) => b64url(crypto.sign("sha256", Buffer.from(messageB64, "base64url"), { key: privateKey, dsaEncoding: "der" })),
  };
}

test("the login page shows a live QR and becomes signed in when the phone approves", async () => {
  const page = await browser.newPage();
  await page.goto(base + "/login?lang=en");
  // The QR drawn from the create answer is the one to scan: it stays valid for its 60 s.
  await page.waitForFunction(() => (document.getElementById("qr").dataset.qrUrl || "").includes("/ql/"));
  await page.waitForFunction(() => document.getElementById("qr").src.startsWith("blob:"));
  await page.screenshot({ path: join(ARTIFACTS, "login-waiting.png"), fullPage: true });
  const qrUrl = await page.getAttribute("#qr", "data-qr-url");
  const checkCode = Number(await page.textContent("#check-code"));
  assert.match(qrUrl, /\/ql\/[\w-]{20,}$/);
  assert.ok((await page.getAttribute("#qr", "src")).startsWith("blob:"), "the QR's secret is in no image URL");

  const phone = await phoneLogin("+77010000001");
  const shown = await api("/v1/web-login/scan", json("POST", { qr_url: qrUrl }, phone));
  assert.equal(shown.site, "egov.kz");
  assert.equal(shown.check_codes, undefined, "the phone offers no choices: the citizen types the code");
  assert.equal(shown.browser, "Chrome");
  await page.waitForFunction(() => document.getElementById("state").dataset.i18n === "scanned");
  await api(`/v1/web-login/requests/${shown.request_id}/approve`, json("POST", { check_code: checkCode }, phone));

  await page.waitForSelector("#signed-in:not([hidden])", { timeout: 5000 });
  assert.match(await page.textContent("#who"), /Айгерим Ахметова/);
  await page.screenshot({ path: join(ARTIFACTS, "login-signed-in.png"), fullPage: true });
  await page.close();
});

test("the signing page gets the phone's signature and verifies it in the browser", async () => {
  // The phone's key: enrolled by identity re-proofing, and its hold waited out on the dev clock, before
  // the website asks (a signing request lives minutes, the hold a day).
  const otp = await phoneLogin("+77010000002");
  const enrolment = await api("/v1/me/devices/enrolment", json("POST", { method: "identity", evidence: "demo-liveness-session" }, otp));
  const key = device();
  const enrolled = await api("/v1/me/devices", json("POST", { enrolment_token: enrolment.enrolment_token, public_key: key.publicKey, signature: key.sign(enrolment.message), device_name: "Browser test phone" }, otp));
  await api("/dev/clock/advance", json("POST", { seconds: enrolment.hold_seconds + 1 }));

  const page = await browser.newPage();
  await page.goto(base + "/sign-demo");
  await page.click("#sign");
  await page.waitForFunction(() => (document.getElementById("qr").dataset.qrUrl || "").includes("/qs/"));
  await page.screenshot({ path: join(ARTIFACTS, "sign-waiting.png"), fullPage: true });
  const requestId = await page.getAttribute("#pending", "data-request-id");

  const challenge = await api("/v1/auth/eds/challenge", json("POST", { iin: "900315301237" }));
  const eds = await api("/v1/auth/eds/verify", json("POST", { challenge_id: challenge.challenge_id, key_id: enrolled.device_id, signature: key.sign(challenge.message) }));
  const request = await api(`/v1/sign-requests/${requestId}`, { headers: { authorization: "Bearer " + eds.access_token } });
  await api(`/v1/sign-requests/${requestId}/sign`, json("POST", { key_id: enrolled.device_id, signature: key.sign(request.message) }, eds.access_token));

  await page.waitForSelector("#done:not([hidden])", { timeout: 5000 });
  assert.equal(await page.getAttribute("#verdict", "data-verified"), "true", "WebCrypto verified the DER signature");
  assert.match(await page.textContent("#signer"), /Жұмабаев/);
  await page.screenshot({ path: join(ARTIFACTS, "sign-verified.png"), fullPage: true });
  await page.close();
});

/** The verifier desk (`/verify`) in a new page, signed in as the demo bank's client. */
async function verifierDesk() {
  const page = await browser.newPage();
  await page.goto(base + "/verify");
  await page.fill("#client-id", "demo-verifier");
  await page.fill("#client-secret", "demo-verifier-secret");
  await page.click("#org-login");
  await page.waitForSelector("#check:not([hidden])");
  return page;
}

test("the verifier page redeems a fresh short code and shows the verified document", async () => {
  const owner = await phoneLogin("+77010000001");
  const docs = await api("/v1/documents", { headers: { authorization: "Bearer " + owner } });
  const licence = docs.documents.find((d) => d.kind === "driving_licence");
  const share = await api(`/v1/documents/${licence.id}/shares`, json("POST", {}, owner));

  const page = await verifierDesk();
  await page.fill("#code", share.short_code);
  await page.click('nav.langs button[data-lang="ru"]');
  await page.click("#verify");
  await page.waitForSelector("#result:not([hidden])", { timeout: 5000 });
  assert.equal(await page.getAttribute("#signature", "data-valid"), "true", "the copy's ES256 signature verifies against the JWKS");
  assert.equal(await page.getAttribute("#status", "data-status"), "valid");
  assert.equal(await page.textContent('dd[data-field="iin"]'), "871008401427");
  assert.equal(await page.textContent('dt[data-label="iin"]'), "ИИН", "field labels in the chosen language");
  assert.ok(await page.isVisible("#photo"));
  await page.screenshot({ path: join(ARTIFACTS, "verify-document.png"), fullPage: true });

  // The field is cleared for the next code; the same code typed again is refused and says why.
  assert.equal(await page.inputValue("#code"), "", "the field is cleared after a check");
  await page.fill("#code", share.short_code);
  await page.click("#verify");
  await page.waitForSelector("#error:not([hidden])");
  assert.match(await page.textContent("#error"), /already used/);
  await page.close();
});

test("a double click on the verifier's button redeems the code once and keeps the document on screen", async () => {
  const owner = await phoneLogin("+77010000002");
  const docs = await api("/v1/documents", { headers: { authorization: "Bearer " + owner } });
  const id = docs.documents.find((d) => d.kind === "national_id");
  const share = await api(`/v1/documents/${id.id}/shares`, json("POST", {}, owner));

  const page = await verifierDesk();
  await page.fill("#code", share.short_code);
  await page.dblclick("#verify");
  await page.waitForSelector("#result:not([hidden])", { timeout: 5000 });
  // Long enough for a second request to have come back and replaced the result, had one been sent.
  await page.waitForTimeout(1500);
  assert.ok(await page.isVisible("#result"), "the document stays on screen");
  assert.ok(await page.isHidden("#error"), "no 'already used' error from a second request");
  assert.equal(await page.textContent('dd[data-field="iin"]'), "900315301237");
  // The citizen is told of one view and of no refused attempt.
  const history = await api("/v1/history", { headers: { authorization: "Bearer " + owner } });
  const mine = history.filter((e) => e.detail && e.detail.share_id === share.share_id);
  assert.equal(mine.filter((e) => e.kind === "share_refused").length, 0, "no refused second attempt in the owner's history");
  await page.screenshot({ path: join(ARTIFACTS, "verify-double-click.png"), fullPage: true });
  await page.close();
});

test("a phone camera landing explains the code and consumes nothing", async () => {
  const page = await browser.newPage();
  const response = await page.goto(base + "/s/AAAAAAAAAAAAAAAAAAAAAAAA");
  assert.equal(response.status(), 200);
  assert.equal(response.headers()["x-frame-options"], "DENY");
  assert.equal(response.headers()["referrer-policy"], "no-referrer");
  await page.click('nav.langs button[data-lang="ru"]');
  assert.match(await page.textContent("main"), /одноразовый код документа/);
  await page.screenshot({ path: join(ARTIFACTS, "landing-share.png"), fullPage: true });
  await page.close();
});
