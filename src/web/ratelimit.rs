//! Per-client-address request limits: a token bucket per address, refilled continuously.
//!
//! `/graphql`, the pages and calendars (every `GET` for a person or a calendar app rather than
//! for a federating server: see `web::is_page_request`) and the inboxes are limited by middleware (HTTP 429 with `Retry-After`);
//! `register`, `login` and `refreshToken` by their resolvers (`RATE_LIMITED`). The client
//! address is the peer's, or the forwarded one when `WEAVE_TRUST_PROXY` is set.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::Config;

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
    /// Loopback addresses pass unlimited (see `Config::rate_limit_exempt_loopback`).
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

    /// Lets loopback addresses (this machine) through unlimited.
    pub fn exempting_loopback(mut self, exempt: bool) -> Self {
        self.exempt_loopback = exempt;
        self
    }

    /// Takes one token for `key`; `Err` says how long until one is available.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.capacity < 1.0 || (self.exempt_loopback && is_loopback(key)) {
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

/// Whether a client address (`ip` or `ip:port`) is a loopback address.
fn is_loopback(addr: &str) -> bool {
    use std::net::{IpAddr, SocketAddr};
    addr.parse::<IpAddr>()
        .map(|ip| ip.is_loopback())
        .or_else(|_| addr.parse::<SocketAddr>().map(|s| s.ip().is_loopback()))
        .unwrap_or(false)
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

    #[test]
    fn loopback_may_be_exempt() {
        let l = KeyedLimiter::per_minute(1).exempting_loopback(true);
        for addr in ["127.0.0.1", "::1", "127.0.0.2:4000", "127.0.0.1", "::1"] {
            assert!(l.check(addr).is_ok(), "{addr}");
        }
        assert!(l.check("192.0.2.1").is_ok());
        assert!(l.check("192.0.2.1").is_err(), "others are limited");
        let strict = KeyedLimiter::per_minute(1);
        assert!(strict.check("127.0.0.1").is_ok());
        assert!(strict.check("127.0.0.1").is_err());
    }

    #[test]
    fn zero_disables() {
        let l = KeyedLimiter::per_minute(0);
        for _ in 0..1000 {
            assert!(l.check("a").is_ok());
        }
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }
}
