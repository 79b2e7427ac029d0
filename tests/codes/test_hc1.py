"""Our own HC1 vectors (spec §7): ES256 and PS256, kid placement, key usage, exp, decoding."""

from __future__ import annotations

import zlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codes import Outcome, TokenError, TrustStore, base45_encode, verify
from tests.codes.helpers import DROP, HC1_ES_KEY, HC1_NOW, cert_kid, dsc, hc1

NOW = HC1_NOW


@pytest.fixture(scope="module")
def es_cert() -> Any:
    return dsc(HC1_ES_KEY)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _v(text: str, *certs: Any, now: int = NOW) -> tuple[str, str]:
    got = verify(text, TrustStore(certificates=certs), None, now)
    assert got.format == "HC1"
    return str(got.outcome), got.reason


def test_es256_pass_with_details(es_cert: Any) -> None:
    v = verify(hc1(HC1_ES_KEY, es_cert), TrustStore(certificates=[es_cert]), None, NOW)
    assert (v.outcome, v.reason) == (Outcome.PASS, "ok")
    assert v.cert_type == "vaccination" and v.issuer == "DE"
    assert v.name_masked == "E***a M********u"
    assert v.kid == cert_kid(es_cert).hex() and v.expires_at == NOW + 86_400


def test_ps256_pass(rsa_key: rsa.RSAPrivateKey) -> None:
    cert = dsc(rsa_key)
    assert _v(hc1(rsa_key, cert, cert_type="t"), cert) == ("pass", "ok")


def test_certificate_as_pem_or_der(es_cert: Any) -> None:
    text = hc1(HC1_ES_KEY, es_cert)
    for data in (es_cert.public_bytes(Encoding.DER), es_cert.public_bytes(Encoding.PEM)):
        assert _v(text, data) == ("pass", "ok")


def test_kid_in_unprotected_header(es_cert: Any) -> None:
    assert _v(hc1(HC1_ES_KEY, es_cert, kid_protected=False), es_cert) == ("pass", "ok")


def test_order_of_failures(es_cert: Any) -> None:
    other = ec.derive_private_key(0xDCC_0002, ec.SECP256R1())
    assert _v(hc1(HC1_ES_KEY, es_cert, alg=-35), es_cert) == ("invalid", "unsupported_alg")
    assert _v(hc1(HC1_ES_KEY, es_cert, alg=-8), es_cert) == ("invalid", "unsupported_alg")
    assert _v(hc1(HC1_ES_KEY, es_cert, kid=b"\0" * 8), es_cert) == ("invalid", "unknown_key")
    assert _v(hc1(HC1_ES_KEY, es_cert)) == ("invalid", "unknown_key")
    assert _v(hc1(other, es_cert), es_cert) == ("invalid", "bad_signature")
    # a PS256 header over an EC certificate cannot verify
    assert _v(hc1(HC1_ES_KEY, es_cert, alg=-37), es_cert) == ("invalid", "bad_signature")


def test_several_certificates_share_a_kid(es_cert: Any) -> None:
    other = ec.derive_private_key(0xDCC_0002, ec.SECP256R1())
    other_cert = dsc(other)
    text = hc1(HC1_ES_KEY, es_cert, kid=cert_kid(other_cert))
    # Only other_cert has the kid -> its key does not verify.
    assert _v(text, other_cert) == ("invalid", "bad_signature")
    # Both share a kid when listed under the same one: build a store and patch the kid.
    store = TrustStore(certificates=[other_cert, es_cert])
    from codes._trust import TrustedCert

    shared = tuple(TrustedCert(cert_kid(other_cert), c.certificate) for c in store.certificates)
    object.__setattr__(store, "_certs", shared)
    assert str(verify(text, store, None, NOW).reason) == "ok"


@pytest.mark.parametrize(
    ("types", "cert_type", "expected"),
    [
        ((), "v", "ok"),  # names none of the three: may sign every type
        (("vaccination",), "v", "ok"),
        (("test",), "t", "ok"),
        (("recovery",), "r", "ok"),
        (("test", "recovery"), "r", "ok"),
        (("test",), "v", "wrong_key_usage"),
        (("vaccination",), "r", "wrong_key_usage"),
        (("recovery",), "t", "wrong_key_usage"),
    ],
)
def test_key_usage(types: tuple[str, ...], cert_type: str, expected: str) -> None:
    cert = dsc(HC1_ES_KEY, types=types)
    got = _v(hc1(HC1_ES_KEY, cert, cert_type=cert_type), cert)
    assert got[1] == expected


def test_key_usage_before_expiry() -> None:
    cert = dsc(HC1_ES_KEY, types=("test",))
    assert _v(hc1(HC1_ES_KEY, cert, exp=NOW - 5), cert) == ("invalid", "wrong_key_usage")


def test_expiry(es_cert: Any) -> None:
    assert _v(hc1(HC1_ES_KEY, es_cert, exp=NOW - 1), es_cert) == ("invalid", "expired")
    # As in the EU DCC test data, the code is still valid at exactly exp.
    assert _v(hc1(HC1_ES_KEY, es_cert, exp=NOW), es_cert) == ("pass", "ok")
    assert _v(hc1(HC1_ES_KEY, es_cert, exp=NOW + 0.5), es_cert) == ("pass", "ok")


def test_signing_certificate_outside_its_validity_fails_the_expiration_check() -> None:
    cert = dsc(HC1_ES_KEY, valid_days=10)  # valid from NOW - 30 days for 10 days
    assert _v(hc1(HC1_ES_KEY, cert), cert) == ("invalid", "expired")


@pytest.mark.parametrize(
    "text",
    [
        "HC1:",
        "HC1:ZZZ",
        "HC1:" + base45_encode(zlib.compress(b"\x84")),
        "HC1:" + base45_encode(b"not zlib"),
    ],
)
def test_malformed(text: str) -> None:
    assert _v(text) == ("invalid", "malformed")


def test_missing_exp_and_trailing_bytes(es_cert: Any) -> None:
    assert _v(hc1(HC1_ES_KEY, es_cert, exp=DROP), es_cert) == ("invalid", "malformed")
    assert _v(hc1(HC1_ES_KEY, es_cert, exp="soon"), es_cert) == ("invalid", "malformed")
    assert _v(hc1(HC1_ES_KEY, es_cert, exp=float("inf")), es_cert) == ("invalid", "malformed")
    assert _v(hc1(HC1_ES_KEY, es_cert, exp=float("nan")), es_cert) == ("invalid", "malformed")
    assert _v(hc1(HC1_ES_KEY, es_cert, exp=True), es_cert) == ("invalid", "malformed")
    assert _v(hc1(HC1_ES_KEY, es_cert, trailing=b"\x00"), es_cert) == ("invalid", "malformed")


def test_too_large_shared_with_pk1() -> None:
    assert _v("HC1:" + base45_encode(zlib.compress(b"\0" * 5000))) == ("invalid", "too_large")


def test_hc1_deep_nesting_is_malformed_not_a_crash() -> None:
    raw = b"\x81" * 4000 + b"\x00"
    assert _v("HC1:" + base45_encode(zlib.compress(raw))) == ("invalid", "malformed")


def test_certificate_as_bare_base64(es_cert: Any) -> None:
    import base64

    b64 = base64.b64encode(es_cert.public_bytes(Encoding.DER))
    assert _v(hc1(HC1_ES_KEY, es_cert), b64 + b"\n") == ("pass", "ok")
    with pytest.raises(TokenError):
        TrustStore(certificates=[b"definitely not a certificate"])


# A bignum exp (CBOR tag 2, >= 2**1024) once overflowed the float check and escaped as an
# internal error before the signature was looked at: it is a malformed code like any other.
BIGNUM_EXP = "HC1:6BFOXN*TS0BIO DWV8 I8OL8B+HFN11O18P3OV6100DL854"


def test_bignum_exp_is_malformed_not_an_internal_error() -> None:
    assert _v(BIGNUM_EXP) == ("invalid", "malformed")


@pytest.mark.parametrize("exp", [2**64, -(2**63) - 1, 2**1024, -(2**2000), 10**400],
                         ids=["2^64", "-2^63-1", "2^1024", "-2^2000", "10^400"])
def test_time_claims_beyond_64_bits_are_malformed(es_cert: Any, exp: int) -> None:
    assert _v(hc1(HC1_ES_KEY, es_cert, exp=exp), es_cert) == ("invalid", "malformed")


@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                 st.none(), st.text(max_size=4), st.binary(max_size=4)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_exp_gives_a_verdict(exp: object) -> None:
    cert = dsc(HC1_ES_KEY)
    outcome, reason = _v(hc1(HC1_ES_KEY, cert, exp=exp), cert)
    assert reason != "internal_error"
    in_range = isinstance(exp, int) and not isinstance(exp, bool) and -(2**63) <= exp < 2**64
    finite_float = isinstance(exp, float) and exp == exp and abs(exp) != float("inf")
    if not (in_range or finite_float):
        assert (outcome, reason) == ("invalid", "malformed")
