//! Time, injected (DESIGN: "Time comes from a `Clock`"): what the agent decides by the date
//! (whether the client secret is due for rotation, a new secret's expiry) and the times it
//! reports (token expiries, LWA's verdicts, the last reload) read this clock, so tests can set
//! the date. Durations measured between two moments of the agent's own life (token refresh,
//! rate limits, cooldowns, reload age) use the monotonic `tokio::time::Instant`, which a clock
//! set forward must not disturb.
//!
//! The server's `store::Clock` is the same idea, but `store` brings SQLite with it; the agent
//! keeps its own, in the `jiff` time the rotation reasons in.

use jiff::Timestamp;

/// A source of the current date and time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until a test moves it.
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct TestClock(std::sync::Mutex<Timestamp>);

#[cfg(test)]
impl TestClock {
    /// A clock at `at` (RFC 3339).
    pub fn at(at: &str) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self(std::sync::Mutex::new(at.parse().unwrap())))
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        let mut now = self.0.lock().unwrap();
        *now = now.saturating_add(jiff::SignedDuration::from_secs(seconds)).unwrap();
    }
}

#[cfg(test)]
impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}
