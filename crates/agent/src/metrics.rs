//! The agent's counters, rendered in Prometheus text format at `/metrics`.

use metrics::{Key, Label, Level, Metadata, Recorder as _};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

/// A counter family: its name and help text.
#[derive(Debug, Clone, Copy)]
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

/// Every family, described once to the recorder.
const FAMILIES: [Family; 7] = [EXCHANGES, CACHE, RDTS, PROXIED, THROTTLED, RETRIES, ROTATIONS];

static METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// The counters: a Prometheus recorder of the agent's own, not installed process-wide (tests run
/// several agents in one process).
#[derive(Debug)]
pub(crate) struct Metrics {
    recorder: PrometheusRecorder,
}

impl Default for Metrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new().build_recorder();
        for family in FAMILIES {
            recorder.describe_counter(family.name.into(), None, family.help.into());
        }
        Self { recorder }
    }
}

impl Metrics {
    /// Adds one to `family` with `labels`.
    pub fn inc(&self, family: Family, labels: &[(&'static str, &str)]) {
        let labels: Vec<Label> = labels.iter().map(|(k, v)| Label::new(*k, (*v).to_owned())).collect();
        self.recorder.register_counter(&Key::from_parts(family.name, labels), &METADATA).increment(1);
    }

    /// Every counter, in Prometheus text format.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }
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
