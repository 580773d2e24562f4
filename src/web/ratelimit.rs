//! Per-client-address request limits: a token bucket per address, refilled continuously.
//!
//! `/graphql`, the pages and calendars (every `GET` for a person or a calendar app rather than
//! for a federating server: see `web::is_page_request`) and the inboxes are limited by
//! middleware (HTTP 429 with `Retry-After`); `register`, `login` and `refreshToken` by their
//! resolvers (`RATE_LIMITED`); operations sent over a GraphQL WebSocket count against the
//! `/graphql` limit. The client address is [`client_addr`]'s, the only place it is derived.
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

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

/// Addresses remembered at most; past this, buckets that have refilled are forgotten, and if
/// none has, the oldest half.
const MAX_TRACKED: usize = 100_000;

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// A token bucket per key: `per_minute` requests a minute on average, bursts of up to
/// `per_minute` (a fresh client may spend a minute's allowance at once). 0 disables the limit.
pub struct KeyedLimiter {
    capacity: f64,
    per_sec: f64,
    /// A loopback peer passes unlimited (see `Config::rate_limit_exempt_loopback`).
    exempt_loopback: bool,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl KeyedLimiter {
    pub fn per_minute(per_minute: u32) -> Self {
        KeyedLimiter {
            capacity: f64::from(per_minute),
            per_sec: f64::from(per_minute) / 60.0,
            exempt_loopback: false,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Lets requests whose own peer is this machine through unlimited.
    pub fn exempting_loopback(mut self, exempt: bool) -> Self {
        self.exempt_loopback = exempt;
        self
    }

    /// Takes one token for `client`; `Err` says how long until one is available.
    pub fn check(&self, client: &ClientAddr) -> Result<(), Duration> {
        if self.exempt_loopback && client.local_peer {
            return Ok(());
        }
        self.check_at(&client.ip, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.capacity < 1.0 {
            return Ok(());
        }
        // A poisoned lock only means another request panicked mid-update: the map is still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(key) {
            self.forget(&mut buckets, now);
        }
        let bucket = buckets.entry(key.to_string()).or_insert_with(|| Bucket { tokens: self.capacity, updated: now });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_sec).min(self.capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_sec))
        }
    }

    fn forget(&self, buckets: &mut HashMap<String, Bucket>, now: Instant) {
        let full_after = Duration::from_secs_f64(self.capacity / self.per_sec);
        buckets.retain(|_, b| now.saturating_duration_since(b.updated) < full_after);
        if buckets.len() >= MAX_TRACKED {
            let mut ages: Vec<Instant> = buckets.values().map(|b| b.updated).collect();
            ages.sort_unstable();
            if let Some(&cutoff) = ages.get(ages.len() / 2) {
                buckets.retain(|_, b| b.updated > cutoff);
            }
        }
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

    #[test]
    fn buckets_refill_and_keys_are_separate() {
        let l = KeyedLimiter::per_minute(60);
        let t0 = Instant::now();
        for _ in 0..60 {
            assert!(l.check_at("a", t0).is_ok());
        }
        let wait = l.check_at("a", t0).err();
        assert!(wait.is_some_and(|w| w <= Duration::from_secs(1)), "{wait:?}");
        assert!(l.check_at("b", t0).is_ok());
        assert!(l.check_at("a", t0 + Duration::from_secs(1)).is_ok());
        assert!(l.check_at("a", t0 + Duration::from_secs(1)).is_err());
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
