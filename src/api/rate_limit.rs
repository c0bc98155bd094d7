//! Rate limits per token: a token bucket for every token (governor's keyed GCRA limiter),
//! refilled at [`RateLimit::per_second`] calls a second and holding at most
//! [`RateLimit::burst`]. A call beyond it is refused with RESOURCE_EXHAUSTED
//! (`RATE_LIMITED`) and a `google.rpc.RetryInfo` delay saying when the next call will pass.
//!
//! Only authenticated calls are counted (the authentication layer asks after `authorize`),
//! so health and reflection are never limited and the keys are ids of stored tokens. Memory
//! stays bounded however many tokens call: every [`RETAIN_EVERY`] checks, buckets that have
//! filled up again — indistinguishable from a token never seen — are dropped.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::{NoOpMiddleware, StateInformationMiddleware};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::ApiError;
use crate::domain::error::reasons;

/// Checks between two sweeps of full buckets.
pub const RETAIN_EVERY: u64 = 4096;

/// How many calls a token may make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls a second, sustained.
    pub per_second: NonZeroU32,
    /// Calls at once after a quiet spell (the bucket's size).
    pub burst: NonZeroU32,
}

type Keyed<C> = RateLimiter<String, DefaultKeyedStateStore<String>, C, StateInformationMiddleware>;

/// The buckets of every token; cheap to clone (clones share the buckets).
#[derive(Clone)]
pub struct TokenRateLimiter<C: Clock = DefaultClock> {
    limiter: Arc<Keyed<C>>,
    clock: C,
    limit: RateLimit,
    checks: Arc<AtomicU64>,
}

impl<C: Clock> std::fmt::Debug for TokenRateLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRateLimiter")
            .field("limit", &self.limit)
            .field("tokens", &self.limiter.len())
            .finish()
    }
}

impl TokenRateLimiter {
    /// Buckets of `limit` on the monotonic clock.
    pub fn new(limit: RateLimit) -> Self {
        TokenRateLimiter::with_clock(limit, DefaultClock::default())
    }
}

impl<C: Clock + Clone> TokenRateLimiter<C> {
    /// Buckets of `limit` on `clock`.
    pub fn with_clock(limit: RateLimit, clock: C) -> Self {
        let quota = Quota::per_second(limit.per_second).allow_burst(limit.burst);
        TokenRateLimiter {
            limiter: Arc::new(
                RateLimiter::<_, _, _, NoOpMiddleware<C::Instant>>::new(
                    quota,
                    DefaultKeyedStateStore::default(),
                    clock.clone(),
                )
                .with_middleware::<StateInformationMiddleware>(),
            ),
            clock,
            limit,
            checks: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Takes one call from token `token_id`'s bucket — answering the calls left in it — or
    /// refuses it with RESOURCE_EXHAUSTED (`RATE_LIMITED`) and the time until a call will
    /// pass.
    pub fn check(&self, token_id: &str) -> Result<u32, ApiError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        match self.limiter.check_key(&token_id.to_owned()) {
            Ok(snapshot) => Ok(snapshot.remaining_burst_capacity()),
            Err(not_until) => {
                crate::metrics::shed(reasons::RATE_LIMITED);
                let wait = not_until.wait_time_from(self.clock.now());
                Err(ApiError::ResourceExhausted {
                    reason: reasons::RATE_LIMITED,
                    message: format!(
                        "this token may make {} calls a second (bursts of {}); retry after \
                         {} ms",
                        self.limit.per_second,
                        self.limit.burst,
                        wait.as_millis().max(1)
                    ),
                    retry_after: Some(wait),
                })
            }
        }
    }

    /// The limit every token is held to.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Tokens with a bucket in memory (an estimate while calls are checked).
    pub fn tracked_tokens(&self) -> usize {
        self.limiter.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limiter(
        per_second: u32,
        burst: u32,
    ) -> (TokenRateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let limit = RateLimit {
            per_second: NonZeroU32::new(per_second).unwrap(),
            burst: NonZeroU32::new(burst).unwrap(),
        };
        (TokenRateLimiter::with_clock(limit, clock.clone()), clock)
    }

    #[test]
    fn a_burst_passes_then_calls_wait_their_turn_and_other_tokens_are_unaffected() {
        let (limiter, clock) = limiter(5, 3);
        for _ in 0..3 {
            limiter.check("a").unwrap();
        }
        let refused = limiter.check("a").unwrap_err();
        let ApiError::ResourceExhausted {
            reason,
            retry_after: Some(wait),
            ..
        } = refused
        else {
            panic!("expected RATE_LIMITED, got {refused:?}");
        };
        assert_eq!(reason, reasons::RATE_LIMITED);
        assert_eq!(wait, Duration::from_millis(200), "one call every 200 ms");
        limiter
            .check("b")
            .expect("another token has its own bucket");
        clock.advance(wait);
        limiter.check("a").expect("after the delay one call passes");
        assert!(limiter.check("a").is_err(), "and only one");
    }

    #[test]
    fn full_buckets_are_forgotten_so_memory_stays_bounded() {
        let (limiter, clock) = limiter(1000, 1);
        for i in 0..RETAIN_EVERY - 1 {
            limiter.check(&format!("token-{i}")).unwrap();
        }
        assert_eq!(limiter.tracked_tokens() as u64, RETAIN_EVERY - 1);
        clock.advance(Duration::from_millis(10));
        limiter.check("busy").unwrap();
        assert!(
            limiter.tracked_tokens() <= 1,
            "{} buckets left",
            limiter.tracked_tokens()
        );
    }
}
