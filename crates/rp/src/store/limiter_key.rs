//! What one limiter row counts ([`LimiterKey`]): one kind of guess at one account,
//! either from one source ([`Source`], the client address the login server saw) or, as
//! the account's hourly budget, from every source together.

use std::fmt;
use std::net::IpAddr;

use super::records::Guess;

/// Where an attempt comes from, as the login server sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Not given: every such attempt counts as from one and the same source.
    Unknown,
    /// The client's address. IPv6 addresses count by their /64 (what one host or home
    /// network gets); an IPv4-mapped address counts as its IPv4 address.
    Ip(IpAddr),
}

impl Source {
    /// The stored form: the IPv4 address, or the IPv6 /64 prefix; `None` for
    /// [`Source::Unknown`].
    fn stored(self) -> Option<String> {
        match self {
            Source::Unknown => None,
            Source::Ip(IpAddr::V4(v4)) => Some(v4.to_string()),
            Source::Ip(IpAddr::V6(v6)) => Some(match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            }),
        }
    }
}

impl From<IpAddr> for Source {
    fn from(ip: IpAddr) -> Self {
        Source::Ip(ip)
    }
}

/// Which count of an account's guesses of one kind a limiter row holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Scope {
    /// Attempts with no source given (the rows of stores written before sources).
    Unknown,
    /// Attempts from one source (its stored form).
    Source(String),
    /// Failures from every source together, within the account's hourly budget.
    Budget,
}

/// The key of one limiter row of an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LimiterKey {
    guess: Guess,
    scope: Scope,
}

impl LimiterKey {
    /// The count of `guess` attempts from `source`.
    pub fn from_source(guess: Guess, source: Source) -> Self {
        let scope = source.stored().map_or(Scope::Unknown, Scope::Source);
        Self { guess, scope }
    }

    /// The account's budget of `guess` failures from every source together.
    pub fn budget(guess: Guess) -> Self {
        Self {
            guess,
            scope: Scope::Budget,
        }
    }

    /// The kind of guess counted.
    pub fn guess(&self) -> Guess {
        self.guess
    }

    /// The stored name: the guess's ([`Guess::key`]) for attempts without a source,
    /// `<guess>@<source>` for one source, `<guess>#all` for the budget.
    pub fn key(&self) -> String {
        match &self.scope {
            Scope::Unknown => self.guess.key(),
            Scope::Source(source) => format!("{}@{source}", self.guess.key()),
            Scope::Budget => format!("{}#all", self.guess.key()),
        }
    }
}

impl From<Guess> for LimiterKey {
    /// The count of `guess` attempts with no source given.
    fn from(guess: Guess) -> Self {
        Self::from_source(guess, Source::Unknown)
    }
}

impl fmt::Display for LimiterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Source {
        Source::Ip(text.parse().unwrap())
    }

    #[test]
    fn keys_name_the_guess_and_the_source() {
        assert_eq!(LimiterKey::from(Guess::Totp).key(), "totp");
        assert_eq!(
            LimiterKey::from_source(Guess::Totp, ip("203.0.113.7")).key(),
            "totp@203.0.113.7"
        );
        assert_eq!(
            LimiterKey::from_source(Guess::BackupCode, ip("::ffff:203.0.113.7")).key(),
            "backup_code@203.0.113.7"
        );
        assert_eq!(LimiterKey::budget(Guess::Totp).key(), "totp#all");
    }

    #[test]
    fn an_ipv6_host_counts_by_its_64() {
        let a = LimiterKey::from_source(Guess::Totp, ip("2001:db8:1:2:aaaa::1"));
        let b = LimiterKey::from_source(Guess::Totp, ip("2001:db8:1:2:ffff:1:2:3"));
        let other = LimiterKey::from_source(Guess::Totp, ip("2001:db8:1:3::1"));
        assert_eq!(a, b);
        assert_ne!(a, other);
        assert_eq!(a.key(), "totp@2001:db8:1:2::/64");
    }
}
