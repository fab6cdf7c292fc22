"""Encrypted backup and restore through the bindings, and an independent
decryption of backup files (docs/backup.md) with argon2-cffi (the reference
argon2 C code) and cryptography's AES-GCM: the test vector of
crates/core/tests/data/backup/ and a freshly made backup."""

import json
import pathlib
import struct

import pytest
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import assent_ffi as assent

VECTOR = (
    pathlib.Path(__file__).resolve().parents[3]
    / "crates/core/tests/data/backup/vector-v1.json"
)

HEADER_LEN = 71


def decrypt(file: bytes, password: str) -> bytes:
    """docs/backup.md, written from the document, not from the Rust code."""
    assert file[:8] == b"ASSENTBK"
    (version,) = struct.unpack(">H", file[8:10])
    assert version == 1
    assert file[10] == 1  # argon2id v0x13
    m, t, p = struct.unpack(">III", file[11:23])
    salt, nonce, check = file[23:39], file[39:51], file[51:67]
    (ct_len,) = struct.unpack(">I", file[67:71])
    assert len(file) == HEADER_LEN + ct_len + 16
    derived = hash_secret_raw(
        password.encode(), salt, time_cost=t, memory_cost=m, parallelism=p,
        hash_len=48, type=Type.ID, version=19,
    )
    if derived[32:48] != check:
        raise ValueError("wrong password")
    return AESGCM(derived[:32]).decrypt(nonce, file[HEADER_LEN:], file[:HEADER_LEN])


def test_vector_decrypts_independently():
    v = json.loads(VECTOR.read_text())
    file = bytes.fromhex(v["file_hex"])
    assert file[23:39].hex() == v["salt_hex"]
    assert file[39:51].hex() == v["nonce_hex"]
    assert struct.unpack(">III", file[11:23]) == (
        v["kdf"]["memory_kib"], v["kdf"]["iterations"], v["kdf"]["parallelism"])
    assert decrypt(file, v["password"]).decode() == v["payload"]
    with pytest.raises(ValueError):
        decrypt(file, "wrong")


def test_backup_restore_into_a_new_vault(open_assent, clock, device):
    old = open_assent()
    old.add_uri("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example")
    old.add_uri("otpauth://hotp/Ex:h?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=4")
    file = old.backup_accounts("s3cret pass")

    payload = json.loads(decrypt(file, "s3cret pass"))
    assert [a["name"] for a in payload["accounts"]] == ["Example: alice", "Ex: h"]
    assert payload["accounts"][1]["otp"] == {"type": "hotp", "counter": 4}

    # The new phone: storage and key store of its own.
    from conftest import DictStorage

    other = DictStorage()
    new = assent.Assent(other, assent.software_key_store(other), device, clock=clock)
    with pytest.raises(assent.AssentError.Password):
        new.restore_accounts(file, "wrong")
    with pytest.raises(assent.AssentError.InvalidInput):
        new.restore_accounts(file[:-1], "s3cret pass")
    assert new.accounts() == []

    report = new.restore_accounts(file, "s3cret pass")
    assert (report.restored, report.already_present, report.needs_reactivation) == (2, 0, 0)
    assert report.entries[0].outcome == assent.RestoreOutcome.RESTORED
    assert [a.name for a in new.accounts()] == ["Example: alice", "Ex: h"]
    clock.now = 1700000000
    assert new.code(new.accounts()[0].id).code == old.code(old.accounts()[0].id).code
    assert new.reactivation_needed() == []
    again = new.restore_accounts(file, "s3cret pass")
    assert again.already_present == 2 and len(new.accounts()) == 2
