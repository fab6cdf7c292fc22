//! Where a webhook may go (issue 13 finding 7, SSRF): only to public addresses. A URL
//! naming a loopback, private, shared (CGNAT), link-local (cloud metadata at
//! 169.254.169.254 included), multicast, documentation or otherwise reserved address is
//! refused when it is set and again before each delivery; a host name is resolved by
//! [`PublicResolver`], which hands reqwest only the public addresses it found, so the
//! request connects to an address that was checked (no second lookup an attacker's DNS
//! could answer differently). The operator may open internal networks of its own
//! (`--webhook-allow-network`, [`Destinations::networks`]); loopback is allowed only in
//! the test and development mode that also allows loopback `http://`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::Network;

/// Where webhooks may go: public addresses, the operator's allowed networks, and
/// loopback in the test and development mode.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    /// Loopback addresses and loopback `http://` URLs allowed (tests, development).
    pub allow_loopback: bool,
    /// Internal networks the operator allows besides public addresses.
    pub networks: Arc<[Network]>,
}

impl Destinations {
    /// Public addresses and the operator's `networks`.
    pub fn with_networks(networks: &[Network]) -> Self {
        Self {
            allow_loopback: false,
            networks: networks.into(),
        }
    }

    /// Public addresses and loopback, `http://` included (tests and development).
    #[cfg(test)]
    pub fn with_loopback() -> Self {
        Self {
            allow_loopback: true,
            networks: Arc::new([]),
        }
    }

    /// Whether a webhook may be delivered to `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        if self.allow_loopback && ip.is_loopback() {
            return true;
        }
        let public = match ip {
            IpAddr::V4(v4) => public_v4(v4),
            IpAddr::V6(v6) => public_v6(v6),
        };
        public || self.networks.iter().any(|n| n.contains(ip))
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT), RFC 6598
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, RFC 6890
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, RFC 2544
        || a >= 240) // reserved, RFC 1112
}

fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, RFC 4193
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation, RFC 3849
        || first == 0x0100) // discard-only, RFC 6666
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::/96`)
/// address, which reaches that IPv4 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0])
        .then(|| Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7])))
}

/// A resolver that keeps only the addresses a webhook may go to, and fails when none
/// is left.
#[derive(Debug, Clone)]
pub struct PublicResolver {
    /// What is allowed.
    pub destinations: Destinations,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let destinations = self.destinations.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| destinations.allows(a.ip()))
                .collect();
            if found.is_empty() {
                return Err("webhook host resolves to no allowed address".into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn allowed(ip: IpAddr, allow_loopback: bool) -> bool {
        let destinations = if allow_loopback {
            Destinations::with_loopback()
        } else {
            Destinations::default()
        };
        destinations.allows(ip)
    }

    #[test]
    fn public_addresses_pass() {
        for good in ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "1.1.1.1"] {
            assert!(allowed(ip(good), false), "{good}");
        }
    }

    #[test]
    fn internal_and_reserved_addresses_are_refused() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!allowed(ip(bad), false), "{bad}");
        }
    }

    #[test]
    fn loopback_only_in_the_loopback_mode() {
        assert!(allowed(ip("127.0.0.1"), true));
        assert!(allowed(ip("::1"), true));
        assert!(!allowed(ip("10.0.0.1"), true));
    }

    #[test]
    fn the_operator_opens_its_own_networks_only() {
        let networks: Vec<Network> = vec!["10.20.0.0/16".parse().unwrap()];
        let destinations = Destinations::with_networks(&networks);
        assert!(destinations.allows(ip("10.20.1.2")));
        assert!(destinations.allows(ip("::ffff:10.20.1.2")));
        assert!(destinations.allows(ip("93.184.215.14")));
        for still_refused in ["10.21.0.1", "127.0.0.1", "169.254.169.254", "192.168.1.1"] {
            assert!(!destinations.allows(ip(still_refused)), "{still_refused}");
        }
    }

    #[tokio::test]
    async fn the_resolver_drops_what_is_not_allowed() {
        let refuse = PublicResolver {
            destinations: Destinations::default(),
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(refuse.resolve(name).await.is_err());
        let allow = PublicResolver {
            destinations: Destinations::with_loopback(),
        };
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = allow.resolve(name).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    /// The delivery client never even connects to a name that resolves to loopback.
    #[tokio::test]
    async fn deliveries_to_a_name_for_an_internal_address_never_connect() {
        use std::time::Duration;

        use crate::webhook::transport::{HttpTransport, WebhookTransport as _};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let transport =
            HttpTransport::new(Duration::from_secs(2), Destinations::default()).unwrap();
        let sent = transport
            .post(
                &format!("https://localhost:{port}/hook"),
                &[],
                b"{}".to_vec(),
            )
            .await;
        assert!(sent.is_err(), "{sent:?}");
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "no connection was made");
    }
}
