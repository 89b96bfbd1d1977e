"""Schemathesis hooks for tests/conformance.sh: strategies for the API's own string formats, so that
generated requests carry real-looking phones, IINs and digests (and sometimes the demo citizens' own)
and reach past input validation into the services. Loaded through SCHEMATHESIS_HOOKS.

The formats are annotations in /openapi.json (`format: kz-mobile-phone`, `kz-iin`, `sha256-digest`);
the server's own parsers stay the judges of validity, and schemathesis still sends invalid values in
its negative phase."""

import hashlib
import os

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


@schemathesis.hook
def before_call(context, case, kwargs):
    """Every request carries a bearer token (tests/conformance.sh obtains both): the state bodies' routes a
    state body's, so they are exercised past the scope check, and every other route the citizen's."""
    token = AGENCY_TOKEN if case.operation.path.startswith("/v1/agency/") else CITIZEN_TOKEN
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
