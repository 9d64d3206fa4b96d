//! The token cache: memory only, one slot per key, a token refreshed when it is within the
//! margin of its expiry, and single flight: however many requests find a slot stale at once, one
//! of them fetches and the others wait for its answer. A token SP-API refused as expired is
//! dropped only if the slot still holds that very token (by generation), so a thousand requests
//! that all failed on the old token cause one refresh, not a thousand.

use crate::clock::Clock;
use crate::config::Region;
use crypto::Secret;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// A token is refreshed this long before it expires.
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// The most slots kept; past it, slots holding nothing usable are dropped.
const MAX_SLOTS: usize = 100_000;

/// What a token is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// A selling partner's LWA access token.
    Seller(String),
    /// A grantless token of a scope.
    Grantless(&'static str),
    /// A restricted data token of a seller for a canonical resource set, in a region.
    Rdt { region: Region, seller: String, resources: String },
}

impl Key {
    /// The kind, for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Key::Seller(_) => "seller",
            Key::Grantless(_) => "grantless",
            Key::Rdt { .. } => "rdt",
        }
    }
}

/// A token as fetched: its value and lifetime.
#[derive(Debug)]
pub(crate) struct Fresh {
    pub value: Secret,
    pub expires_in: Duration,
}

/// A cached token.
#[derive(Debug)]
pub(crate) struct Token {
    pub value: Secret,
    /// When it expires, for clients.
    pub expires_at: SystemTime,
    /// When it is refreshed: the margin before expiry, or half its life when it lives less
    /// than twice the margin.
    refresh_at: Instant,
    /// Tells this token from the one before and after it in the same slot.
    pub generation: u64,
}

impl Token {
    fn usable(&self, now: Instant) -> bool {
        now < self.refresh_at
    }
}

#[derive(Debug, Default)]
struct Slot {
    current: RwLock<Option<Arc<Token>>>,
    /// Held by the one request that fetches.
    fetching: tokio::sync::Mutex<()>,
}

impl Slot {
    fn usable(&self, now: Instant) -> Option<Arc<Token>> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).as_ref().filter(|t| t.usable(now)).cloned()
    }
}

/// The cache.
#[derive(Debug)]
pub(crate) struct Cache {
    slots: Mutex<HashMap<Key, Arc<Slot>>>,
    generations: AtomicU64,
    /// The date of tokens' expiries, for clients.
    clock: Arc<dyn Clock>,
}

/// Whether a lookup was answered from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    Hit,
    Miss,
}

impl Lookup {
    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Lookup::Hit => "hit",
            Lookup::Miss => "miss",
        }
    }
}

impl Cache {
    /// An empty cache whose tokens' expiries are dated by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { slots: Mutex::default(), generations: AtomicU64::default(), clock }
    }

    fn slot(&self, key: &Key) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = slots.get(key) {
            return s.clone();
        }
        if slots.len() >= MAX_SLOTS {
            let now = Instant::now();
            slots.retain(|_, s| Arc::strong_count(s) > 1 || s.usable(now).is_some());
        }
        let slot = Arc::new(Slot::default());
        slots.insert(key.clone(), slot.clone());
        slot
    }

    /// The token of `key`: the cached one while usable, else the answer of `fetch`, called by
    /// one request at a time per key.
    pub async fn get<F, Fut, E>(&self, key: &Key, fetch: F) -> Result<(Arc<Token>, Lookup), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fresh, E>>,
    {
        let slot = self.slot(key);
        if let Some(t) = slot.usable(Instant::now()) {
            return Ok((t, Lookup::Hit));
        }
        let _fetching = slot.fetching.lock().await;
        // Whoever held the lock before may have fetched it.
        if let Some(t) = slot.usable(Instant::now()) {
            return Ok((t, Lookup::Hit));
        }
        let fresh = fetch().await?;
        let token = Arc::new(Token {
            value: fresh.value,
            expires_at: SystemTime::from(self.clock.now()) + fresh.expires_in,
            refresh_at: Instant::now() + fresh.expires_in - REFRESH_MARGIN.min(fresh.expires_in / 2),
            generation: self.generations.fetch_add(1, Ordering::Relaxed) + 1,
        });
        *slot.current.write().unwrap_or_else(PoisonError::into_inner) = Some(token.clone());
        Ok((token, Lookup::Miss))
    }

    /// SP-API refused `key`'s token of `generation` as expired: drop it, unless it was replaced
    /// already.
    pub fn invalidate(&self, key: &Key, generation: u64) {
        let slot = self.slot(key);
        let mut current = slot.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|t| t.generation == generation) {
            *current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use std::sync::atomic::AtomicUsize;

    fn fresh(value: &str, secs: u64) -> Fresh {
        Fresh { value: Secret::new(value), expires_in: Duration::from_secs(secs) }
    }

    #[tokio::test(start_paused = true)]
    async fn many_concurrent_misses_make_one_fetch() {
        let cache = Arc::new(Cache::new(Arc::new(SystemClock)));
        let fetches = Arc::new(AtomicUsize::new(0));
        let key = Key::Seller("A1".into());
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let (cache, fetches, key) = (cache.clone(), fetches.clone(), key.clone());
                tokio::spawn(async move {
                    let (t, _) = cache
                        .get(&key, || async {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok::<_, ()>(fresh("Atza|1", 3600))
                        })
                        .await
                        .unwrap();
                    t.generation
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 1);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn refreshed_five_minutes_before_expiry() {
        let cache = Cache::new(Arc::new(SystemClock));
        let key = Key::Grantless("sellingpartnerapi::notifications");
        let (t1, l) = cache.get(&key, || async { Ok::<_, ()>(fresh("one", 3600)) }).await.unwrap();
        assert_eq!(l, Lookup::Miss);
        tokio::time::advance(Duration::from_secs(3600 - 301)).await;
        let (t, l) = cache.get(&key, || async { Ok::<_, ()>(fresh("two", 3600)) }).await.unwrap();
        assert_eq!((t.generation, l), (t1.generation, Lookup::Hit));
        tokio::time::advance(Duration::from_secs(2)).await;
        let (t2, l) = cache.get(&key, || async { Ok::<_, ()>(fresh("two", 3600)) }).await.unwrap();
        assert_eq!((t2.value.expose(), l), ("two", Lookup::Miss));
    }

    #[tokio::test]
    async fn an_expired_token_is_dropped_once_and_failures_are_not_cached() {
        let cache = Cache::new(Arc::new(SystemClock));
        let key = Key::Seller("A1".into());
        let (old, _) = cache.get(&key, || async { Ok::<_, ()>(fresh("old", 3600)) }).await.unwrap();
        cache.invalidate(&key, old.generation);
        let (new, _) = cache.get(&key, || async { Ok::<_, ()>(fresh("new", 3600)) }).await.unwrap();
        // A late report about the old token leaves the new one alone.
        cache.invalidate(&key, old.generation);
        let (same, l) = cache.get(&key, || async { Ok::<_, ()>(fresh("newer", 3600)) }).await.unwrap();
        assert_eq!((same.generation, l), (new.generation, Lookup::Hit));
        let other = Key::Seller("A2".into());
        assert_eq!(cache.get(&other, || async { Err::<Fresh, _>("refused") }).await.unwrap_err(), "refused");
        let (t, l) = cache.get(&other, || async { Ok::<_, ()>(fresh("a2", 3600)) }).await.unwrap();
        assert_eq!((t.value.expose(), l), ("a2", Lookup::Miss));
    }

    #[tokio::test]
    async fn expiries_are_dated_by_the_clock() {
        let clock = crate::clock::TestClock::at("2030-01-01T00:00:00Z");
        let cache = Cache::new(clock.clone());
        let (t, _) = cache.get(&Key::Seller("A1".into()), || async { Ok::<_, ()>(fresh("a1", 3600)) }).await.unwrap();
        assert_eq!(crate::credentials::rfc3339(t.expires_at), "2030-01-01T01:00:00Z");
    }
}
