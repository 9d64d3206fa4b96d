//! Time, injected (DESIGN: "Time comes from a `Clock`").
//!
//! Production uses the wall clock. `--test-mode` uses a [`VirtualClock`]: wall time plus an offset
//! that tests move forward, so "150 days later" is instant and deterministic while time still
//! flows between calls (visibility timeouts, long polls).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time, in epoch milliseconds.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The real time, in epoch milliseconds.
pub fn wall_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        wall_ms()
    }
}

/// Wall time shifted by an adjustable offset.
#[derive(Debug, Default)]
pub struct VirtualClock {
    offset_ms: AtomicI64,
}

impl VirtualClock {
    /// A virtual clock that starts at the wall time.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `ms` (never backwards: a negative advance is refused by callers).
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock so that now is `target_ms`.
    pub fn set_ms(&self, target_ms: i64) {
        self.offset_ms.store(target_ms.saturating_sub(wall_ms()), Ordering::SeqCst);
    }
}

impl Clock for VirtualClock {
    fn now_ms(&self) -> i64 {
        wall_ms().saturating_add(self.offset_ms.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_advances_and_sets() {
        let c = VirtualClock::new();
        let before = c.now_ms();
        c.advance_ms(150 * 86_400_000);
        assert!(c.now_ms() >= before + 150 * 86_400_000);
        c.set_ms(1_000_000);
        assert!((c.now_ms() - 1_000_000).abs() < 1000);
    }
}
