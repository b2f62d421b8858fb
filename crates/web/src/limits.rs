//! How often one client may try: passwords, patient links and API calls. Each limit is a GCRA
//! bucket (governor) per key, held in this process: a burst, then one more try per period. A
//! refused try is answered 429 with `Retry-After` before any password is checked or any
//! database row is read, and alike for existing and unknown accounts.
//!
//! Logins are limited three ways: per client address (a hospital's NAT may put a whole ward
//! behind one, so it is generous), per address and account (the tight one: guessing one
//! colleague's password from one machine), and per account from anywhere (slows guessing spread
//! over many addresses). No limit locks an account for everyone: the nurse at her own
//! workstation keeps her own address-and-account bucket.
//!
//! The client address is the TCP peer, or — when the peer is a configured trusted proxy — the
//! last address in `X-Forwarded-For` that is not itself a trusted proxy.

use crate::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::{BuildHasher, Hash};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// One limit: `burst` tries at once, then one more every `period`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub burst: u32,
    pub period: Duration,
}

impl Rule {
    const fn new(burst: u32, period_ms: u64) -> Rule {
        Rule {
            burst,
            period: Duration::from_millis(period_ms),
        }
    }

    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(self.period)
            .unwrap_or_else(|| Quota::with_period(Duration::from_nanos(1)).unwrap_or(Quota::per_second(burst)))
            .allow_burst(burst)
    }
}

/// Logins from one address, any account: 100 at once (a ward's morning shift behind one NAT),
/// then one every 3 s.
pub const LOGIN_PER_ADDRESS: Rule = Rule::new(100, 3_000);
/// Logins to one account from one address: 10 at once, then one a minute.
pub const LOGIN_PER_ADDRESS_AND_ACCOUNT: Rule = Rule::new(10, 60_000);
/// Logins to one account from anywhere: 30 at once, then one a minute (1,440 a day at most).
pub const LOGIN_PER_ACCOUNT: Rule = Rule::new(30, 60_000);
/// Patient-link opens and answers (each screen of a step-by-step questionnaire is one) from one
/// address: 120 at once, then one every 2 s — a centre's waiting-room tablet stays well within
/// it, a flood of guesses does not.
pub const LINK_PER_ADDRESS: Rule = Rule::new(120, 2_000);
/// API calls with one bearer token: 1,000 at once, then 100 a second.
pub const API_PER_TOKEN: Rule = Rule::new(1_000, 10);

/// Keyed buckets of one rule, forgetting idle keys now and then so memory stays bounded.
struct Bucket<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> Bucket<K> {
    fn new(rule: Rule) -> Self {
        Bucket {
            limiter: RateLimiter::keyed(rule.quota()),
            checks: AtomicU64::new(0),
        }
    }

    /// Take one try for `key`, or say how long until one is free.
    fn take(&self, key: &K) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// A wait as `Retry-After` says it: whole seconds, rounded up, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The limits of one server process.
pub struct Limits {
    login_address: Bucket<IpAddr>,
    login_address_account: Bucket<(IpAddr, String)>,
    login_account: Bucket<String>,
    link_address: Bucket<IpAddr>,
    api_token: Bucket<u64>,
    /// Keys API buckets by a keyed hash of the token, so no token is held in memory for this.
    token_hasher: std::collections::hash_map::RandomState,
}

impl Default for Limits {
    /// The limits a server runs with.
    fn default() -> Self {
        Limits::with([
            LOGIN_PER_ADDRESS,
            LOGIN_PER_ADDRESS_AND_ACCOUNT,
            LOGIN_PER_ACCOUNT,
            LINK_PER_ADDRESS,
            API_PER_TOKEN,
        ])
    }
}

/// The account a login names, as a bucket key: trimmed, lower-cased, bounded.
fn account_key(username: &str) -> String {
    username.trim().chars().take(64).flat_map(char::to_lowercase).collect()
}

impl Limits {
    fn with([address, address_account, account, link, api]: [Rule; 5]) -> Self {
        Limits {
            login_address: Bucket::new(address),
            login_address_account: Bucket::new(address_account),
            login_account: Bucket::new(account),
            link_address: Bucket::new(link),
            api_token: Bucket::new(api),
            token_hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// No practical limit: for the benchmarks, which measure the work behind a request from
    /// one address rather than the limiter.
    pub fn unlimited() -> Self {
        Limits::with([Rule::new(u32::MAX, 0); 5])
    }

    /// One login try from `ip` naming `username`; `Err` holds the wait before the next.
    pub fn login(&self, ip: Option<IpAddr>, username: &str) -> Result<(), Duration> {
        let account = account_key(username);
        if let Some(ip) = ip {
            self.login_address.take(&ip)?;
            self.login_address_account.take(&(ip, account.clone()))?;
        }
        self.login_account.take(&account)
    }

    /// One open or answer of a patient link from `ip`.
    pub fn link(&self, ip: Option<IpAddr>) -> Result<(), Duration> {
        ip.map_or(Ok(()), |ip| self.link_address.take(&ip))
    }

    /// One API call with `token`.
    pub fn api(&self, token: &str) -> Result<(), Duration> {
        self.api_token.take(&self.token_hasher.hash_one(token))
    }
}

/// The address a request comes from (see the module comment), put in its extensions by
/// [`client_address`].
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// The client behind `peer`: `peer` itself unless it is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not a trusted proxy (entries further left are
/// whatever the client wrote, so they are never believed).
pub fn resolve_client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    for entry in header.rsplit(',') {
        match entry.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            Err(_) => return peer,
        }
    }
    peer
}

/// Middleware: resolve the client address once per request.
pub async fn client_address(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(peer) = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        let forwarded = Some(forwarded.as_str()).filter(|f| !f.is_empty());
        let ip = resolve_client_ip(peer, forwarded, &state.trusted_proxies);
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy = [ip("10.0.0.2")];
        let xff = Some("1.2.3.4, 203.0.113.9");
        assert_eq!(resolve_client_ip(ip("198.51.100.7"), xff, &proxy), ip("198.51.100.7"));
        assert_eq!(resolve_client_ip(ip("10.0.0.2"), xff, &proxy), ip("203.0.113.9"));
        assert_eq!(resolve_client_ip(ip("10.0.0.2"), None, &proxy), ip("10.0.0.2"));
        assert_eq!(resolve_client_ip(ip("10.0.0.2"), Some("junk"), &proxy), ip("10.0.0.2"));
        // Two proxies in a row: the first untrusted address from the right is the client.
        let two = [ip("10.0.0.2"), ip("10.0.0.3")];
        assert_eq!(
            resolve_client_ip(ip("10.0.0.2"), Some("6.6.6.6, 203.0.113.9, 10.0.0.3"), &two),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_burst_is_allowed_then_one_more_per_period_per_key() {
        let rule = Rule::new(3, 60_000);
        let bucket = Bucket::new(rule);
        for _ in 0..3 {
            assert!(bucket.take(&1u8).is_ok());
        }
        let wait = bucket.take(&1u8).unwrap_err();
        assert!(
            wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        assert!(bucket.take(&2u8).is_ok(), "another key has its own bucket");
    }

    #[test]
    fn an_account_is_limited_per_address_without_locking_it_elsewhere() {
        let limits = Limits::default();
        let attacker = Some(ip("203.0.113.9"));
        for _ in 0..LOGIN_PER_ADDRESS_AND_ACCOUNT.burst {
            assert!(limits.login(attacker, "nurse.wang").is_ok());
        }
        assert!(
            limits.login(attacker, " Nurse.Wang ").is_err(),
            "the same account, spelt otherwise"
        );
        assert!(
            limits.login(Some(ip("10.1.2.3")), "nurse.wang").is_ok(),
            "her own workstation"
        );
        assert!(
            limits.login(attacker, "dr.li").is_ok(),
            "another account from the same address"
        );
    }
}
