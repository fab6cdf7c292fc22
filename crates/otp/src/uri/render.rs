//! [`OtpAuth`] → `otpauth://` URI.
//!
//! The label is `issuer:account` when that reads back unambiguously (issuer
//! non-empty and free of `:`, account not starting with a space); otherwise
//! just the account, prefixed by an empty issuer (`:account`) when the
//! account itself holds a colon. The `issuer` parameter is always written
//! when there is an issuer, so it wins on parse either way.

use core::fmt::Write as _;

use percent_encoding::utf8_percent_encode;
use zeroize::Zeroizing;

use super::percent::COMPONENT;
use crate::otpauth::{OtpAuth, OtpKind};

pub(crate) fn render(auth: &OtpAuth) -> Zeroizing<String> {
    let (otp_type, count_name, count) = match auth.kind {
        OtpKind::Totp { period } => ("totp", "period", period),
        OtpKind::Hotp { counter } => ("hotp", "counter", counter),
    };
    let mut head = format!("otpauth://{otp_type}/");
    write_label(&mut head, auth.issuer.as_deref(), &auth.account);
    head.push_str("?secret=");

    let mut tail = String::new();
    if let Some(issuer) = &auth.issuer {
        let _ = write!(tail, "&issuer={}", utf8_percent_encode(issuer, COMPONENT));
    }
    let _ = write!(
        tail,
        "&algorithm={}&digits={}&{count_name}={count}",
        auth.algorithm, auth.digits
    );

    let secret = auth.secret.to_base32();
    // Sized up front: the string holding the secret never reallocates, so
    // zeroizing it on drop leaves no stray copy.
    let mut out = Zeroizing::new(String::with_capacity(
        head.len() + secret.len() + tail.len(),
    ));
    out.push_str(&head);
    out.push_str(&secret);
    out.push_str(&tail);
    out
}

fn write_label(out: &mut String, issuer: Option<&str>, account: &str) {
    let account_enc = utf8_percent_encode(account, COMPONENT);
    match issuer {
        Some(issuer)
            if !issuer.is_empty() && !issuer.contains(':') && !account.starts_with(' ') =>
        {
            let _ = write!(
                out,
                "{}:{account_enc}",
                utf8_percent_encode(issuer, COMPONENT)
            );
        }
        _ if account.contains(':') => {
            let _ = write!(out, ":{account_enc}");
        }
        _ => {
            let _ = write!(out, "{account_enc}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, Secret};

    fn auth(issuer: Option<&str>, account: &str, kind: OtpKind) -> OtpAuth {
        OtpAuth {
            kind,
            issuer: issuer.map(str::to_owned),
            account: account.to_owned(),
            secret: Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
            algorithm: Algorithm::Sha1,
            digits: 6,
        }
    }

    #[test]
    fn renders_google_style() {
        let a = auth(
            Some("ACME Co"),
            "john+doe@x.com",
            OtpKind::Totp { period: 30 },
        );
        assert_eq!(
            a.to_uri().as_str(),
            "otpauth://totp/ACME%20Co:john%2Bdoe%40x.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
        );
        let h = auth(None, "bob", OtpKind::Hotp { counter: 7 });
        assert_eq!(
            h.to_uri().as_str(),
            "otpauth://hotp/bob?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&counter=7"
        );
    }

    #[test]
    fn ambiguous_labels_are_rendered_to_read_back() {
        let t = OtpKind::Totp { period: 30 };
        for (issuer, account, label) in [
            (Some("Ex:ample"), "bob", "bob"),
            (Some("Ex:ample"), "b:ob", ":b%3Aob"),
            (None, "a:b", ":a%3Ab"),
            (Some(""), "a", "a"),
            (Some("X"), " lead", "%20lead"),
            (Some("X"), "a:b", "X:a%3Ab"),
        ] {
            let a = auth(issuer, account, t);
            let uri = a.to_uri();
            assert!(
                uri.starts_with(&format!("otpauth://totp/{label}?")),
                "{}",
                uri.as_str()
            );
            assert_eq!(OtpAuth::parse(&uri).unwrap(), a);
        }
    }
}
