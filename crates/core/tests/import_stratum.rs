//! Import of the converter test files of Authenticator Pro (now Stratum),
//! jamie-mh/AuthenticatorPro at commit
//! 50728132e69ff159a4107f2146694ac25988288d, `Stratum.Test/data/`: a second,
//! independent set of real exports (Aegis, andOTP, 2FAS, FreeOTP+,
//! Bitwarden, Ente, a URI list) with accounts Stratum's tests made, including
//! types and parameters Assent does not generate. Passwords are those of
//! Stratum's converter tests (`Stratum.Test/src/Converter/*Test.cs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod import;
use assent_core::otp::OtpKind;
use import::*;

/// The outcome of every entry, as "name: imported" or "name: <reason>".
fn outcomes(file: &str, password: Option<&str>, format: ImportFormat) -> Vec<String> {
    let (report, vault) = import_file(&format!("stratum/{file}"), password);
    assert_eq!(report.format, format, "{file}");
    assert_eq!(vault.accounts().len(), report.imported());
    report
        .entries
        .iter()
        .map(|e| match &e.outcome {
            EntryOutcome::Imported(_) => format!("{}: imported", e.name),
            EntryOutcome::AlreadyPresent(_) => format!("{}: present", e.name),
            EntryOutcome::Skipped(why) => format!("{}: {why}", e.name),
        })
        .collect()
}

#[test]
fn aegis_plain_and_encrypted() {
    // Stratum's AegisBackupConverterTest: 11 entries, password "test".
    // Assent skips the 9-digit, mOTP and Yandex ones.
    let want = vec![
        "Long: Period: imported",
        "Many: Digits: bad parameters: digits",
        "Sha: 256: imported",
        "Sha: 512: imported",
        "Standard: Hotp: imported",
        "Standard: Totp: imported",
        "NoIssuer: NoIssuer: imported",
        "Motp: Motp: unsupported type motp",
        "Yandex: Yandex: unsupported type yandex",
        "Username: imported",
        "Steam: Steam: imported",
    ];
    assert_eq!(
        outcomes("aegis.unencrypted.json", None, ImportFormat::Aegis),
        want
    );
    assert_eq!(
        outcomes("aegis.encrypted.json", Some("test"), ImportFormat::Aegis),
        want
    );
    let (_, vault) = import_file("stratum/aegis.unencrypted.json", None);
    let long = &vault.accounts()[0];
    assert_eq!(long.otp().kind, OtpKind::Totp { period: 60 });
    assert!(vault.accounts().last().unwrap().is_steam());
}

#[test]
fn andotp_plain_and_encrypted() {
    // Stratum's AndOtpBackupConverterTest, encrypted password "testtest".
    let want = vec![
        "Long: Period: imported",
        "Many: Digits: bad parameters: digits",
        "NoIssuer: imported",
        "Sha: 256: imported",
        "Sha: 512: imported",
        "Standard: Hotp: imported",
        "Standard: Totp: imported",
        "Motp: motp: unsupported type MOTP",
        "Steam: Steam: imported",
    ];
    assert_eq!(
        outcomes("andotp.unencrypted.json", None, ImportFormat::AndOtp),
        want
    );
    assert_eq!(
        outcomes(
            "andotp.encrypted.bin",
            Some("testtest"),
            ImportFormat::AndOtp
        ),
        want
    );
}

#[test]
fn twofas_plain_and_encrypted() {
    // Stratum's TwoFasBackupConverterTest: 6 accounts, password "test".
    let want = vec![
        "Standard: Totp: imported",
        "NoIssuer: imported",
        "Sha: 256: imported",
        "Sha: 512: imported",
        "Long: Period: imported",
        "Standard: Hotp: imported",
    ];
    assert_eq!(
        outcomes("twofas.unencrypted.2fas", None, ImportFormat::TwoFas),
        want
    );
    assert_eq!(
        outcomes("twofas.encrypted.2fas", Some("test"), ImportFormat::TwoFas),
        want
    );
}

#[test]
fn freeotp_plus_bitwarden_ente_urilist() {
    // Stratum's tests: FreeOTP+ 7, Bitwarden 8, Ente 7, URI list 7 accounts.
    let free = outcomes("freeotpplus.json", None, ImportFormat::FreeOtpPlus);
    assert_eq!(free.len(), 7);
    assert!(free.iter().all(|o| o.ends_with(": imported")), "{free:?}");
    let bw = outcomes(
        "bitwarden.unencrypted.json",
        None,
        ImportFormat::BitwardenJson,
    );
    assert_eq!(bw.len(), 8);
    assert_eq!(bw[1], "Many: Digits: bad parameters: digits");
    assert_eq!(bw[3], "Secret: Only: imported"); // a bare base32 secret
    assert_eq!(bw[7], "Steam: Steam: imported");
    for file in ["ente.unencrypted.txt", "urilist.txt"] {
        let o = outcomes(file, None, ImportFormat::OtpauthList);
        assert_eq!(o.len(), 7, "{file}");
        assert_eq!(
            o.iter().filter(|o| o.ends_with(": imported")).count(),
            6,
            "{file}: {o:?}"
        );
    }
}
