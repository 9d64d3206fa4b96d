//! Pacing by usage plan: one token bucket per (region, seller or application, operation), as
//! SP-API meters calls, so that a burst above the plan waits here instead of failing there.
//!
//! A bucket starts from Amazon's published plan. SP-API's `x-amzn-RateLimit-Limit` header tells
//! the rate actually applied (a seller may have a larger plan): the bucket takes it, and scales the
//! burst alike, since the header does not carry it. A 429 says the server's bucket is empty: the
//! local one is emptied too. Waiting is by reservation (a call takes its token ahead and sleeps
//! until the bucket would have refilled it), so waiters are served in order without waking each
//! other; a change of plan wakes them all to reserve again under the new one.

use crate::config::Region;
use spapi::Plan;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The most buckets kept; past it, idle full buckets (which behave like absent ones) are dropped.
const MAX_BUCKETS: usize = 50_000;
/// No reservation is honoured further out than this, whatever the plan says.
const LONGEST_WAIT_SECS: f64 = 86_400.0;

/// Whose bucket: SP-API meters per application and selling partner (or per application for
/// grantless operations), per operation, per region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct BucketKey {
    pub region: Region,
    /// The selling partner, or `-` for grantless calls.
    pub owner: String,
    pub api: &'static str,
    pub operation: &'static str,
}

#[derive(Debug)]
struct State {
    published: Plan,
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
    /// Whether SP-API has answered for this bucket yet: until then the published plan is only a
    /// guess, and a long wait is not a reason to give up.
    calibrated: bool,
}

impl State {
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.at = self.at.max(now);
    }
}

#[derive(Debug)]
struct Bucket {
    state: Mutex<State>,
    /// Woken when the plan changes or is first confirmed.
    changed: Notify,
}

impl Bucket {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The buckets.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    buckets: Mutex<HashMap<BucketKey, Arc<Bucket>>>,
}

/// A plausible `x-amzn-RateLimit-Limit` value.
pub(crate) fn parse_rate(header: &str) -> Option<f64> {
    header.trim().parse::<f64>().ok().filter(|r| r.is_finite() && *r > 0.0 && *r < 1e6)
}

impl Limiter {
    fn bucket(&self, key: &BucketKey, plan: Plan) -> Arc<Bucket> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(b) = buckets.get(key) {
            return b.clone();
        }
        if buckets.len() >= MAX_BUCKETS {
            let now = Instant::now();
            buckets.retain(|_, b| {
                let mut s = b.lock();
                s.refill(now);
                Arc::strong_count(b) > 1 || s.tokens < s.burst
            });
        }
        let burst = f64::from(plan.burst);
        let bucket = Arc::new(Bucket {
            state: Mutex::new(State {
                published: plan,
                rate: plan.rate,
                burst,
                tokens: burst,
                at: Instant::now(),
                calibrated: false,
            }),
            changed: Notify::new(),
        });
        buckets.insert(key.clone(), bucket.clone());
        bucket
    }

    fn existing(&self, key: &BucketKey) -> Option<Arc<Bucket>> {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
    }

    /// Takes a token from `key`'s bucket (made from `plan` if new), waiting for it if need be.
    /// `Err(wait)` when it would not come before `deadline`: the call should not be made.
    pub async fn acquire(&self, key: &BucketKey, plan: Plan, deadline: Instant) -> Result<(), Duration> {
        let bucket = self.bucket(key, plan);
        loop {
            let changed = bucket.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let now = Instant::now();
            let (wait, calibrated) = {
                let mut s = bucket.lock();
                s.refill(now);
                s.tokens -= 1.0;
                if s.tokens >= 0.0 {
                    return Ok(());
                }
                (Duration::from_secs_f64((-s.tokens / s.rate).min(LONGEST_WAIT_SECS)), s.calibrated)
            };
            let until = now + wait;
            if calibrated && until > deadline {
                bucket.lock().tokens += 1.0;
                return Err(wait);
            }
            tokio::select! {
                () = tokio::time::sleep_until(until.min(deadline)) => {
                    if until <= deadline {
                        return Ok(());
                    }
                    bucket.lock().tokens += 1.0;
                    return Err(wait);
                }
                () = &mut changed => {
                    // Give the reservation back and make it again under the new plan.
                    bucket.lock().tokens += 1.0;
                }
            }
        }
    }

    /// SP-API answered a call of `key`, with `rate` from `x-amzn-RateLimit-Limit` if it sent one.
    pub fn observe(&self, key: &BucketKey, rate: Option<f64>) {
        let Some(bucket) = self.existing(key) else {
            return;
        };
        let changed = {
            let mut s = bucket.lock();
            let mut changed = !s.calibrated;
            s.calibrated = true;
            if let Some(rate) = rate
                && (rate - s.rate).abs() > s.rate * 0.001
            {
                s.refill(Instant::now());
                let burst = (f64::from(s.published.burst) * rate / s.published.rate).clamp(1.0, 1e9);
                s.tokens = (s.tokens + burst - s.burst).min(burst);
                s.rate = rate;
                s.burst = burst;
                changed = true;
            }
            changed
        };
        if changed {
            bucket.changed.notify_waiters();
        }
    }

    /// SP-API answered 429 for `key`: its bucket is empty now.
    pub fn throttled(&self, key: &BucketKey) {
        if let Some(bucket) = self.existing(key) {
            let mut s = bucket.lock();
            s.refill(Instant::now());
            s.tokens = s.tokens.min(0.0);
            s.calibrated = true;
        }
    }
}

/// A random fraction in [0, 1), for jitter (no need for more than the hasher's randomness).
pub(crate) fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    #[allow(clippy::cast_precision_loss)]
    let f = (h.finish() >> 11) as f64 / (1u64 << 53) as f64;
    f
}

/// How long to wait before retrying a 429 (`attempt` from 0): at least one interval of the
/// plan when the rate is known, doubling from 250 ms otherwise, capped at 20 s, plus up to a
/// quarter more at random so that retries spread out.
pub(crate) fn backoff(attempt: u32, rate: Option<f64>) -> Duration {
    let base = match rate {
        Some(r) => (1.0 / r).min(20.0),
        None => (0.25 * f64::from(1u32 << attempt.min(7))).min(20.0),
    };
    Duration::from_secs_f64(base * (1.0 + 0.25 * jitter()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(op: &'static str) -> BucketKey {
        BucketKey { region: Region::Na, owner: "A1".into(), api: "orders", operation: op }
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_then_the_rate() {
        let l = Limiter::default();
        let plan = Plan { rate: 2.0, burst: 3 };
        let start = Instant::now();
        for _ in 0..3 {
            l.acquire(&key("getOrder"), plan, far()).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        l.acquire(&key("getOrder"), plan, far()).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(500));
        // Another operation has its own bucket.
        l.acquire(&key("getOrders"), plan, far()).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waiters_are_spaced_by_the_rate() {
        let l = Arc::new(Limiter::default());
        let plan = Plan { rate: 5.0, burst: 1 };
        let start = Instant::now();
        let tasks: Vec<_> = (0..11)
            .map(|_| {
                let l = l.clone();
                tokio::spawn(async move {
                    l.acquire(&key("x"), plan, far()).await.unwrap();
                    start.elapsed()
                })
            })
            .collect();
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap());
        }
        times.sort();
        assert_eq!(times[0], Duration::ZERO);
        assert_eq!(times[10], Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_empties_the_bucket_and_the_header_sets_the_rate() {
        let l = Limiter::default();
        let plan = Plan { rate: 0.5, burst: 30 };
        let start = Instant::now();
        l.acquire(&key("getOrder"), plan, far()).await.unwrap();
        // The seller's plan is ten times Amazon's: rate 5, burst 300.
        l.observe(&key("getOrder"), Some(5.0));
        l.throttled(&key("getOrder"));
        l.acquire(&key("getOrder"), plan, far()).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(200));
        // After a minute, the larger burst is available at once.
        tokio::time::sleep(Duration::from_secs(60)).await;
        let t = Instant::now();
        for _ in 0..300 {
            l.acquire(&key("getOrder"), plan, far()).await.unwrap();
        }
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_known_plan_refuses_waits_past_the_deadline() {
        let l = Limiter::default();
        let plan = Plan { rate: 0.0167, burst: 1 };
        l.acquire(&key("rotate"), plan, far()).await.unwrap();
        l.observe(&key("rotate"), Some(0.0167));
        let deadline = Instant::now() + Duration::from_secs(10);
        let wait = l.acquire(&key("rotate"), plan, deadline).await.unwrap_err();
        assert!(wait > Duration::from_secs(59), "{wait:?}");
        // The refused call gave its reservation back: the next minute is still free.
        tokio::time::sleep(Duration::from_secs(60)).await;
        let t = Instant::now();
        l.acquire(&key("rotate"), plan, far()).await.unwrap();
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_on_a_guessed_plan_wake_when_sp_api_tells_the_real_one() {
        let l = Arc::new(Limiter::default());
        let plan = Plan { rate: 0.016, burst: 15 };
        let start = Instant::now();
        let deadline = start + Duration::from_secs(60);
        for _ in 0..15 {
            l.acquire(&key("mp"), plan, deadline).await.unwrap();
        }
        let waiters: Vec<_> = (0..100)
            .map(|_| {
                let l = l.clone();
                tokio::spawn(async move { l.acquire(&key("mp"), plan, deadline).await.map(|()| start.elapsed()) })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(10)).await;
        // The first answer: this seller's plan is a million times Amazon's.
        l.observe(&key("mp"), Some(16_000.0));
        for w in waiters {
            assert_eq!(w.await.unwrap(), Ok(Duration::from_millis(10)));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_unanswered_guess_gives_up_at_the_deadline() {
        let l = Limiter::default();
        let plan = Plan { rate: 0.016, burst: 1 };
        let deadline = Instant::now() + Duration::from_secs(5);
        l.acquire(&key("mp"), plan, deadline).await.unwrap();
        assert!(l.acquire(&key("mp"), plan, deadline).await.is_err());
        assert_eq!(Instant::now(), deadline);
    }

    #[test]
    fn rates_and_backoff() {
        assert_eq!(parse_rate("0.0167"), Some(0.0167));
        assert_eq!(parse_rate(" 5.0 "), Some(5.0));
        assert_eq!(parse_rate("0"), None);
        assert_eq!(parse_rate("NaN"), None);
        assert_eq!(parse_rate("-1"), None);
        assert_eq!(parse_rate("1e9"), None);
        for attempt in 0..40 {
            let d = backoff(attempt, None);
            assert!(d >= Duration::from_millis(250) && d <= Duration::from_secs(25), "{d:?}");
        }
        let d = backoff(0, Some(2.0));
        assert!(d >= Duration::from_millis(500) && d <= Duration::from_millis(625), "{d:?}");
        assert!(backoff(0, Some(0.0001)) <= Duration::from_secs(25));
        let samples: Vec<f64> = (0..100).map(|_| jitter()).collect();
        assert!(samples.iter().all(|f| (0.0..1.0).contains(f)));
        assert!(samples.iter().any(|f| *f > 0.5) && samples.iter().any(|f| *f < 0.5));
    }
}
