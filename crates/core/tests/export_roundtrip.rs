//! Export, then import again: the same accounts come back. The Aegis export
//! has the structure of Aegis's real files (same keys at every level as the
//! test exports of beemdevelopment/Aegis, see tests/data/import/README.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod import;
use import::*;

use assent_core::{Error, ExportFormat, Vault};
use serde_json::Value;

/// A vault with Aegis's seven test accounts (Steam included).
fn full_vault() -> Vault {
    let (report, vault) = import_file("otpauth/plain.txt", None);
    assert_eq!(report.imported(), 7);
    vault
}

fn same_accounts(a: &Vault, b: &Vault) {
    assert_eq!(a.accounts().len(), b.accounts().len());
    for (x, y) in a.accounts().iter().zip(b.accounts()) {
        assert_eq!(x.otp(), y.otp(), "{}", x.name());
        assert_eq!(x.is_steam(), y.is_steam(), "{}", x.name());
    }
}

#[test]
fn otpauth_round_trip() {
    let mut src = full_vault();
    let out = src.export(ExportFormat::Otpauth, None).unwrap();
    assert!(out.skipped.is_empty());
    assert_eq!(out.lines().len(), 7);
    assert!(out.text.contains("otpauth://steam/Boeing:Sophia?"));
    let mut dst = vault();
    let report = dst.import(out.text.as_bytes(), None).unwrap();
    assert_eq!(report.imported(), 7);
    same_accounts(&src, &dst);
    // Importing the same again finds everything present.
    let again = dst.import(out.text.as_bytes(), None).unwrap();
    assert_eq!(again.already_present(), 7);
    assert_eq!(dst.accounts().len(), 7);
}

#[test]
fn google_round_trip_and_batches() {
    let mut src = full_vault();
    let out = src.export(ExportFormat::GoogleMigration, None).unwrap();
    // SPDX (7 digits, 20 s), Airbnb (50 s), Air Canada (7 digits) and the
    // Steam account cannot be carried.
    let skipped: Vec<&str> = out.skipped.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        skipped,
        vec![
            "SPDX: James",
            "Airbnb: Elijah",
            "Air Canada: Benjamin",
            "Boeing: Sophia"
        ]
    );
    let mut dst = vault();
    let report = dst.import(out.text.as_bytes(), None).unwrap();
    assert_eq!(report.imported(), 3);
    assert_eq!(report.batches, None); // one QR code
    let kept: Vec<_> = src
        .accounts()
        .iter()
        .filter(|a| !skipped.contains(&a.name()))
        .map(|a| a.otp().clone())
        .collect();
    let got: Vec<_> = dst.accounts().iter().map(|a| a.otp().clone()).collect();
    assert_eq!(kept, got);
}

#[test]
fn google_splits_into_batches() {
    let mut src = vault();
    let mut list = String::new();
    for i in 0..23u8 {
        let secret: String = (0..16).map(|j| char::from(b'A' + (i + j) % 26)).collect();
        list.push_str(&format!(
            "otpauth://totp/Svc{i}:user{i}?secret={secret}&issuer=Svc{i}\n"
        ));
    }
    assert_eq!(src.import(list.as_bytes(), None).unwrap().imported(), 23);
    let out = src.export(ExportFormat::GoogleMigration, None).unwrap();
    let lines = out.lines();
    assert_eq!(lines.len(), 3);
    // Each QR code alone imports its batch and says which of how many.
    let mut dst = vault();
    let r = dst.import(lines[1].as_bytes(), None).unwrap();
    assert_eq!((r.imported(), r.batches), (10, Some((1, 3))));
    let r = dst.import(out.text.as_bytes(), None).unwrap();
    assert_eq!(
        (r.imported(), r.already_present(), r.batches),
        (13, 10, Some((3, 3)))
    );
    let src_otps: Vec<_> = src
        .accounts()
        .iter()
        .map(|a| a.otp().issuer.clone())
        .collect();
    assert_eq!(dst.accounts().len(), 23);
    assert!(src_otps
        .iter()
        .all(|i| dst.accounts().iter().any(|a| &a.otp().issuer == i)));
}

#[test]
fn aegis_plain_round_trip_and_structure() {
    let mut src = full_vault();
    let out = src.export(ExportFormat::Aegis, None).unwrap();
    let mut dst = vault();
    assert_eq!(dst.import(out.text.as_bytes(), None).unwrap().imported(), 7);
    same_accounts(&src, &dst);

    let ours: Value = serde_json::from_str(&out.text).unwrap();
    let theirs: Value = serde_json::from_slice(&data("aegis/aegis_plain.json")).unwrap();
    assert_eq!(keys(&ours), keys(&theirs));
    assert_eq!(keys(&ours["header"]), keys(&theirs["header"]));
    assert_eq!(ours["header"]["slots"], Value::Null);
    assert_eq!(ours["version"], 1);
    assert_eq!(ours["db"]["version"], 3);
    // Aegis's newer entries add note/favorite/groups to the ones in its
    // older test file; every key of the test file's entries is present.
    for (e, t) in ours["db"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .zip(theirs["db"]["entries"].as_array().unwrap())
    {
        assert!(
            keys(t).iter().all(|k| keys(e).contains(k)),
            "{:?} vs {:?}",
            keys(e),
            keys(t)
        );
        assert_eq!(keys(&e["info"]), keys(&t["info"]));
        assert_eq!(e["type"], t["type"]);
        let uuid = e["uuid"].as_str().unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
    }
}

#[test]
fn aegis_encrypted_round_trip_and_structure() {
    let mut src = full_vault();
    let out = src
        .export(ExportFormat::Aegis, Some("correct horse"))
        .unwrap();
    let mut dst = vault();
    assert_eq!(
        dst.import(out.text.as_bytes(), Some("correct horse"))
            .unwrap()
            .imported(),
        7
    );
    same_accounts(&src, &dst);
    match vault().import(out.text.as_bytes(), Some("wrong")) {
        Err(Error::Import(ImportError::WrongPassword(ImportFormat::Aegis))) => {}
        other => panic!("{other:?}"),
    }
    assert!(!out.text.contains("JRZCL47CMXVOQMNPZR2F7J4RGI"));

    let ours: Value = serde_json::from_str(&out.text).unwrap();
    let theirs: Value = serde_json::from_slice(&data("aegis/aegis_encrypted.json")).unwrap();
    assert_eq!(keys(&ours), keys(&theirs));
    assert_eq!(keys(&ours["header"]), keys(&theirs["header"]));
    assert_eq!(
        keys(&ours["header"]["params"]),
        keys(&theirs["header"]["params"])
    );
    let (slot, their_slot) = (&ours["header"]["slots"][0], &theirs["header"]["slots"][0]);
    assert!(keys(their_slot).iter().all(|k| keys(slot).contains(k)));
    assert_eq!(keys(&slot["key_params"]), keys(&their_slot["key_params"]));
    for k in ["type", "n", "r", "p", "repaired"] {
        assert_eq!(slot[k], their_slot[k], "{k}");
    }
    assert_eq!(slot["salt"].as_str().unwrap().len(), 64);
    assert_eq!(slot["key"].as_str().unwrap().len(), 64);
    assert!(ours["db"].is_string());
}

#[test]
fn password_only_for_aegis() {
    let mut src = full_vault();
    assert!(matches!(
        src.export(ExportFormat::Otpauth, Some("x")),
        Err(Error::ExportPasswordUnsupported)
    ));
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// Google's payload bytes of one URI (percent-decoding the few escapes
/// Google and Assent use, then base64).
fn google_payload(uri: &str) -> Vec<u8> {
    use base64::Engine;
    let data = uri.split_once("data=").unwrap().1;
    let data = data
        .replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=");
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap()
}

#[test]
fn google_export_is_byte_for_byte_googles_own_payload() {
    // jamie-mh/AuthenticatorPro Stratum.Test/data/googleauthenticator.txt, a
    // real Google Authenticator export: import it, export it again, and the
    // payload is Google's own, byte for byte, up to the random batch_id (the
    // last field, key 0x28).
    let original = String::from_utf8(data("google/googleauthenticator.txt")).unwrap();
    let (_, mut vault) = import_file("google/googleauthenticator.txt", None);
    let out = vault.export(ExportFormat::GoogleMigration, None).unwrap();
    assert!(out.skipped.is_empty());
    let theirs = google_payload(original.trim());
    let ours = google_payload(out.lines()[0].trim());
    // Drop the last field: its varint (continuation bytes, then a last
    // byte below 0x80) and its key 0x28.
    let cut = |p: &[u8]| {
        let mut at = p.len() - 1;
        while p[at - 1] & 0x80 != 0 {
            at -= 1;
        }
        assert_eq!(p[at - 1], 0x28);
        p[..at - 1].to_vec()
    };
    assert_eq!(cut(&ours), cut(&theirs));
}

#[test]
fn debug_of_an_export_hides_the_secrets() {
    let mut src = full_vault();
    for format in [
        ExportFormat::Otpauth,
        ExportFormat::GoogleMigration,
        ExportFormat::Aegis,
    ] {
        let out = src.export(format, None).unwrap();
        let dbg = format!("{out:?}");
        assert!(!dbg.contains("4SJHB4GSD43FZBAI7C2HLRJGPQ"), "{dbg}");
        assert!(!dbg.contains("otpauth"), "{dbg}");
    }
}
