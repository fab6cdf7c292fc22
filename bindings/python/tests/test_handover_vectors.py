"""The handover vectors of docs/protocol.md §11, recomputed with an independent
implementation (pyca/cryptography: P-256 ECDH and ECDSA, HKDF-SHA256, AES-256-GCM)
from the inputs the document states, so the Rust code and the spec cannot agree on
a mistake that a second implementation would not make."""

import pathlib
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DOC = (pathlib.Path(__file__).resolve().parents[3] / "docs" / "protocol.md").read_text()


def vector(name):
    prefix = f"{name} = "
    for line in DOC.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):]
    raise KeyError(name)


def enc(label, *fields):
    out = b""
    for f in (label.encode(),) + fields:
        if isinstance(f, int):
            f = struct.pack(">Q", f)
        elif isinstance(f, str):
            f = f.encode()
        out += struct.pack(">I", len(f)) + f
    return out


def key(scalar_byte):
    return ec.derive_private_key(int.from_bytes(bytes([scalar_byte]) * 32, "big"), ec.SECP256R1())


def point(private):
    return private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def seq(start, n):
    return bytes((start + i) & 0xFF for i in range(n))


def test_session_keys_and_code():
    new, old = key(0x11), key(0x22)
    pk_new, pk_old = point(new), point(old)
    assert pk_new.hex() == vector("handover.pk_new")
    assert pk_old.hex() == vector("handover.pk_old")
    hid, sc = seq(0xA0, 16), seq(0x90, 16)
    info = enc("assent/v1/handover-keys", hid, pk_new, pk_old)
    assert info.hex() == vector("handover.keys_info")
    shared = old.exchange(ec.ECDH(), new.public_key())
    assert shared == new.exchange(ec.ECDH(), old.public_key())
    okm = HKDF(algorithm=hashes.SHA256(), length=72, salt=sc, info=info).derive(shared)
    assert okm[:32].hex() == vector("handover.k_o2n")
    assert okm[32:64].hex() == vector("handover.k_n2o")
    code = f"{int.from_bytes(okm[64:72], 'big') % 1_000_000:06d}"
    assert f"{code[:3]} {code[3:]}" == vector("handover.code")
    assert enc("assent/v1/handover-offer", hid, pk_new, pk_old).hex() == vector(
        "handover.offer_aad"
    )
    assert enc("assent/v1/handover-reply", hid, pk_new, pk_old).hex() == vector(
        "handover.reply_aad"
    )


def test_statement_signature_and_confirmation():
    rp, device_id, rid = "example.com", seq(0xD0, 16), seq(0x70, 16)
    old_pub = bytes.fromhex(vector("device_pub"))
    new_pub = point(key(0x33))
    assert new_pub.hex() == vector("handover.new_device_pub")
    statement = enc(
        "assent/v1/handover", rp, device_id, old_pub, new_pub, "poll", "Alice's Pixel", rid,
        1_700_000_000, 1_700_000_600,
    )
    assert statement.hex() == vector("handover.input")
    verifier = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), old_pub)
    verifier.verify(
        bytes.fromhex(vector("handover.old_signature")), statement, ec.ECDSA(hashes.SHA256())
    )

    aad = enc("assent/v1/replaced", rp, device_id, rid, old_pub, new_pub)
    assert aad.hex() == vector("replaced.aad")
    sealed = bytes.fromhex(vector("replaced.sealed"))
    assert sealed[:12] == seq(0x20, 12)
    plain = AESGCM(bytes([0x4B]) * 32).decrypt(sealed[:12], sealed[12:], aad)
    assert plain == enc("assent/v1/replaced-body", 1_700_000_005)
