// A client generated from the running server's /openapi.json (openapi-typescript -> schema.d.ts), used
// through openapi-fetch: tsc type-checks every call below against the document, then node runs them
// against the same server. A query parameter declared as a path parameter, a missing schema or a wrong
// body type fails the type check; a wrong answer fails the run.
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const base = process.env.EGOV_URL;
if (!base) throw new Error("EGOV_URL is not set");
const api = createClient<paths>({ baseUrl: base });
const phone = "+77010000001";

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
  console.log(`ok - ${what}`);
}

const cities = await api.GET("/v1/fines/cities");
check(cities.response.status === 200 && (cities.data ?? []).some((c) => c.en === "Almaty"), "the public list of cities names Almaty");

const bad = await api.POST("/v1/auth/otp/start", { body: { phone: "12345" } });
check(bad.response.status === 422 && bad.response.headers.get("content-type") === "application/problem+json", "a bad phone is a 422 problem");

const started = await api.POST("/v1/auth/otp/start", { body: { phone } });
check(started.response.status === 202 && typeof started.data?.flow_id === "string", "a sign-in code is sent");
let code: string | undefined;
for (let i = 0; i < 50 && !code; i++) {
  const outbox = await api.GET("/dev/sms-outbox", { params: { query: { phone } } });
  code = (outbox.data ?? []).map((m) => /\d{6}/.exec(m.text ?? "")?.[0]).find((c) => c !== undefined);
  if (!code) await new Promise((r) => setTimeout(r, 100));
}
check(code !== undefined, "the dev outbox holds the code");
const tokens = await api.POST("/v1/auth/otp/verify", { body: { flow_id: started.data!.flow_id, code: code! } });
check(tokens.response.status === 200 && typeof tokens.data?.access_token === "string", "the code signs in");

const auth = { Authorization: `Bearer ${tokens.data!.access_token}` };
const found = await api.GET("/v1/fines/search", {
  params: { query: { plate: "123ABC02", certificate: "AA 00456789", city: "алматы" } },
  headers: auth,
});
check(
  found.response.status === 200 && (found.data ?? []).some((f) => f.protocol_number === "DEMO-000003"),
  "a camera-fine search by query parameters finds the vehicle's fine",
);
const history = await api.GET("/v1/history", { params: { query: { limit: 5 } }, headers: auth });
check(history.response.status === 200 && Array.isArray(history.data) && history.data.length <= 5, "the history takes its limit as a query parameter");
