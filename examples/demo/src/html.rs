//! Server-rendered HTML: escaping, the page layout and a few form helpers. No
//! template engine: every value that reaches a page goes through [`esc`].

use axum::response::Html;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:.7rem 1.5rem;display:flex;justify-content:space-between;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}
header form{display:inline;margin:0}
header button{background:none;border:1px solid #fff6;color:#fff;padding:.2rem .7rem;margin:0}
main{max-width:34rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:10px;box-shadow:0 1px 4px #0002}
h1{font-size:1.5rem;margin-top:0}
h2{font-size:1.15rem;margin-top:1.8rem;border-top:1px solid #e3e5ea;padding-top:1.2rem}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
label.check{font-weight:400}label.check input{margin-right:.4rem}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #b9bec9;border-radius:6px}
button{background:#2456d3;color:#fff;border:0;border-radius:6px;padding:.55rem 1.1rem;font-size:1rem;margin-top:.8rem;cursor:pointer}
button.secondary{background:#e6e9f0;color:#1d2330}
button.danger{background:#c23b3b}
.inline{display:inline}
.flash{background:#e8f1ff;border-left:4px solid #2456d3;padding:.6rem .8rem;margin-bottom:1rem}
.error{background:#fdecec;border-left:4px solid #c23b3b;padding:.6rem .8rem}
.notice{background:#fff6e0;border-left:4px solid #e0a100;padding:.6rem .8rem;margin:.4rem 0}
.number{font-size:3.5rem;font-weight:700;letter-spacing:.2em;text-align:center;margin:.5rem 0;color:#2456d3}
.muted{color:#5d6577;font-size:.9rem}
.qr svg{width:220px;height:220px}
code{background:#f0f2f6;padding:.1rem .3rem;border-radius:4px;word-break:break-all;font-size:.8rem}
ul.codes{columns:2;font-family:ui-monospace,monospace;font-size:1.1rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #eee}
.spinner{display:inline-block;width:1rem;height:1rem;border:3px solid #c9d4f3;border-top-color:#2456d3;border-radius:50%;animation:spin 1s linear infinite;vertical-align:middle}
@keyframes spin{to{transform:rotate(360deg)}}
"#;

/// The page layout. `user` shows the logged-in name and a logout button
/// (`logout` carries that form's CSRF token).
pub fn page(title: &str, user: Option<(&str, &str)>, body: &str) -> Html<String> {
    let nav = match user {
        Some((name, csrf)) => format!(
            r#"<span>{} · <a href="/security">Security</a> · <a href="/org">Organization</a> · <a href="/outbox">Mail</a> · <form method="post" action="/logout">{}<button type="submit">Log out</button></form></span>"#,
            esc(name),
            csrf_field(csrf)
        ),
        None => {
            r#"<span><a href="/login">Log in</a> · <a href="/signup">Sign up</a></span>"#.to_owned()
        }
    };
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title} · Assent demo</title><style>{STYLE}</style></head>
<body><header><a href="/">Assent demo</a>{nav}</header>
<main>{body}</main></body></html>"#,
        title = esc(title),
    ))
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(csrf: &str) -> String {
    format!(r#"<input type="hidden" name="csrf" value="{}">"#, esc(csrf))
}

/// A one-time message, if any.
pub fn flash(message: Option<&str>) -> String {
    message
        .map(|m| format!(r#"<p class="flash" id="flash">{}</p>"#, esc(m)))
        .unwrap_or_default()
}

/// An error message, if any.
pub fn error(message: Option<&str>) -> String {
    message
        .map(|m| format!(r#"<p class="error" id="error">{}</p>"#, esc(m)))
        .unwrap_or_default()
}

/// A form with the CSRF field, `inner` fields and a submit button.
pub fn form(action: &str, csrf: &str, inner: &str, button: &str, class: &str) -> String {
    format!(
        r#"<form method="post" action="{}">{}{}<button type="submit" class="{}">{}</button></form>"#,
        esc(action),
        csrf_field(csrf),
        inner,
        class,
        esc(button)
    )
}

/// A labelled text input.
pub fn input(name: &str, label: &str, kind: &str, extra: &str) -> String {
    format!(
        r#"<label for="{name}">{label}</label><input type="{kind}" id="{name}" name="{name}" {extra}>"#,
        name = esc(name),
        label = esc(label),
        kind = esc(kind),
    )
}

/// Seconds as "N s" or "N min", rounded up.
pub fn wait_text(secs: u64) -> String {
    if secs < 120 {
        format!("{} s", secs.max(1))
    } else {
        format!("{} min", secs.div_ceil(60))
    }
}

/// A Unix time as `YYYY-MM-DD HH:MM UTC`.
pub fn date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(date(0), "1970-01-01 00:00 UTC");
        assert_eq!(date(1_700_000_010), "2023-11-14 22:13 UTC");
        assert_eq!(date(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn waits_read_naturally() {
        assert_eq!(wait_text(0), "1 s");
        assert_eq!(wait_text(8), "8 s");
        assert_eq!(wait_text(121), "3 min");
    }
}
