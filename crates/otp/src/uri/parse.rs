//! `otpauth://` URI → [`OtpAuth`].
//!
//! Grammar accepted (Google's Key URI Format):
//! `otpauth://TYPE/LABEL?PARAMETERS`, where TYPE is `totp` or `hotp` (any
//! case), LABEL is `account`, `issuer:account` or `issuer%3Aaccount`
//! (spaces after the colon are dropped), and PARAMETERS are `name=value`
//! pairs joined by `&`. `+` and `%20` both decode to a space. A `#fragment`
//! is cut off. Unknown parameters are ignored; any repeated parameter name
//! (case-insensitive) is an error.
//!
//! Label split rule: if the raw label holds a literal `:`, the first one
//! separates issuer and account and any `%3A` belongs to the names;
//! otherwise the first decoded colon (from `%3A`) separates them. An empty
//! prefix (`:account`) means no issuer prefix; the renderer relies on it to
//! carry accounts that contain colons.

use zeroize::Zeroizing;

use super::percent;
use crate::algorithm::Algorithm;
use crate::error::{OtpError, UriError};
use crate::hotp::DIGITS;
use crate::otpauth::{OtpAuth, OtpKind};
use crate::secret::Secret;

const SCHEME: &str = "otpauth://";
const DEFAULT_PERIOD: u64 = 30;
const DEFAULT_DIGITS: u8 = 6;

/// The parameters this parser reads, as raw (still encoded) values.
#[derive(Default)]
struct Params<'a> {
    secret: Option<&'a str>,
    issuer: Option<&'a str>,
    algorithm: Option<&'a str>,
    digits: Option<&'a str>,
    period: Option<&'a str>,
    counter: Option<&'a str>,
}

pub(crate) fn parse(uri: &str) -> Result<OtpAuth, UriError> {
    let rest = match uri.split_at_checked(SCHEME.len()) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case(SCHEME) => rest,
        _ => return Err(UriError::BadScheme),
    };
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);

    let type_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (otp_type, rest) = rest.split_at(type_end);
    let is_totp = if otp_type.eq_ignore_ascii_case("totp") {
        true
    } else if otp_type.eq_ignore_ascii_case("hotp") {
        false
    } else {
        return Err(UriError::BadType);
    };
    let rest = rest.strip_prefix('/').ok_or(UriError::MissingLabel)?;
    let (label, query) = rest.split_once('?').unwrap_or((rest, ""));

    let (prefix, account) = split_label(label)?;
    let params = read_params(query)?;

    let issuer = match params.issuer {
        Some(raw) => Some(decode(raw, "issuer")?),
        None => prefix,
    };
    let secret = secret(params.secret)?;
    let algorithm = match params.algorithm {
        Some(raw) => decode(raw, "algorithm")?
            .parse::<Algorithm>()
            .map_err(|_| UriError::BadAlgorithm)?,
        None => Algorithm::default(),
    };
    let digits = match params.digits {
        Some(raw) => number(raw, "digits")?
            .and_then(|d| u8::try_from(d).ok())
            .filter(|d| DIGITS.contains(d))
            .ok_or(UriError::BadDigits)?,
        None => DEFAULT_DIGITS,
    };
    let kind = if is_totp {
        let period = match params.period {
            Some(raw) => number(raw, "period")?
                .filter(|p| *p >= 1)
                .ok_or(UriError::BadPeriod)?,
            None => DEFAULT_PERIOD,
        };
        OtpKind::Totp { period }
    } else {
        let raw = params.counter.ok_or(UriError::MissingCounter)?;
        let counter = number(raw, "counter")?.ok_or(UriError::BadCounter)?;
        OtpKind::Hotp { counter }
    };

    Ok(OtpAuth {
        kind,
        issuer,
        account,
        secret,
        algorithm,
        digits,
    })
}

fn decode(raw: &str, field: &str) -> Result<String, UriError> {
    percent::decode(raw).map_err(|_| UriError::BadPercentEncoding {
        field: field.to_owned(),
    })
}

/// Returns (issuer prefix, account).
fn split_label(raw: &str) -> Result<(Option<String>, String), UriError> {
    let (prefix, account) = match raw.split_once(':') {
        Some((p, a)) => (decode(p, "label")?, decode(a, "label")?),
        None => {
            let label = decode(raw, "label")?;
            match label.split_once(':') {
                Some((p, a)) => (p.to_owned(), a.to_owned()),
                None => (String::new(), label),
            }
        }
    };
    if prefix.is_empty() {
        Ok((None, account))
    } else {
        let account = account.trim_start_matches(' ').to_owned();
        Ok((Some(prefix), account))
    }
}

fn read_params(query: &str) -> Result<Params<'_>, UriError> {
    let mut params = Params::default();
    let mut seen: Vec<String> = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, value, named) = match part.split_once('=') {
            Some((n, v)) => (n, v, true),
            None => (part, "", false),
        };
        let name = decode(raw_name, "parameter name")?.to_ascii_lowercase();
        if seen.contains(&name) {
            // A part without '=' may be a value that lost its name; don't echo it.
            let shown = if named {
                name
            } else {
                "(parameter without =)".to_owned()
            };
            return Err(UriError::DuplicateParameter(shown));
        }
        let slot = match name.as_str() {
            "secret" => &mut params.secret,
            "issuer" => &mut params.issuer,
            "algorithm" => &mut params.algorithm,
            "digits" => &mut params.digits,
            "period" => &mut params.period,
            "counter" => &mut params.counter,
            _ => {
                seen.push(name);
                continue;
            }
        };
        *slot = Some(value);
        seen.push(name);
    }
    Ok(params)
}

fn secret(raw: Option<&str>) -> Result<Secret, UriError> {
    let raw = raw.ok_or(UriError::MissingSecret)?;
    let text = Zeroizing::new(decode(raw, "secret")?);
    if text.bytes().all(|c| c == b' ' || c == b'=') {
        return Err(UriError::MissingSecret);
    }
    Secret::from_base32(&text).map_err(|e| match e {
        OtpError::SecretTooShort => UriError::SecretTooShort,
        _ => UriError::BadSecret,
    })
}

/// A whole decimal number: `Ok(None)` if not digits only or above u64.
fn number(raw: &str, field: &str) -> Result<Option<u64>, UriError> {
    let text = decode(raw, field)?;
    if text.is_empty() || !text.bytes().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(text.parse::<u64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = "JBSWY3DPEHPK3PXP";

    fn ok(uri: &str) -> OtpAuth {
        match parse(uri) {
            Ok(a) => a,
            Err(e) => unreachable!("{uri}: {e}"),
        }
    }

    #[test]
    fn google_example() {
        let a =
            ok("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example");
        assert_eq!(a.kind, OtpKind::Totp { period: 30 });
        assert_eq!(a.issuer.as_deref(), Some("Example"));
        assert_eq!(a.account, "alice@google.com");
        assert_eq!(a.secret.as_bytes(), b"Hello!\xde\xad\xbe\xef");
        assert_eq!((a.algorithm, a.digits), (Algorithm::Sha1, 6));
    }

    #[test]
    fn full_parameters_and_hotp() {
        let a = ok("otpauth://hotp/ACME%20Co:john.doe%40email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA256&digits=8&counter=42&image=https%3A%2F%2Fx");
        assert_eq!(a.kind, OtpKind::Hotp { counter: 42 });
        assert_eq!(a.issuer.as_deref(), Some("ACME Co"));
        assert_eq!(a.account, "john.doe@email.com");
        assert_eq!((a.algorithm, a.digits), (Algorithm::Sha256, 8));
        let a = ok("OTPAUTH://TOTP/x?secret=JBSWY3DPEHPK3PXP&period=60&algorithm=sha512&digits=7");
        assert_eq!(a.kind, OtpKind::Totp { period: 60 });
        assert_eq!(
            (a.algorithm, a.digits, a.issuer),
            (Algorithm::Sha512, 7, None)
        );
    }

    #[test]
    fn label_forms() {
        let cases = [
            ("Example:alice", Some("Example"), "alice"),
            ("Example%3Aalice", Some("Example"), "alice"),
            ("Example%3aalice", Some("Example"), "alice"),
            ("Example:%20%20alice", Some("Example"), "alice"),
            ("Example:+alice", Some("Example"), "alice"),
            ("My+Bank%20Inc:a+b", Some("My Bank Inc"), "a b"),
            ("alice", None, "alice"),
            ("", None, ""),
            (":a%3Ab", None, "a:b"),
            ("Ex:a:b", Some("Ex"), "a:b"),
            ("Ex%3Aample:bob", Some("Ex:ample"), "bob"),
            ("%C3%89cole:%E2%9C%93", Some("École"), "✓"),
        ];
        for (label, issuer, account) in cases {
            let a = ok(&format!("otpauth://totp/{label}?secret={S}"));
            assert_eq!(
                (a.issuer.as_deref(), a.account.as_str()),
                (issuer, account),
                "{label}"
            );
        }
    }

    #[test]
    fn issuer_parameter_wins_over_prefix() {
        let a = ok(&format!("otpauth://totp/Old:alice?issuer=New&secret={S}"));
        assert_eq!(a.issuer.as_deref(), Some("New"));
        let a = ok(&format!(
            "otpauth://totp/alice?issuer=Only+Param&secret={S}"
        ));
        assert_eq!(a.issuer.as_deref(), Some("Only Param"));
        let a = ok(&format!("otpauth://totp/Old:alice?issuer=&secret={S}"));
        assert_eq!(a.issuer.as_deref(), Some(""));
    }

    #[test]
    fn lenient_secret_and_unknown_parameters() {
        for secret in [
            "jbswy3dpehpk3pxp",
            "JBSW+Y3DP+EHPK+3PXP",
            "JBSW%20Y3DP%20EHPK%203PXP",
            "JBSWY3DPEHPK3PXP%3D%3D%3D%3D",
        ] {
            let a = ok(&format!("otpauth://totp/a?secret={secret}&foo=bar&&image="));
            assert_eq!(a.secret.to_base32().as_str(), S, "{secret}");
        }
        let a = ok(&format!("otpauth://totp/a?secret={S}#fragment&digits=9"));
        assert_eq!(a.digits, 6);
        // period on hotp and counter on totp are ignored
        let a = ok(&format!("otpauth://hotp/a?secret={S}&counter=0&period=0"));
        assert_eq!(a.kind, OtpKind::Hotp { counter: 0 });
        let a = ok(&format!("otpauth://totp/a?secret={S}&counter=x"));
        assert_eq!(a.kind, OtpKind::Totp { period: 30 });
        let a = ok(&format!(
            "otpauth://hotp/a?secret={S}&counter=18446744073709551615"
        ));
        assert_eq!(a.kind, OtpKind::Hotp { counter: u64::MAX });
    }

    #[test]
    fn errors_name_the_problem() {
        let cases: &[(&str, UriError)] = &[
            ("", UriError::BadScheme),
            ("otpauth:/totp/a?secret=X", UriError::BadScheme),
            ("https://totp/a", UriError::BadScheme),
            ("otpauth://", UriError::BadType),
            ("otpauth://motp/a?secret=X", UriError::BadType),
            ("otpauth://totp", UriError::MissingLabel),
            (
                "otpauth://totp?secret=JBSWY3DPEHPK3PXP",
                UriError::MissingLabel,
            ),
            ("otpauth://totp/a", UriError::MissingSecret),
            ("otpauth://totp/a?secret=", UriError::MissingSecret),
            ("otpauth://totp/a?secret=%3D%3D", UriError::MissingSecret),
            ("otpauth://totp/a?issuer=x", UriError::MissingSecret),
            (
                "otpauth://totp/a?secret=JBSWY3DP0HPK3PXP",
                UriError::BadSecret,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK",
                UriError::SecretTooShort,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
                UriError::BadAlgorithm,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&algorithm=",
                UriError::BadAlgorithm,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=5",
                UriError::BadDigits,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=9",
                UriError::BadDigits,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=%2B6",
                UriError::BadDigits,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=262",
                UriError::BadDigits,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=0",
                UriError::BadPeriod,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=-30",
                UriError::BadPeriod,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=30s",
                UriError::BadPeriod,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=18446744073709551616",
                UriError::BadPeriod,
            ),
            (
                "otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP",
                UriError::MissingCounter,
            ),
            (
                "otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=",
                UriError::BadCounter,
            ),
            (
                "otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=1.5",
                UriError::BadCounter,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP",
                UriError::DuplicateParameter("secret".into()),
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&SECRET=AAAA",
                UriError::DuplicateParameter("secret".into()),
            ),
            (
                "otpauth://totp/a?issuer=a&secret=JBSWY3DPEHPK3PXP&issuer=a",
                UriError::DuplicateParameter("issuer".into()),
            ),
            (
                "otpauth://totp/a?image=a&secret=JBSWY3DPEHPK3PXP&image=b",
                UriError::DuplicateParameter("image".into()),
            ),
            (
                "otpauth://totp/a%zz?secret=JBSWY3DPEHPK3PXP",
                UriError::BadPercentEncoding {
                    field: "label".into(),
                },
            ),
            (
                "otpauth://totp/a%FF?secret=JBSWY3DPEHPK3PXP",
                UriError::BadPercentEncoding {
                    field: "label".into(),
                },
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&issuer=%",
                UriError::BadPercentEncoding {
                    field: "issuer".into(),
                },
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PX%",
                UriError::BadPercentEncoding {
                    field: "secret".into(),
                },
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&%=1",
                UriError::BadPercentEncoding {
                    field: "parameter name".into(),
                },
            ),
        ];
        for (uri, want) in cases {
            assert_eq!(parse(uri).err().as_ref(), Some(want), "{uri}");
        }
    }

    #[test]
    fn errors_never_echo_the_secret() {
        // A lost '&' smears the secret into the algorithm value.
        let uri = "otpauth://totp/a?algorithm=SHA1secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP";
        let err = parse(uri).err().unwrap();
        assert_eq!(err, UriError::BadAlgorithm);
        let uri = "otpauth://totp/a?JBSWY3DPEHPK3PXP&JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP";
        let err = parse(uri).err().unwrap();
        let text = format!("{err} {err:?}");
        assert!(!text.to_uppercase().contains("JBSWY3DP"), "{text}");
    }
}
