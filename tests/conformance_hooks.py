"""Schemathesis hooks for tests/conformance.sh, loaded through SCHEMATHESIS_HOOKS.

- Strategies for the API's own string formats, so that generated requests carry real-looking phones,
  IINs and digests (and sometimes the demo citizens' own) and reach past input validation into the
  services. The formats are annotations in /openapi.json (`format: kz-mobile-phone`, `kz-iin`,
  `sha256-digest`); the server's own parsers stay the judges of validity, and schemathesis still sends
  invalid values in its negative phase.
- Live identifiers: no answer in the schema hands over a share's secret or a website login's id (they
  reach a verifier or the app only through a QR code) or a signing request's id (only its website gets
  it), and the generator does not carry the citizen's fine and receipt ids from their lists into the
  routes that take them. So on every second generated case of those routes, the hooks put in a live
  one, freshly made or listed through the API, and keep the rest of the generated request. The
  redemptions, revocations, extensions, scans and approvals the fuzzer makes are then real ones. What the
  cases with live values were answered is written to EGOV_CONFORMANCE_LIVE_REPORT.
- Sessions and signatures: the routes that need a digital-signature session get the citizen's eds
  session; live signing requests are signed, every other time, with the device key that session signed
  in with; and three of four acquirer webhook bodies carry the dev secret's HMAC over their exact bytes,
  the live ones naming a bank-QR payment that awaits its confirmation."""

import base64
import collections
import datetime
import functools
import hashlib
import hmac
import json
import os
import subprocess
import uuid

import requests
import schemathesis
from hypothesis import strategies as st

# core/src/identity/phone.rs: MOBILE_PREFIXES.
MOBILE_PREFIXES = [700, 701, 702, 705, 706, 707, 708, 747, 760, 761, 762, 763, 764, 771, 775, 776, 777, 778, 785]
# The demo citizens (tests/harness/lib.rs, CITIZEN_1 and CITIZEN_2).
DEMO_PHONES = ["+77010000001", "+77010000002"]
DEMO_IINS = ["871008401427", "900315301237"]

WEIGHTS_FIRST = list(range(1, 12))
WEIGHTS_SECOND = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]


def check_digit(first_eleven):
    """core/src/identity/iin.rs: check_digit, or None when both passes give 10."""
    first = sum(d * w for d, w in zip(first_eleven, WEIGHTS_FIRST)) % 11
    if first != 10:
        return first
    second = sum(d * w for d, w in zip(first_eleven, WEIGHTS_SECOND)) % 11
    return None if second == 10 else second


def iin(born, century_sex, serial):
    first = [int(c) for c in born.strftime("%y%m%d")] + [century_sex] + [int(c) for c in f"{serial:04d}"]
    digit = check_digit(first)
    # An IIN whose check digit cannot exist gets a wrong one: still a useful rejection to exercise.
    return "".join(map(str, first)) + str(0 if digit is None else digit)


def phone(prefix, number, style):
    n = f"{number:07d}"
    return [f"+7{prefix}{n}", f"8{prefix}{n}", f"+7 {prefix} {n[:3]} {n[3:5]} {n[5:]}", f"8 ({prefix}) {n[:3]}-{n[3:]}"][style]


phones = st.one_of(
    st.sampled_from(DEMO_PHONES),
    st.builds(phone, st.sampled_from(MOBILE_PREFIXES), st.integers(0, 9_999_999), st.integers(0, 3)),
)
iins = st.one_of(
    st.sampled_from(DEMO_IINS),
    st.builds(iin, st.dates(), st.integers(1, 6), st.integers(0, 9999)),
)
digests = st.binary(max_size=64).map(lambda b: hashlib.sha256(b).hexdigest())

schemathesis.openapi.format("kz-mobile-phone", phones)
schemathesis.openapi.format("kz-iin", iins)
schemathesis.openapi.format("sha256-digest", digests)

# Set by tests/conformance.sh; a KeyError here means the hooks were loaded without it.
CITIZEN_TOKEN = os.environ["EGOV_CONFORMANCE_CITIZEN_TOKEN"]
AGENCY_TOKEN = os.environ["EGOV_CONFORMANCE_AGENCY_TOKEN"]
VERIFIER_TOKEN = os.environ["EGOV_CONFORMANCE_VERIFIER_TOKEN"]
BASE_URL = os.environ["EGOV_CONFORMANCE_URL"]
# The same citizen's full (eds) session, and the enrolled device key (a PEM file) it signed in with.
EDS_TOKEN = os.environ["EGOV_CONFORMANCE_EDS_TOKEN"]
DEVICE_ID = os.environ["EGOV_CONFORMANCE_DEVICE_ID"]
DEVICE_KEY = os.environ["EGOV_CONFORMANCE_DEVICE_KEY"]
# The routes that need a full session get EDS_TOKEN (server/src/http: the EdsAuth extractor).
EDS_ROUTES = {("POST", "/v1/me/phone/start"), ("POST", "/v1/me/phone/confirm"), ("POST", "/v1/sign-requests/{id}/sign")}
# The dev server's acquirer webhook secret (server/src/config.rs: EGOV_ACQUIRER_WEBHOOK_SECRET's default).
WEBHOOK = ("POST", "/v1/payments/webhook")
WEBHOOK_SECRET = b"dev-acquirer-webhook-secret"

HTTP = requests.Session()
# (route, status of the answer to a case with a live value) -> count, for the report.
REACHED = collections.Counter()
# Counters that alternate or rotate the live values: the cases of each LIVE route so far, the approvals
# given a check code, the ids handed out from each list.
SEEN = collections.Counter()
# The cases (by identity) that carry a live value.
LIVE_CASES = set()


def call(method, path, token=None, body=None, headers=None):
    """The JSON answer of a 200, 201 or 202, else None."""
    headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    r = HTTP.request(method, BASE_URL + path, headers=headers, json=body, timeout=10)
    return r.json() if r.status_code in (200, 201, 202) else None


@functools.cache
def document_id():
    """The citizen's national ID (every demo citizen has one); a KeyError or StopIteration here means the
    demo data changed under the suite."""
    documents = call("GET", "/v1/documents", CITIZEN_TOKEN)["documents"]
    return next(d["id"] for d in documents if d["kind"] == "national_id")


def fresh_share():
    return call("POST", f"/v1/documents/{document_id()}/shares", CITIZEN_TOKEN, {})


def fresh_login():
    """A login request of this service's own page (same origin as the public URL)."""
    return call("POST", "/v1/web-login/requests", headers={"Origin": BASE_URL})


def scanned_login():
    login = fresh_login()
    if login and call("POST", "/v1/web-login/scan", CITIZEN_TOKEN, {"qr_url": login["qr_url"]}):
        return login
    return None


def live_redeem(case):
    """A live share's secret in whichever of token, qr_url and short_code the generated body has (in
    qr_url when it has none of them); the verifier redeems (the owner's own token would be refused before
    the claim)."""
    if not isinstance(case.body, dict):
        return None
    share = fresh_share()
    if share is None:
        return None
    values = {"token": share["qr_url"].rsplit("/", 1)[-1], "qr_url": share["qr_url"], "short_code": share["short_code"]}
    keys = [k for k in values if isinstance(case.body.get(k), str)] or ["qr_url"]
    for k in keys:
        case.body[k] = values[k]
    return VERIFIER_TOKEN


def live_path(name, make, token=None):
    """Puts `make()` in the path parameter `name`; the case then goes with `token` (the citizen's if None)."""
    def put(case):
        made = make()
        if made is None:
            return None
        case.path_parameters = {**(case.path_parameters or {}), name: made}
        return token or CITIZEN_TOKEN
    return put


def live_scan(case):
    """A fresh website login's QR in the generated body's qr_url."""
    if not isinstance(case.body, dict) or not isinstance(case.body.get("qr_url"), str):
        return None
    login = fresh_login()
    if login is None:
        return None
    case.body["qr_url"] = login["qr_url"]
    return CITIZEN_TOKEN


def live_approve(case):
    """A scanned login; every other time with its right check code (else the generated one, usually wrong:
    the denial path)."""
    login = scanned_login()
    if login is None:
        return None
    case.path_parameters = {**(case.path_parameters or {}), "id": login["request_id"]}
    if isinstance(case.body, dict) and SEEN[("approve", "right code")] % 2 == 0:
        case.body["check_code"] = login["check_code"]
    SEEN[("approve", "right code")] += 1
    return CITIZEN_TOKEN


def share_id():
    share = fresh_share()
    return share and share["share_id"]


def used_share_id():
    share = fresh_share()
    if share and call("POST", "/v1/shares/redeem", VERIFIER_TOKEN, {"qr_url": share["qr_url"]}):
        return share["share_id"]
    return None


def login_id():
    login = scanned_login()
    return login and login["request_id"]


def fresh_sign_request():
    """A website's fresh signing request."""
    return call("POST", "/v1/sign-requests", headers={"Origin": BASE_URL}, body={
        "digest": hashlib.sha256(b"conformance").hexdigest(),
        "description": {"kk": "Келісімшарт", "ru": "Договор", "en": "Contract"},
    })


def sign_request_id():
    made = fresh_sign_request()
    return made and made["request_id"]


def device_signature(message_b64):
    """The enrolled device key's signature (DER, base64url) over the base64url message, by openssl."""
    message = base64.urlsafe_b64decode(message_b64 + "=" * (-len(message_b64) % 4))
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", DEVICE_KEY], input=message,
                         capture_output=True, check=True).stdout
    return base64.urlsafe_b64encode(der).rstrip(b"=").decode()


def live_sign(case):
    """A fresh signing request; every other time the body carries the device key's id and its real
    signature over the request's message (else the generated ones: the refusals)."""
    made = fresh_sign_request()
    view = made and call("GET", f"/v1/sign-requests/{made['request_id']}", CITIZEN_TOKEN)
    if view is None:
        return None
    case.path_parameters = {**(case.path_parameters or {}), "id": made["request_id"]}
    if isinstance(case.body, dict) and SEEN[("sign", "real signature")] % 2 == 0:
        case.body["key_id"] = DEVICE_ID
        case.body["signature"] = device_signature(view["message"])
    SEEN[("sign", "real signature")] += 1
    return EDS_TOKEN


def live_webhook(case):
    """A bank-QR payment of one of the citizen's unpaid fines, awaiting the acquirer: its id in the body,
    with a status the acquirer sends, so the confirmation reaches the settlement."""
    fine = listed_id("/v1/fines?status=unpaid")
    if fine is None or not isinstance(case.body, dict):
        return None
    payment = call("POST", f"/v1/fines/{fine}/payments", CITIZEN_TOKEN, {"method": "bank_qr"},
                   {"Idempotency-Key": str(uuid.uuid4())})
    if payment is None or payment.get("status") != "pending":
        return None
    case.body["payment_id"] = payment["payment_id"]
    # A confirmation the acquirer could send: approved and declined in turn unless one was generated.
    if case.body.get("status") not in ("approved", "declined"):
        case.body["status"] = ("approved", "declined")[SEEN[("webhook", "status")] % 2]
        SEEN[("webhook", "status")] += 1
    return CITIZEN_TOKEN


def sign_webhook(case):
    """Sends the body as the exact bytes it is signed over, with the acquirer's HMAC-SHA256 in
    X-Acquirer-Signature, so generated confirmations get past the signature check."""
    if case.body is None or isinstance(case.body, (dict, list, str, int, float, bool)):
        case.body = json.dumps(case.body).encode()
    if isinstance(case.body, bytes):
        signature = hmac.new(WEBHOOK_SECRET, case.body, hashlib.sha256).hexdigest()
        case.headers = {**(case.headers or {}), "X-Acquirer-Signature": signature}


def listed_id(path):
    """One of the ids the citizen's list at `path` holds, in turn (None if it is empty)."""
    items = call("GET", path, CITIZEN_TOKEN) or []
    SEEN[("listed", path)] += 1
    return items[SEEN[("listed", path)] % len(items)]["id"] if items else None


def fresh_fine_id():
    """A fine a state body registers now, under a new protocol number, for the suite's citizen (so that
    what the fuzzer pays at a bank is never one of the fines the other live routes use)."""
    yesterday = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=5, days=-1)).date()
    made = call("POST", "/v1/agency/fines", AGENCY_TOKEN, {
        "protocol_number": f"CONF-{uuid.uuid4().hex[:12]}", "offender_iin": DEMO_IINS[0], "article": "592-1",
        "description": "Speeding by 10-20 km/h", "amount_mci": 5, "case_opened_on": yesterday.isoformat(),
        "recorded_by": "officer", "notice_date": yesterday.isoformat(), "delivered_on": None,
        "vehicle_plate": "777AAA02", "city": "Astana", "discount_excluded": None,
    })
    return made and made["id"]


def unpaid_fine_id():
    return listed_id("/v1/fines?status=unpaid") or listed_id("/v1/fines")


LIVE = {
    ("POST", "/v1/shares/redeem"): live_redeem,
    ("POST", "/v1/documents/{id}/shares"): live_path("id", document_id),
    ("GET", "/v1/shares/{id}"): live_path("id", share_id),
    ("DELETE", "/v1/shares/{id}"): live_path("id", share_id),
    ("GET", "/v1/shares/{id}/qr.svg"): live_path("id", share_id),
    ("GET", "/v1/shares/{id}/qr.png"): live_path("id", share_id),
    ("POST", "/v1/shares/{id}/extend"): live_path("id", share_id),
    ("GET", "/v1/shared-copies/{share_id}/status"): live_path("share_id", used_share_id, VERIFIER_TOKEN),
    ("POST", "/v1/web-login/scan"): live_scan,
    ("POST", "/v1/web-login/requests/{id}/approve"): live_approve,
    ("POST", "/v1/web-login/requests/{id}/deny"): live_path("id", login_id),
    ("GET", "/v1/sign-requests/{id}"): live_path("id", sign_request_id),
    ("POST", "/v1/sign-requests/{id}/sign"): live_sign,
    WEBHOOK: live_webhook,
    ("GET", "/v1/fines/{id}"): live_path("id", lambda: listed_id("/v1/fines")),
    ("GET", "/v1/agency/fines/{id}"): live_path("id", lambda: listed_id("/v1/fines"), AGENCY_TOKEN),
    ("POST", "/v1/agency/fines/{id}/external-payment"): live_path("id", fresh_fine_id, AGENCY_TOKEN),
    ("POST", "/v1/fines/{id}/payments"): live_path("id", unpaid_fine_id),
    ("GET", "/v1/receipts/{id}"): live_path("id", lambda: listed_id("/v1/receipts")),
    ("GET", "/v1/receipts/{id}/qr.svg"): live_path("id", lambda: listed_id("/v1/receipts")),
}


@schemathesis.hook
def before_call(context, case, kwargs):
    """Every request carries a bearer token (tests/conformance.sh obtains them): the state bodies' routes a
    state body's, so they are exercised past the scope check, and every other route the citizen's. On every
    second case of a route in LIVE, a live identifier replaces the generated one (and a live redemption goes
    with the verifier's token)."""
    route = (case.method.upper(), case.operation.path)
    if case.operation.path.startswith("/v1/agency/"):
        token = AGENCY_TOKEN
    else:
        token = EDS_TOKEN if route in EDS_ROUTES else CITIZEN_TOKEN
    live = LIVE.get(route)
    if live is not None:
        SEEN[route] += 1
        live_token = live(case) if SEEN[route] % 2 == 0 else None
        if live_token is not None:
            token = live_token
            LIVE_CASES.add(id(case))
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    # Three of every four webhook cases are signed; the fourth keeps its generated signature header.
    if route == WEBHOOK and SEEN[route] % 4 != 3:
        sign_webhook(case)


@schemathesis.hook
def after_call(context, case, response):
    if id(case) in LIVE_CASES:
        LIVE_CASES.discard(id(case))
        REACHED[(f"{case.method.upper()} {case.operation.path}", response.status_code)] += 1
        # Rewritten after every live case: schemathesis does not end through Python's exit handlers.
        with open(os.environ["EGOV_CONFORMANCE_LIVE_REPORT"], "w") as out:
            json.dump([[route, status, n] for (route, status), n in sorted(REACHED.items())], out)
