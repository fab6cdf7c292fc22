"""Import from another authenticator and export, through the bindings.

The Aegis file is the encrypted test export of the Aegis repository
(beemdevelopment/Aegis, app/src/test/resources/com/beemdevelopment/aegis/
importers/aegis_encrypted.json, password "test"), kept in
crates/core/tests/data/import/ (see the README there)."""

import pathlib

import pytest

import assent_ffi as assent

DATA = pathlib.Path(__file__).resolve().parents[3] / "crates/core/tests/data/import"


def test_import_encrypted_aegis_then_export(open_assent, clock, device):
    a = open_assent()
    data = (DATA / "aegis/aegis_encrypted.json").read_bytes()
    with pytest.raises(assent.AssentError.Password):
        a.import_accounts(data, None)
    with pytest.raises(assent.AssentError.Password):
        a.import_accounts(data, "wrong")
    assert a.accounts() == []

    report = a.import_accounts(data, "test")
    assert report.format == "Aegis"
    assert (report.imported, report.already_present, report.skipped) == (7, 0, 0)
    assert report.entries[0].name == "Deno: Mason"
    assert report.entries[0].outcome == assent.ImportOutcome.IMPORTED
    steam = [x for x in a.accounts() if x.steam]
    assert [x.name for x in steam] == ["Boeing: Sophia"]
    clock.now = 1700000000
    assert a.code(steam[0].id).code == "747JR"

    again = a.import_accounts(data, "test")
    assert again.already_present == 7 and len(a.accounts()) == 7

    google = a.export_accounts(assent.ExportFormat.GOOGLE, None)
    assert all(l.startswith("otpauth-migration://offline?data=") for l in google.lines)
    assert len(google.skipped) == 4  # Steam, 7 digits, periods other than 30 s

    exported = a.export_accounts(assent.ExportFormat.AEGIS, "pw")
    other = assent.memory_storage()
    b = assent.Assent(other, assent.software_key_store(other), device, clock=clock)
    assert b.import_accounts(exported.text.encode(), "pw").imported == 7
    assert [x.name for x in b.accounts()] == [x.name for x in a.accounts()]
    uris = a.export_accounts(assent.ExportFormat.OTPAUTH, None)
    assert len(uris.lines) == 7
    with pytest.raises(assent.AssentError.InvalidInput):
        a.export_accounts(assent.ExportFormat.OTPAUTH, "pw")
