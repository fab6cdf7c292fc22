//! The demo's configuration, read once at start from flags or `ASSENT_DEMO_*`
//! environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// `assent-demo`: a small login site that uses Assent for its second factor.
#[derive(Debug, Clone, Parser)]
#[command(name = "assent-demo", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "ASSENT_DEMO_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Directory for the SQLite files (`demo.sqlite` for users and sessions,
    /// `rp.sqlite` for the RP library's state) and the simulated phone.
    /// Created if missing. Default: the platform data directory +
    /// `/assent-demo` (e.g. `~/.local/share/assent-demo`).
    #[arg(long, env = "ASSENT_DEMO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// The URL people open, e.g. `https://login.example.com` behind a TLS
    /// proxy. Cookies are `Secure` (and `__Host-` prefixed) when it is https.
    /// Default: `http://<listen>`.
    #[arg(long, env = "ASSENT_DEMO_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The RP id bound into every offer, challenge and answer (the site's
    /// domain).
    #[arg(
        long,
        env = "ASSENT_DEMO_RP_ID",
        default_value = "demo.assent.localhost"
    )]
    pub rp_id: String,

    /// The site's name, shown in the authenticator app.
    #[arg(long, env = "ASSENT_DEMO_ISSUER", default_value = "Assent demo")]
    pub issuer: String,

    /// URL of a running Assent relay. Without it the demo starts the real
    /// relay in this process (over TLS on `--embedded-relay-listen`, its files
    /// in `<data dir>/relay/`), and a simulated phone at `/phone`.
    #[arg(long, env = "ASSENT_DEMO_RELAY_URL")]
    pub relay_url: Option<String>,

    /// Loopback address of the embedded relay. Keep it fixed: enrolled
    /// phones remember the relay's URL.
    #[arg(
        long,
        env = "ASSENT_DEMO_EMBEDDED_RELAY_LISTEN",
        default_value = "127.0.0.1:3443"
    )]
    pub embedded_relay_listen: SocketAddr,

    /// The relay API key of this RP (with `--relay-url`).
    #[arg(long, env = "ASSENT_DEMO_RELAY_API_KEY", hide_env_values = true)]
    pub relay_api_key: Option<String>,

    /// An extra CA certificate (PEM) to trust for the relay's TLS, e.g. the
    /// test CA of a local relay.
    #[arg(long, env = "ASSENT_DEMO_RELAY_CA", value_name = "PEM")]
    pub relay_ca: Option<PathBuf>,

    /// Approval kind asked of the phone: `number` (type the 2-digit number
    /// shown) or `code` (type the 6-digit code shown).
    #[arg(long, env = "ASSENT_DEMO_APPROVAL", default_value = "number")]
    pub approval: String,

    /// Push requests per account per 10 minutes (the anti-bombing window of the RP
    /// library; its default is 5). The browser test logs in more often than a person.
    #[arg(long, env = "ASSENT_DEMO_PUSHES_PER_WINDOW", default_value_t = 5)]
    pub pushes_per_window: u32,
}

impl Config {
    /// The public URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        match &self.data_dir {
            Some(dir) => dir.clone(),
            None => dirs::data_dir()
                .map(|d| d.join("assent-demo"))
                .unwrap_or_else(|| PathBuf::from("assent-demo-data")),
        }
    }

    /// Whether cookies get the `Secure` attribute.
    pub fn secure_cookies(&self) -> bool {
        self.public_url().starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_are_local_and_plain_http() {
        let c = Config::try_parse_from(["assent-demo"]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url(), "http://127.0.0.1:3000");
        assert!(!c.secure_cookies());
        assert!(c.relay_url.is_none());
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let c =
            Config::try_parse_from(["assent-demo", "--public-url", "https://login.example.com/"])
                .unwrap();
        assert_eq!(c.public_url(), "https://login.example.com");
        assert!(c.secure_cookies());
    }
}
