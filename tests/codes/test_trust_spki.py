"""``load_spki`` reads the usual Ed25519 and P-256 SubjectPublicKeyInfo from their fixed DER
layout (without cryptography's serialization package); every key it accepts, and every error it
gives, must be what the general DER reader gives for the same bytes."""

from __future__ import annotations

import random

import pytest
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)

from codes import TokenError
from codes._trust import ALG_EDDSA, ALG_ES256, load_spki

SPKI = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
P256_ORDER_P = 2**256 - 2**224 + 2**192 + 2**96 - 1


def general(spki: bytes, alg: str) -> bytes | str:
    """What the general reader makes of ``spki`` for ``alg`` (the rules of PK1 spec §6): the
    key's SPKI again, or the error."""
    try:
        key = load_der_public_key(spki)
    except UnsupportedAlgorithm as exc:
        return f"trust list: expected a {alg} public key, got an unsupported one ({exc})"
    except ValueError as exc:
        return f"trust list: expected DER SubjectPublicKeyInfo, got unparseable bytes ({exc})"
    if (alg == ALG_EDDSA and isinstance(key, ed25519.Ed25519PublicKey)) or (
            alg == ALG_ES256 and isinstance(key, ec.EllipticCurvePublicKey)
            and isinstance(key.curve, ec.SECP256R1)):
        return key.public_bytes(*SPKI)
    return f"trust list: expected a {alg} public key, got {type(key).__name__}"


def ours(spki: bytes, alg: str) -> bytes | str:
    try:
        return load_spki(spki, alg).public_bytes(*SPKI)
    except TokenError as exc:
        assert exc.reason == "unusable_trust_list"
        return str(exc)


def variants(spki: bytes, rng: random.Random) -> list[bytes]:
    """The key and what a damaged or odd trust list may carry in its place."""
    out = [spki, spki[:-1], spki + b"\x00", bytes(len(spki))]
    for _ in range(6):
        damaged = bytearray(spki)
        damaged[rng.randrange(len(spki))] ^= 1 << rng.randrange(8)
        out.append(bytes(damaged))
    return out


def test_ed25519_keys_read_as_the_general_reader_reads_them() -> None:
    rng = random.Random(14)
    prefix = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(*SPKI)[:12]
    blobs = [ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(*SPKI)
             for _ in range(20)]
    # Any 32 bytes after the prefix, also non-canonical y (>= 2^255 - 19) and all ones.
    blobs += [prefix + rng.randbytes(32) for _ in range(40)]
    blobs += [prefix + b"\xff" * 32, prefix + ((2**255 - 19) + 1).to_bytes(32, "little")]
    checked = 0
    for blob in blobs:
        for spki in variants(blob, rng):
            for alg in (ALG_EDDSA, ALG_ES256):
                assert ours(spki, alg) == general(spki, alg), spki.hex()
                checked += 1
    assert checked == len(blobs) * 10 * 2


def test_p256_keys_read_as_the_general_reader_reads_them() -> None:
    rng = random.Random(15)
    keys = [ec.generate_private_key(ec.SECP256R1()).public_key() for _ in range(20)]
    blobs = [k.public_bytes(*SPKI) for k in keys]
    prefix = blobs[0][:26]
    # Points off the curve, coordinates of p or more, the point at infinity's encoding.
    blobs += [prefix + b"\x04" + rng.randbytes(64) for _ in range(20)]
    blobs += [prefix + b"\x04" + P256_ORDER_P.to_bytes(32, "big") + bytes(32),
              prefix + b"\x04" + bytes(64), prefix + b"\x00" + bytes(64)]
    accepted = 0
    for blob in blobs:
        for spki in variants(blob, rng):
            for alg in (ALG_ES256, ALG_EDDSA):
                got = ours(spki, alg)
                assert got == general(spki, alg), spki.hex()
                accepted += isinstance(got, bytes)
    assert accepted >= 20  # the generated keys at least; the check is not all refusals


def test_compressed_p256_and_other_curves_take_the_general_reader() -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    compressed = bytes.fromhex("3039301306072a8648ce3d020106082a8648ce3d030107032200") + point
    assert ours(compressed, ALG_ES256) == key.public_bytes(*SPKI) == general(compressed,
                                                                             ALG_ES256)
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(*SPKI)
    with pytest.raises(TokenError, match="expected a ES256 public key, got"):
        load_spki(p384, ALG_ES256)


def test_an_unknown_key_type_is_our_error() -> None:
    # A well-formed SPKI whose algorithm OID (here 1.2.840.10045.2.3) cryptography does not
    # know: the trust list is unusable, with our error, not cryptography's.
    spki = bytes.fromhex("3059301306072a8648ce3d020306082a8648ce3d030107034200") + b"\x04" + \
        bytes(64)
    with pytest.raises(TokenError, match="expected a ES256 public key, got an unsupported one"):
        load_spki(spki, ALG_ES256)


def test_not_bytes_is_refused_as_before() -> None:
    with pytest.raises(TokenError, match="unparseable bytes"):
        load_spki("302a", ALG_EDDSA)  # type: ignore[arg-type]
