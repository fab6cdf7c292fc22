//! Import of real export files of other authenticators, checked entry by
//! entry and field by field. Where each file comes from (repository, path,
//! commit) is in tests/data/import/README.md and named at each test.
//!
//! Most files are the test exports of the Aegis repository
//! (beemdevelopment/Aegis, app/src/test/resources/com/beemdevelopment/aegis/
//! importers/), made by scanning the same seven test accounts into each app;
//! those seven are [`VECTORS`] (Aegis's own `plain.txt` list), and Aegis's
//! DatabaseImporterTest.java says how each app changes them (its passwords
//! are used here too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod import;
use import::*;

#[test]
fn otpauth_plain_list() {
    // beemdevelopment/Aegis app/src/test/resources/com/beemdevelopment/aegis/importers/plain.txt
    let (report, vault) = import_file("otpauth/plain.txt", None);
    assert_eq!(report.format, ImportFormat::OtpauthList);
    check_all(&report, &vault, 7, |_| {});
}

#[test]
fn ente_auth_text() {
    // beemdevelopment/Aegis …/importers/ente_auth.txt (codeDisplay parameters,
    // lowercase sha512, a period on an HOTP line)
    let (report, vault) = import_file("ente/ente_auth.txt", None);
    assert_eq!(report.format, ImportFormat::OtpauthList);
    check_all(&report, &vault, 7, |_| {});
}

#[test]
fn aegis_plain() {
    // beemdevelopment/Aegis …/importers/aegis_plain.json
    let (report, vault) = import_file("aegis/aegis_plain.json", None);
    assert_eq!(report.format, ImportFormat::Aegis);
    check_all(&report, &vault, 7, |_| {});
}

#[test]
fn aegis_encrypted() {
    // beemdevelopment/Aegis …/importers/aegis_encrypted.json, password "test"
    // (DatabaseImporterTest.testImportAegisEncrypted)
    let (report, vault) = import_file("aegis/aegis_encrypted.json", Some("test"));
    assert_eq!(report.format, ImportFormat::Aegis);
    check_all(&report, &vault, 7, |_| {});
    refused("aegis/aegis_encrypted.json", Some("wrong"), |e| {
        matches!(e, ImportError::WrongPassword(ImportFormat::Aegis))
    });
    refused("aegis/aegis_encrypted.json", None, |e| {
        matches!(e, ImportError::PasswordRequired(ImportFormat::Aegis))
    });
}

#[test]
fn twofas_schema1() {
    // beemdevelopment/Aegis …/importers/2fas_authenticator.json: schema 1 has
    // no type, algorithm, digits or period, so all are TOTP SHA1/6/30; no
    // Steam entry (6 accounts).
    let (report, vault) = import_file("2fas/2fas_authenticator.json", None);
    assert_eq!(report.format, ImportFormat::TwoFas);
    check_all(&report, &vault, 6, |v| {
        v.kind = Kind::Totp(30);
        v.algorithm = "SHA1";
        v.digits = 6;
    });
}

#[test]
fn twofas_schema2_plain_and_encrypted() {
    // beemdevelopment/Aegis …/importers/2fas_authenticator_plain.2fas and
    // 2fas_authenticator_encrypted.2fas (password "test"): schema 2 has no
    // HOTP, so those accounts come as TOTP with the default period; the
    // files hold four accounts (Deno, Airbnb, Issuu, WWE).
    for (file, pw) in [
        ("2fas/2fas_authenticator_plain.2fas", None),
        ("2fas/2fas_authenticator_encrypted.2fas", Some("test")),
    ] {
        let (report, vault) = import_file(file, pw);
        assert_eq!(report.format, ImportFormat::TwoFas, "{file}");
        check_all(&report, &vault, 4, |v| {
            if let Kind::Hotp(_) = v.kind {
                v.kind = Kind::Totp(30);
            }
        });
    }
}

#[test]
fn twofas_schema3_and_4() {
    // beemdevelopment/Aegis …/importers/2fas_authenticator_{plain,encrypted}_v3.2fas
    // and _v4.2fas, password "test"; v3 holds six accounts (no Steam), v4
    // five (Deno, Issuu, Air Canada, WWE and the Steam account Boeing).
    for (file, pw, n) in [
        ("2fas/2fas_authenticator_plain_v3.2fas", None, 6),
        ("2fas/2fas_authenticator_encrypted_v3.2fas", Some("test"), 6),
        ("2fas/2fas_authenticator_plain_v4.2fas", None, 5),
        ("2fas/2fas_authenticator_encrypted_v4.2fas", Some("test"), 5),
    ] {
        let (report, vault) = import_file(file, pw);
        assert_eq!(report.format, ImportFormat::TwoFas, "{file}");
        check_all(&report, &vault, n, |_| {});
    }
    refused(
        "2fas/2fas_authenticator_encrypted_v4.2fas",
        Some("tset"),
        |e| matches!(e, ImportError::WrongPassword(ImportFormat::TwoFas)),
    );
}

#[test]
fn andotp_plain_and_encrypted() {
    // beemdevelopment/Aegis …/importers/andotp_plain.json and
    // andotp_encrypted.bin (new format, password "test").
    for (file, pw) in [
        ("andotp/andotp_plain.json", None),
        ("andotp/andotp_encrypted.bin", Some("test")),
    ] {
        let (report, vault) = import_file(file, pw);
        assert_eq!(report.format, ImportFormat::AndOtp, "{file}");
        check_all(&report, &vault, 7, |_| {});
    }
    refused("andotp/andotp_encrypted.bin", Some("nope"), |e| {
        matches!(e, ImportError::WrongPassword(ImportFormat::AndOtp))
    });
}

#[test]
fn andotp_encrypted_old_format() {
    // beemdevelopment/Aegis …/importers/andotp_encrypted_old.bin, password
    // "test" (SHA-256 key). Old andOTP wrote "Issuer:name" as the label;
    // the file has no Steam entry (6 accounts).
    let (report, vault) = import_file("andotp/andotp_encrypted_old.bin", Some("test"));
    assert_eq!(report.format, ImportFormat::AndOtp);
    check_all(&report, &vault, 6, |v| {
        v.account = format!("{}:{}", v.issuer, v.account);
    });
}

#[test]
fn freeotp_plus() {
    // beemdevelopment/Aegis …/importers/freeotp_plus.json: FreeOTP writes
    // HOTP counters one lower; there is no Steam entry (6 accounts).
    let (report, vault) = import_file("freeotp_plus/freeotp_plus.json", None);
    assert_eq!(report.format, ImportFormat::FreeOtpPlus);
    check_all(&report, &vault, 6, |v| {
        if let Kind::Hotp(c) = v.kind {
            v.kind = Kind::Hotp(c - 1);
        }
    });
}

#[test]
fn bitwarden_json_and_csv() {
    // beemdevelopment/Aegis …/importers/bitwarden.json and bitwarden.csv:
    // three TOTP accounts as otpauth URIs and one steam://SECRET item (named
    // "Test Steam" in the JSON, "Test 4" in the CSV; Bitwarden has no
    // issuer/account for it, so the issuer is Steam and the item names it).
    for (file, format, steam_name) in [
        (
            "bitwarden/bitwarden.json",
            ImportFormat::BitwardenJson,
            "Test Steam",
        ),
        (
            "bitwarden/bitwarden.csv",
            ImportFormat::BitwardenCsv,
            "Test 4",
        ),
    ] {
        let (report, vault) = import_file(file, None);
        assert_eq!(report.format, format, "{file}");
        assert_eq!(report.imported(), 4, "{file}: {report:?}");
        for account in vault.accounts() {
            let mut v = vector_for(account);
            if v.kind == Kind::Steam {
                v.issuer = "Steam";
                v.account = steam_name.into();
            }
            check_account(account, &v);
        }
    }
}

#[test]
fn proton_authenticator() {
    // beemdevelopment/Aegis …/importers/proton_authenticator.json
    let (report, vault) = import_file("proton/proton_authenticator.json", None);
    assert_eq!(report.format, ImportFormat::ProtonAuthenticator);
    // Three TOTP accounts (Deno, SPDX, Airbnb).
    check_all(&report, &vault, 3, |_| {});
}

#[test]
fn google_authenticator_migration() {
    // jamie-mh/AuthenticatorPro Stratum.Test/data/googleauthenticator.txt:
    // one otpauth-migration URI with six accounts (its test expects 6).
    let (report, vault) = import_file("google/googleauthenticator.txt", None);
    assert_eq!(report.format, ImportFormat::GoogleMigration);
    assert_eq!(report.imported(), 6, "{report:?}");
    assert_eq!(report.batches, None);
    let got: Vec<(Option<&str>, &str, &str, u8, String)> = vault
        .accounts()
        .iter()
        .map(|a| {
            let o = a.otp();
            (
                o.issuer.as_deref(),
                o.account.as_str(),
                o.algorithm.as_str(),
                o.digits,
                format!("{:?}", o.kind),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Some("Sha"),
                "512",
                "SHA512",
                6,
                "Totp { period: 30 }".into()
            ),
            (
                Some("Sha"),
                "256",
                "SHA256",
                6,
                "Totp { period: 30 }".into()
            ),
            (
                Some("Standard"),
                "Totp",
                "SHA1",
                6,
                "Totp { period: 30 }".into()
            ),
            (
                Some("Standard"),
                "Hotp",
                "SHA1",
                6,
                "Hotp { counter: 10 }".into()
            ),
            (None, "NoIssuer", "SHA1", 6, "Totp { period: 30 }".into()),
            (
                Some("Long"),
                "Period",
                "SHA1",
                6,
                "Totp { period: 30 }".into()
            ),
        ]
    );
    // The first secret, as the payload's bytes (field 1 of the first entry).
    assert_eq!(
        hex(vault.accounts()[0].otp().secret.as_bytes()),
        "a5b7b947aee11531dda20865d2c9f450317459c7"
    );
}

#[test]
fn authenticator_pro_unencrypted() {
    // jamie-mh/AuthenticatorPro Stratum.Test/data/backup.unencrypted.authpro:
    // its made-up secrets are mostly too short or not base32, so those
    // entries are skipped as bad secrets and the rest imported.
    let (report, vault) = import_file("authpro/backup.unencrypted.authpro", None);
    assert_eq!(report.format, ImportFormat::AuthenticatorPro);
    assert!(!report.entries.is_empty());
    assert_eq!(
        report.imported() + report.skipped() + report.already_present(),
        report.entries.len()
    );
    let amazon = &report.entries[0];
    assert_eq!(amazon.name, "Amazon: john@example.com");
    assert_eq!(amazon.outcome, EntryOutcome::Skipped(SkipReason::BadSecret));
    assert_eq!(vault.accounts().len(), report.imported());
}
