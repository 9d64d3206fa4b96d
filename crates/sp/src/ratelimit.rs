//! Usage plans: one token bucket per application, selling partner and operation, as SP-API
//! meters calls. Buckets live in memory and refill on the server clock, so advancing the virtual
//! clock refills them too.

use spapi::Plan;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
    plan: Plan,
}

/// The most buckets kept; past it, full buckets (which behave exactly like absent ones) are dropped.
const MAX_BUCKETS: usize = 100_000;

/// The buckets of every (application, principal, operation).
#[derive(Debug, Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<(String, String, &'static str), Bucket>>,
}

fn refill(b: Bucket, now_ms: i64) -> Bucket {
    let plan = b.plan;
    // A clock that moved back (a restart onto a slower clock) refills nothing rather than going negative.
    #[allow(clippy::cast_precision_loss)]
    let elapsed = (now_ms.saturating_sub(b.at_ms)).max(0) as f64 / 1000.0;
    Bucket { tokens: (b.tokens + elapsed * plan.rate).min(f64::from(plan.burst)), at_ms: now_ms.max(b.at_ms), plan }
}

impl Limiter {
    /// Takes one request from the bucket of (`app`, `principal`, `operation`) under `plan`;
    /// `false` when it is empty.
    pub fn take(&self, app: &str, principal: &str, operation: &'static str, plan: Plan, now_ms: i64) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, b| refill(*b, now_ms).tokens < f64::from(b.plan.burst));
        }
        let key = (app.to_owned(), principal.to_owned(), operation);
        let full = Bucket { tokens: f64::from(plan.burst), at_ms: now_ms, plan };
        let bucket = buckets.entry(key).or_insert(full);
        // A selling partner's plan may have changed since the bucket was made.
        bucket.plan = plan;
        *bucket = refill(*bucket, now_ms);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_burst_then_the_rate() {
        let l = Limiter::default();
        let plan = Plan::new(0.5, 3);
        let take = |t| l.take("app", "A1", "getOrder", plan, t);
        assert!(take(0) && take(0) && take(0));
        assert!(!take(0));
        assert!(!take(1_999));
        assert!(take(2_000));
        assert!(!take(2_000));
        // Another operation or principal has its own bucket.
        assert!(l.take("app", "A2", "getOrder", plan, 2_000));
        assert!(l.take("app", "A1", "getOrders", plan, 2_000));
    }

    #[test]
    fn rotation_allows_one_call_a_minute() {
        let l = Limiter::default();
        let plan = Plan::new(0.0167, 1);
        assert!(l.take("app", "-", "rotate", plan, 0));
        assert!(!l.take("app", "-", "rotate", plan, 30_000));
        assert!(l.take("app", "-", "rotate", plan, 60_000));
    }

    proptest! {
        #[test]
        fn never_more_than_burst_plus_rate_times_time(
            rate in 0.01f64..50.0, burst in 1u32..40, steps in prop::collection::vec(0i64..5_000, 1..200)
        ) {
            let l = Limiter::default();
            let plan = Plan::new(rate, burst);
            let (mut now, mut allowed) = (0i64, 0u32);
            for step in steps {
                now += step;
                if l.take("a", "p", "op", plan, now) {
                    allowed += 1;
                }
            }
            #[allow(clippy::cast_precision_loss)]
            let bound = f64::from(burst) + rate * (now as f64) / 1000.0;
            prop_assert!(f64::from(allowed) <= bound + 1e-9, "{allowed} > {bound}");
        }
    }
}
