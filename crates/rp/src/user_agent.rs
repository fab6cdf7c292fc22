//! A short name for a browser from its `User-Agent` header ("Firefox on Linux"), for the
//! list of trusted browsers. Only the well-known families are told apart; anything else
//! is "a browser" on "an unknown system". Never fails: the header is the client's word
//! and only ever shown back to the account's owner.

/// At most this many bytes of the header are looked at.
const MAX_LEN: usize = 512;

/// Browser families, most specific first (Edge and Opera say "Chrome" too; Chrome says
/// "Safari").
const BROWSERS: &[(&str, &str)] = &[
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
];

/// Systems, most specific first (iOS says "like Mac OS X", Android says "Linux").
const SYSTEMS: &[(&str, &str)] = &[
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
];

fn first_match(ua: &str, table: &[(&str, &'static str)]) -> Option<&'static str> {
    table
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| *name)
}

/// "Firefox on Linux", "Safari on iOS", "a browser on an unknown system".
pub fn browser_name(user_agent: &str) -> String {
    let mut end = user_agent.len().min(MAX_LEN);
    while !user_agent.is_char_boundary(end) {
        end -= 1;
    }
    let ua = &user_agent[..end];
    let browser = first_match(ua, BROWSERS).unwrap_or("a browser");
    let system = first_match(ua, SYSTEMS).unwrap_or("an unknown system");
    format!("{browser} on {system}")
}

#[cfg(test)]
mod tests {
    use super::browser_name;

    #[test]
    fn common_user_agents_get_their_names() {
        for (ua, name) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 HeadlessChrome/131.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            ("curl/8.5.0", "a browser on an unknown system"),
            ("", "a browser on an unknown system"),
        ] {
            assert_eq!(browser_name(ua), name, "{ua}");
        }
    }

    #[test]
    fn a_long_or_odd_header_never_panics() {
        let long = format!("{}Firefox/1 Linux", "é".repeat(400));
        assert_eq!(browser_name(&long), "a browser on an unknown system");
        assert_eq!(
            browser_name(&"\u{0}".repeat(10_000)),
            "a browser on an unknown system"
        );
    }
}
