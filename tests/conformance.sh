#!/usr/bin/env bash
# API conformance under hostile input: schemathesis (PyPI) generates requests from /openapi.json of a
# running dev server, valid and invalid, and fails on any 5xx answer and on any answer whose body does not
# match the schema /openapi.json declares for its status (a documented enum, field or type that the server
# does not send). A signed-in citizen's token is
# sent to every route but the state bodies', which get a state body's token, and the three that need a
# digital-signature session (phone change, signing), which get the same citizen's eds session, signed in
# with a device key made here; so all are exercised past authentication (logout and session revocation
# are left out: they would end that session half-way). The acquirer's webhook bodies are signed with the
# dev server's webhook secret (three cases in four), so confirmations reach the settlement.
# Phones, IINs and digests are generated valid-looking by tests/conformance_hooks.py, so requests reach
# past validation, and every second case of the routes that take a share's secret or id, a website
# login's or signing request's id, a fine's, receipt's or bank-QR payment's id carries a live one, so
# redemptions, scans, approvals, signatures and payment confirmations are real. Bounded by EXAMPLES per
# operation (default 40) and a fixed seed, so a failure reproduces.
#   bash tests/conformance.sh            (after cargo build -p egov-server)
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${EGOV_CONFORMANCE_EXAMPLES:-40}
SEED=${EGOV_CONFORMANCE_SEED:-20261123}
command -v openssl >/dev/null || { apt-get install -y -qq openssl >/dev/null 2>&1 || true; }
command -v openssl >/dev/null || { echo "conformance: openssl is needed for the device key and could not be installed" >&2; exit 1; }
command -v schemathesis >/dev/null || pip install -q schemathesis >/dev/null 2>&1 \
  || { echo "pip could not install schemathesis" >&2; exit 1; }
source tests/dev-server.sh
with_dev_server
URL=$DEV_URL

# field NAME: the top-level field NAME of the JSON object on stdin.
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# client_token ID: a demo organisation's access token (its secret is "ID-secret").
client_token() {
  curl -sf "$URL/v1/oauth/token" -d grant_type=client_credentials -d client_id="$1" -d client_secret="$1-secret" \
    | field access_token
}

# post PATH TOKEN BODY: the JSON answer of a POST, with the bearer TOKEN unless it is empty (curl fails on a
# 4xx or 5xx).
post() { curl -sf "$URL$1" ${2:+-H "Authorization: Bearer $2"} -H 'content-type: application/json' -d "$3"; }

# A citizen session for the authenticated routes: the SMS code comes from the dev outbox.
flow=$(post /v1/auth/otp/start "" '{"phone":"+77010000001"}' | field flow_id)
sleep 1
code=$(curl -sf "$URL/dev/sms-outbox?phone=%2B77010000001" \
  | python3 -c 'import json,re,sys; print(re.search(r"\d{6}", json.load(sys.stdin)[0]["text"]).group())')
tokens=$(post /v1/auth/otp/verify "" "{\"flow_id\":\"$flow\",\"code\":\"$code\"}")
token=$(field access_token <<<"$tokens")

curl -sf "$URL/v1/me" -H "Authorization: Bearer $token" >/dev/null || { echo "conformance: no citizen session" >&2; exit 1; }
# A full (eds) session of the same citizen, for the routes that need one (phone change, signing): a device
# key made with openssl is enrolled, and signs the sign-in challenge; tests/conformance_hooks.py signs
# live signing requests with the same key.
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
unb64url() { local s; s=$(tr -- '-_' '+/' <<<"$1"); while [ $((${#s} % 4)) != 0 ]; do s="$s="; done; base64 -d <<<"$s"; }
device_sign() { unb64url "$1" | openssl dgst -sha256 -sign "$WORK/device.pem" | b64url; }
eds_session() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/device.pem"
  local public enrolment device challenge
  public=$(openssl ec -in "$WORK/device.pem" -pubout -outform DER 2>/dev/null | tail -c 65 | b64url)
  # Identity re-proofing (the dev server's demo verifier accepts any evidence), then the key's hold is
  # waited out on the dev clock.
  enrolment=$(post /v1/me/devices/enrolment "$token" '{"method":"identity","evidence":"demo-liveness-session"}')
  device=$(post /v1/me/devices "$token" "{\"enrolment_token\":\"$(field enrolment_token <<<"$enrolment")\",
    \"public_key\":\"$public\",\"signature\":\"$(device_sign "$(field message <<<"$enrolment")")\",\"device_name\":\"Conformance\"}")
  field device_id <<<"$device" >"$WORK/device.id"
  post /dev/clock/advance "" "{\"seconds\":$(( $(field hold_seconds <<<"$enrolment") + 1 ))}" >/dev/null
  challenge=$(post /v1/auth/eds/challenge "" '{"iin":"871008401427"}')
  post /v1/auth/eds/verify "" "{\"challenge_id\":\"$(field challenge_id <<<"$challenge")\",
    \"key_id\":\"$(cat "$WORK/device.id")\",\"signature\":\"$(device_sign "$(field message <<<"$challenge")")\"}" \
    | field access_token
}
EGOV_CONFORMANCE_EDS_TOKEN=$(eds_session) || { echo "conformance: no eds session" >&2; exit 1; }
EGOV_CONFORMANCE_DEVICE_ID=$(cat "$WORK/device.id")
# The hold moved the clock a day on: the citizen's access token has expired, its session has not.
token=$(post /v1/auth/refresh "" "{\"refresh_token\":\"$(field refresh_token <<<"$tokens")\"}" | field access_token)
# A state body's token (scopes agency:fines, agency:documents): tests/conformance_hooks.py sends it to the
# /v1/agency/ routes, the citizen's to every other route.
EGOV_CONFORMANCE_AGENCY_TOKEN=$(client_token demo-police) || { echo "conformance: no state body token" >&2; exit 1; }
# A verifier's token (scope share:redeem): the hooks redeem live shares with it.
EGOV_CONFORMANCE_VERIFIER_TOKEN=$(client_token demo-verifier) || { echo "conformance: no verifier token" >&2; exit 1; }
export EGOV_CONFORMANCE_AGENCY_TOKEN EGOV_CONFORMANCE_VERIFIER_TOKEN EGOV_CONFORMANCE_CITIZEN_TOKEN=$token \
  EGOV_CONFORMANCE_EDS_TOKEN EGOV_CONFORMANCE_DEVICE_ID EGOV_CONFORMANCE_DEVICE_KEY=$WORK/device.pem
export EGOV_CONFORMANCE_URL=$URL EGOV_CONFORMANCE_LIVE_REPORT=$WORK/live.json
status=0
# Strategies for the API's own formats (phones, IINs, digests): tests/conformance_hooks.py.
PYTHONPATH="$PWD/tests${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=conformance_hooks schemathesis run "$URL/openapi.json" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "$EXAMPLES" --seed "$SEED" \
  --request-timeout 10 \
  --exclude-path-regex '(/(stream|events)$)|(^/dev/)|(^/v1/auth/logout$)|(^/v1/me/sessions/[{]id[}]$)' \
  --suppress-health-check all \
  || status=$?
# The server's own count of 5xx answers (Prometheus, by route and status), whatever schemathesis saw.
curl -sf "$URL/metrics" | grep '^http_requests_total' >"$WORK/metrics.txt" || true
fives=$(awk '/status="5[0-9][0-9]"/ {n += $NF} END {print n + 0}' "$WORK/metrics.txt")
total=$(awk '{n += $NF} END {print n + 0}' "$WORK/metrics.txt")
echo "conformance: the server answered $total requests, $fives of them with a 5xx status"
# What the cases with live identifiers were answered (tests/conformance_hooks.py, LIVE), by route and status.
# They must include real redemptions, signatures and acquirer confirmations, or the claim, the device-key
# check and the settlement were never fuzzed.
live=$(python3 -c '
import collections, json, sys
rows = json.load(open(sys.argv[1]))
by_route = collections.defaultdict(list)
for route, status, n in rows:
    by_route[route].append(f"{status}×{n}")
for route, answers in sorted(by_route.items()):
    print(f"conformance: live {route}:", " ".join(answers))
' "$WORK/live.json") || live=
echo "${live:-conformance: no live report}"
for route in /v1/shares/redeem '/v1/sign-requests/{id}/sign' /v1/payments/webhook; do
  if ! grep -F "live POST $route: " <<<"$live" | grep -q ' 200×'; then
    echo "conformance: no generated POST $route was answered 200 with a live value" >&2
    status=1
  fi
done
if [ "$status" != 0 ] || [ "$fives" != 0 ]; then
  grep 'status="5' "$WORK/metrics.txt" || true
  grep '"level":"ERROR"' "$WORK/server.log" | head -20 || true
  echo "conformance: FAILED" >&2
  exit 1
fi
echo "conformance: no 5xx"
