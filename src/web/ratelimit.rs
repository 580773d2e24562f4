//! Per-client-address request limits: `governor`'s keyed GCRA (one state per address, constant
//! time per check).
//!
//! `/graphql`, the pages and calendars (every `GET` for a person or a calendar app rather than
//! for a federating server: see `web::is_page_request`) and the inboxes are limited by
//! middleware (HTTP 429 with `Retry-After`); `register`, `login` and `refreshToken` by their
//! resolvers (`RATE_LIMITED`); operations sent over a GraphQL WebSocket count against the
//! `/graphql` limit. The client address is [`client_addr`]'s, the only place it is derived.
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpRequest;
use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::StateStore;
use governor::{Quota, RateLimiter};

use crate::config::Config;

/// Who a request comes from, as every per-address limit sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddr {
    /// The key the limits count under: an IP address, or what the trusted proxy wrote.
    pub ip: String,
    /// The address is the connection's own peer (not a forwarded one) and a loopback address:
    /// the only case `WEAVE_RATE_LIMIT_EXEMPT_LOOPBACK` may exempt.
    local_peer: bool,
}

impl ClientAddr {
    /// An address nobody could tell (no peer address): limited, never exempt.
    pub fn unknown() -> Self {
        ClientAddr { ip: "unknown".into(), local_peer: false }
    }

    fn peer(peer: Option<SocketAddr>) -> Self {
        match peer {
            Some(p) => ClientAddr { ip: p.ip().to_string(), local_peer: p.ip().is_loopback() },
            None => ClientAddr::unknown(),
        }
    }
}

/// Longest forwarded entry kept as a key when it is not an IP address.
const MAX_FORWARDED_ENTRY: usize = 64;

/// The client address of a request. Without `WEAVE_TRUST_PROXY` it is the TCP peer. With it, it
/// is the `X-Forwarded-For` entry `WEAVE_TRUSTED_PROXY_HOPS` places from the right: each proxy
/// appends the address it received the request from, so the rightmost entries are written by
/// our proxies and everything left of them by the client (never believed). A shorter list than
/// the hops means the request skipped a proxy: its leftmost entry is then the one a proxy of
/// ours wrote. A forwarded address is never exempt from a limit, loopback or not. `Forwarded`
/// is not read: proxies that append to `X-Forwarded-For` pass a client's `Forwarded` on as is.
pub fn client_addr(config: &Config, req: &HttpRequest) -> ClientAddr {
    if !config.trust_proxy {
        return ClientAddr::peer(req.peer_addr());
    }
    // Several header lines are one list, in order.
    let entries: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let Some(entry) = entries.get(entries.len().saturating_sub(config.trusted_proxy_hops.max(1))) else {
        return ClientAddr::peer(req.peer_addr());
    };
    let ip = match forwarded_ip(entry) {
        Some(ip) => ip.to_string(),
        None => entry.chars().take(MAX_FORWARDED_ENTRY).collect(),
    };
    ClientAddr { ip, local_peer: false }
}

/// An `X-Forwarded-For` entry's address: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or
/// `[2001:db8::1]:4711`.
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| entry.strip_prefix('[').and_then(|e| e.strip_suffix(']')).and_then(|e| e.parse().ok()))
}

/// Addresses remembered at most by one limit (about 100 bytes each). Every [`PRUNE_EVERY`]
/// checks, addresses whose allowance has refilled are forgotten (`retain_recent`: their state is
/// the same as a fresh one's); if more remain than this, all are (each starts again with a full
/// allowance).
const MAX_TRACKED: usize = 100_000;

/// Checks between two prunings of one limit.
const PRUNE_EVERY: u32 = 4096;

/// `governor`'s map of per-address states, shared with the limiter so that [`KeyedLimiter`] can
/// empty it when it is over [`MAX_TRACKED`] (`RateLimiter` has no `clear`).
#[derive(Clone, Default)]
struct Store(Arc<DashMapStateStore<String>>);

impl StateStore for Store {
    type Key = String;

    fn measure_and_replace<T, F, E>(&self, key: &String, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        self.0.measure_and_replace(key, f)
    }
}

impl ShrinkableKeyedStateStore<String> for Store {
    fn retain_recent(&self, drop_below: Nanos) {
        self.0.retain_recent(drop_below)
    }

    fn shrink_to_fit(&self) {
        ShrinkableKeyedStateStore::shrink_to_fit(&*self.0)
    }

    fn len(&self) -> usize {
        ShrinkableKeyedStateStore::len(&*self.0)
    }

    fn is_empty(&self) -> bool {
        ShrinkableKeyedStateStore::is_empty(&*self.0)
    }
}

type Limiter<C> = RateLimiter<String, Store, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// `per_minute` requests a minute per address on average, in bursts of up to `per_minute` (a
/// fresh client may spend a minute's allowance at once; then one request every `60 / per_minute`
/// seconds). 0 disables the limit. The clock is `governor`'s; tests drive a fake one.
pub struct KeyedLimiter<C: Clock = MonotonicClock> {
    /// `None`: no limit.
    limiter: Option<Limiter<C>>,
    store: Store,
    /// A loopback peer passes unlimited (see `Config::rate_limit_exempt_loopback`).
    exempt_loopback: bool,
    checks: AtomicU32,
}

impl KeyedLimiter {
    pub fn per_minute(per_minute: u32) -> Self {
        KeyedLimiter::with_clock(per_minute, MonotonicClock)
    }
}

impl<C: Clock> KeyedLimiter<C> {
    fn with_clock(per_minute: u32, clock: C) -> Self {
        let store = Store::default();
        let limiter = NonZeroU32::new(per_minute).map(|n| RateLimiter::new(Quota::per_minute(n), store.clone(), clock));
        KeyedLimiter { limiter, store, exempt_loopback: false, checks: AtomicU32::new(0) }
    }

    /// Lets requests whose own peer is this machine through unlimited.
    pub fn exempting_loopback(mut self, exempt: bool) -> Self {
        self.exempt_loopback = exempt;
        self
    }

    /// Counts one request for `client`; `Err` says how long until one would be allowed.
    pub fn check(&self, client: &ClientAddr) -> Result<(), Duration> {
        if self.exempt_loopback && client.local_peer {
            return Ok(());
        }
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune(limiter);
        }
        limiter.check_key(&client.ip).map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }

    fn prune(&self, limiter: &Limiter<C>) {
        limiter.retain_recent();
        if limiter.len() > MAX_TRACKED {
            tracing::warn!(addresses = limiter.len(), "rate limit: too many addresses tracked; forgetting all");
            self.store.0.clear();
            limiter.shrink_to_fit();
        }
    }

    /// Addresses remembered now.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.limiter.as_ref().map_or(0, |l| l.len())
    }
}

/// Every limit of one instance.
pub struct RateLimits {
    pub graphql: KeyedLimiter,
    /// Pages and calendars: as many a minute as `/graphql`, in a bucket of their own.
    pub pages: KeyedLimiter,
    pub auth: KeyedLimiter,
    pub inbox: KeyedLimiter,
    /// Inbox requests being processed at once (each may fetch the sender's actor and keys).
    pub inbox_in_flight: std::sync::Arc<tokio::sync::Semaphore>,
}

impl RateLimits {
    pub fn new(config: &Config) -> Self {
        let limiter =
            |per_minute| KeyedLimiter::per_minute(per_minute).exempting_loopback(config.rate_limit_exempt_loopback);
        RateLimits {
            graphql: limiter(config.rate_limit_graphql_per_minute),
            pages: limiter(config.rate_limit_graphql_per_minute),
            auth: limiter(config.rate_limit_auth_per_minute),
            inbox: limiter(config.rate_limit_inbox_per_minute),
            inbox_in_flight: std::sync::Arc::new(tokio::sync::Semaphore::new(config.inbox_concurrency.max(1))),
        }
    }
}

/// How long an inbox POST waits for its turn before answering 503.
pub const INBOX_QUEUE_WAIT: Duration = Duration::from_secs(10);

/// Seconds for `Retry-After`, rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    use governor::clock::FakeRelativeClock;

    fn key(ip: &str) -> ClientAddr {
        ClientAddr { ip: ip.into(), local_peer: false }
    }

    #[test]
    fn allowances_refill_and_keys_are_separate() {
        let clock = FakeRelativeClock::default();
        let l = KeyedLimiter::with_clock(60, clock.clone());
        for _ in 0..60 {
            assert!(l.check(&key("a")).is_ok());
        }
        let wait = l.check(&key("a")).err();
        assert!(wait.is_some_and(|w| w > Duration::ZERO && w <= Duration::from_secs(1)), "{wait:?}");
        assert!(l.check(&key("b")).is_ok());
        clock.advance(Duration::from_secs(1));
        assert!(l.check(&key("a")).is_ok());
        assert!(l.check(&key("a")).is_err());
    }

    #[test]
    fn the_wait_is_the_time_until_the_next_request_is_allowed() {
        let clock = FakeRelativeClock::default();
        let l = KeyedLimiter::with_clock(2, clock.clone());
        assert!(l.check(&key("a")).is_ok());
        assert!(l.check(&key("a")).is_ok());
        assert_eq!(l.check(&key("a")).err(), Some(Duration::from_secs(30)));
        clock.advance(Duration::from_secs(20));
        assert_eq!(l.check(&key("a")).err(), Some(Duration::from_secs(10)));
        assert_eq!(retry_after_secs(Duration::from_secs(10)), 10);
    }

    #[test]
    fn refilled_addresses_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let l = KeyedLimiter::with_clock(60, clock.clone());
        for i in 0..PRUNE_EVERY - 1 {
            assert!(l.check(&key(&i.to_string())).is_ok());
        }
        assert_eq!(l.tracked(), PRUNE_EVERY as usize - 1);
        clock.advance(Duration::from_secs(61));
        // The next check prunes first: every address so far has its full allowance back.
        assert!(l.check(&key("last")).is_ok());
        assert_eq!(l.tracked(), 1);
    }

    #[test]
    fn memory_stays_bounded_when_every_address_is_new() {
        let l = KeyedLimiter::with_clock(60, FakeRelativeClock::default());
        for i in 0..MAX_TRACKED as u32 + PRUNE_EVERY {
            assert!(l.check(&key(&i.to_string())).is_ok());
        }
        assert!(l.tracked() < PRUNE_EVERY as usize, "{}", l.tracked());
    }

    fn peer(addr: &str) -> ClientAddr {
        ClientAddr::peer(addr.parse().ok())
    }

    #[test]
    fn a_loopback_peer_may_be_exempt_a_forwarded_loopback_never() {
        let l = KeyedLimiter::per_minute(1).exempting_loopback(true);
        for addr in ["127.0.0.1:1", "[::1]:2", "127.0.0.2:4000", "127.0.0.1:1"] {
            assert!(l.check(&peer(addr)).is_ok(), "{addr}");
        }
        assert!(l.check(&peer("192.0.2.1:1")).is_ok());
        assert!(l.check(&peer("192.0.2.1:1")).is_err(), "others are limited");
        let forwarded = ClientAddr { ip: "127.0.0.1".into(), local_peer: false };
        assert!(l.check(&forwarded).is_ok());
        assert!(l.check(&forwarded).is_err(), "a forwarded loopback address is limited");
        let strict = KeyedLimiter::per_minute(1);
        assert!(strict.check(&peer("127.0.0.1:1")).is_ok());
        assert!(strict.check(&peer("127.0.0.1:1")).is_err());
    }

    #[test]
    fn forwarded_entries_parse_with_or_without_port() {
        assert_eq!(forwarded_ip("192.0.2.1"), "192.0.2.1".parse().ok());
        assert_eq!(forwarded_ip("192.0.2.1:4711"), "192.0.2.1".parse().ok());
        assert_eq!(forwarded_ip("2001:db8::1"), "2001:db8::1".parse().ok());
        assert_eq!(forwarded_ip("[2001:db8::1]:4711"), "2001:db8::1".parse().ok());
        assert_eq!(forwarded_ip("[2001:db8::1]"), "2001:db8::1".parse().ok());
        assert_eq!(forwarded_ip("unknown"), None);
    }

    #[test]
    fn zero_disables() {
        let l = KeyedLimiter::per_minute(0);
        for _ in 0..1000 {
            assert!(l.check(&ClientAddr::unknown()).is_ok());
        }
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }
}
