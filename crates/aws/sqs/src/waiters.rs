//! Long polling without polling: a receive that finds nothing waits on its queue's notifier,
//! which every send (and anything else that makes a message receivable) signals once per message.
//! Waiting receives cost no CPU and no database reads until they are woken or time out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use tokio::sync::Notify;

/// Past this many entries, notifiers nobody holds any more are swept out.
const SWEEP_AT: usize = 1024;

/// The per-queue notifiers, by queue row id.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    queues: Mutex<HashMap<i64, Weak<Notify>>>,
}

impl Waiters {
    /// The notifier of a queue, to wait on. Holding it keeps it registered.
    pub(crate) fn subscribe(&self, queue_id: i64) -> Arc<Notify> {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(live) = queues.get(&queue_id).and_then(Weak::upgrade) {
            return live;
        }
        if queues.len() >= SWEEP_AT {
            queues.retain(|_, w| w.strong_count() > 0);
        }
        let notify = Arc::new(Notify::new());
        queues.insert(queue_id, Arc::downgrade(&notify));
        notify
    }

    /// Wakes up to `n` receives waiting on the queue (one per message that became receivable).
    pub(crate) fn wake(&self, queue_id: i64, n: usize) {
        let notify = {
            let queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
            queues.get(&queue_id).and_then(Weak::upgrade)
        };
        if let Some(notify) = notify {
            for _ in 0..n {
                notify.notify_one();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_wake_reaches_a_waiting_receive_and_nobody_else() {
        let waiters = Arc::new(Waiters::default());
        let notify = waiters.subscribe(1);
        let other = waiters.subscribe(2);
        let waiting = tokio::spawn(async move { notify.notified().await });
        tokio::task::yield_now().await;
        waiters.wake(1, 1);
        tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
        let idle = tokio::time::timeout(Duration::from_millis(50), other.notified()).await;
        assert!(idle.is_err(), "queue 2 was not signalled");
    }

    #[test]
    fn notifiers_nobody_holds_are_dropped() {
        let waiters = Waiters::default();
        waiters.wake(7, 3);
        for id in 0..i64::try_from(SWEEP_AT + 10).unwrap() {
            drop(waiters.subscribe(id));
        }
        assert!(waiters.queues.lock().unwrap().len() <= SWEEP_AT);
        let a = waiters.subscribe(5);
        let b = waiters.subscribe(5);
        assert!(Arc::ptr_eq(&a, &b));
    }
}
