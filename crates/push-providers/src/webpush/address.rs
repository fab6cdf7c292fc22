//! Where a Web Push request may connect: the [`AddressPolicy`] seam and a resolver that
//! keeps only the addresses it allows.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which addresses a push to a phone-chosen endpoint may connect to (the relay
/// implements it with its outbound rules: public addresses and the operator's networks).
pub trait AddressPolicy: Send + Sync + 'static {
    /// Whether a request may go to `ip`.
    fn allows(&self, ip: IpAddr) -> bool;
}

/// Resolves names and keeps only the addresses `policy` allows; fails when none is left,
/// so the request connects only to an address that was checked (no second lookup).
#[derive(Clone)]
pub(crate) struct FilteringResolver {
    pub(crate) policy: Arc<dyn AddressPolicy>,
}

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| policy.allows(a.ip()))
                .collect();
            if found.is_empty() {
                return Err("Web Push endpoint resolves to no allowed address".into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Whether the host of `url` may be contacted without a lookup: an address literal must
/// be allowed; a name is checked by [`FilteringResolver`] when resolved.
pub(crate) fn literal_allowed(url: &reqwest::Url, policy: &dyn AddressPolicy) -> bool {
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => policy.allows(ip),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct PublicOnly;
    impl AddressPolicy for PublicOnly {
        fn allows(&self, ip: IpAddr) -> bool {
            !ip.is_loopback()
        }
    }

    #[tokio::test]
    async fn literals_and_names_are_filtered() {
        let u = |s: &str| reqwest::Url::parse(s).unwrap();
        assert!(!literal_allowed(&u("https://127.0.0.1/x"), &PublicOnly));
        assert!(!literal_allowed(&u("https://[::1]/x"), &PublicOnly));
        assert!(literal_allowed(&u("https://93.184.215.14/x"), &PublicOnly));
        assert!(literal_allowed(&u("https://push.example/x"), &PublicOnly));
        let resolver = FilteringResolver {
            policy: Arc::new(PublicOnly),
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(resolver.resolve(name).await.is_err());
    }
}
