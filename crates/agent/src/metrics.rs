//! The agent's counters, rendered in Prometheus text format at `/metrics`. A handful of counter
//! families with few labels: a map under one lock is enough, and it keeps the agent free of a
//! process-wide recorder (tests run several agents in one process).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

/// A counter family: its name and help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Family {
    pub name: &'static str,
    pub help: &'static str,
}

/// LWA exchanges by grant type and outcome.
pub(crate) const EXCHANGES: Family =
    Family { name: "spcred_agent_lwa_exchanges_total", help: "LWA token exchanges by grant type and outcome" };
/// Token lookups answered from the cache or not.
pub(crate) const CACHE: Family =
    Family { name: "spcred_agent_token_cache_total", help: "Token lookups by kind and result (hit or miss)" };
/// Restricted data tokens made.
pub(crate) const RDTS: Family =
    Family { name: "spcred_agent_rdt_requests_total", help: "createRestrictedDataToken calls by outcome" };
/// Proxied calls by operation and final status.
pub(crate) const PROXIED: Family =
    Family { name: "spcred_agent_proxied_calls_total", help: "Proxied SP-API calls by operation and status" };
/// 429 answers SP-API gave the agent.
pub(crate) const THROTTLED: Family =
    Family { name: "spcred_agent_throttled_total", help: "429 answers from SP-API by operation" };
/// Calls made again, and why.
pub(crate) const RETRIES: Family =
    Family { name: "spcred_agent_retries_total", help: "SP-API calls retried by operation and reason" };
/// Rotation steps and their outcomes.
pub(crate) const ROTATIONS: Family =
    Family { name: "spcred_agent_rotation_events_total", help: "Client secret rotation steps by step and outcome" };

/// A counter's labels, in the order given.
type Labels = Vec<(&'static str, String)>;

/// The counters.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    counters: Mutex<BTreeMap<(Family, Labels), u64>>,
}

impl Metrics {
    /// Adds one to `family` with `labels`.
    pub fn inc(&self, family: Family, labels: &[(&'static str, &str)]) {
        let labels = labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        *self.counters.lock().unwrap_or_else(PoisonError::into_inner).entry((family, labels)).or_default() += 1;
    }

    /// The value of `family` with exactly `labels`.
    #[cfg(test)]
    pub fn get(&self, family: Family, labels: &[(&'static str, &str)]) -> u64 {
        let labels: Labels = labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        self.counters.lock().unwrap_or_else(PoisonError::into_inner).get(&(family, labels)).copied().unwrap_or(0)
    }

    /// Every counter, in Prometheus text format.
    pub fn render(&self) -> String {
        let counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        let mut last: Option<Family> = None;
        for ((family, labels), value) in counters.iter() {
            if last != Some(*family) {
                let _ = writeln!(out, "# HELP {} {}\n# TYPE {} counter", family.name, family.help, family.name);
                last = Some(*family);
            }
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
            let _ = writeln!(out, "{}{{{}}} {value}", family.name, labels.join(","));
        }
        out
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_as_prometheus_text() {
        let m = Metrics::default();
        m.inc(PROXIED, &[("operation", "getOrders"), ("status", "200")]);
        m.inc(PROXIED, &[("operation", "getOrders"), ("status", "200")]);
        m.inc(EXCHANGES, &[("grant_type", "refresh_token"), ("outcome", "a\"b")]);
        assert_eq!(m.get(PROXIED, &[("operation", "getOrders"), ("status", "200")]), 2);
        let text = m.render();
        assert!(text.contains("# TYPE spcred_agent_proxied_calls_total counter\n"), "{text}");
        assert!(
            text.contains("spcred_agent_proxied_calls_total{operation=\"getOrders\",status=\"200\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("outcome=\"a\\\"b\"} 1\n"), "{text}");
        assert_eq!(text.matches("# HELP").count(), 2);
    }
}
