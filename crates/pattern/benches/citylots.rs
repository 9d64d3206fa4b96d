//! The citylots2 benchmark of event-ruler (and quamina): each rule family (five
//! rules) against a stream of San Francisco lot records, in events per second
//! on one core.
//!
//! The real citylots2 data (213,068 records, ~400 MB for the two upstream
//! files) is not in the shared test data. The corpus here is built from
//! quamina's three `cl-sample-*` records of that data set, varied
//! deterministically (lot numbers, street names and types, shapes and
//! coordinates) into a few thousand events of the same shape and size, in
//! citylots2's form: coordinates as `{"x", "y", "z"}` objects plus a
//! `firstCoordinates` object. Because the records differ from the real ones,
//! the match counts printed here cannot be checked against the expected counts
//! in the rule files; only the throughput is comparable.
//!
//! Two measurements per family: `parse+match` reads each event's JSON text and
//! matches it (what event-ruler's `rulesForJSONEvent` benchmark does), and
//! `match` matches events flattened beforehand.
//!
//! Time is the benchmark thread's CPU time (from `/proc/thread-self/schedstat`
//! on Linux, wall time elsewhere), so the figures are events per second of one
//! core even when other work shares the machine.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use spcred_pattern::{Event, Pattern, RuleSet, Scratch};

const EVENTS: usize = 4000;

/// CPU time of the calling thread, in nanoseconds.
fn cpu_nanos() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or_else(|| {
            static EPOCH: OnceLock<Instant> = OnceLock::new();
            u64::try_from(EPOCH.get_or_init(Instant::now).elapsed().as_nanos()).unwrap_or(u64::MAX)
        })
}

/// Criterion measurement of the benchmark thread's CPU time.
struct CpuTime;

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        cpu_nanos()
    }

    fn end(&self, start: u64) -> u64 {
        cpu_nanos().saturating_sub(start)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    #[allow(clippy::cast_precision_loss)]
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

/// Formats CPU nanoseconds and events per second.
struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match typical {
            t if t < 1e3 => (1.0, "ns"),
            t if t < 1e6 => (1e-3, "µs"),
            t if t < 1e9 => (1e-6, "ms"),
            _ => (1e-9, "s"),
        };
        for v in values.iter_mut() {
            *v *= factor;
        }
        unit
    }

    #[allow(clippy::cast_precision_loss)]
    fn scale_throughputs(&self, typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let count = match throughput {
            Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Bits(n) => *n,
            Throughput::ElementsAndBytes { elements, .. } => *elements,
        } as f64;
        let (divisor, unit) = match count * 1e9 / typical {
            r if r < 1e3 => (1.0, "elem/s (CPU)"),
            r if r < 1e6 => (1e3, "Kelem/s (CPU)"),
            _ => (1e6, "Melem/s (CPU)"),
        };
        for v in values.iter_mut() {
            *v = count * 1e9 / *v / divisor;
        }
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn data(relative: &str) -> String {
    let path = format!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/eventpatterns/{}"), relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A small deterministic generator (`SplitMix64`).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }

    fn unit(&mut self) -> f64 {
        f64::from(u32::try_from(self.next() >> 32).unwrap()) / f64::from(u32::MAX)
    }
}

const STREETS: &[&str] = &[
    "GREENWICH",
    "TURK",
    "CABRILLO",
    "FULTON",
    "MASON",
    "JEFFERSON",
    "BEACH",
    "HYDE",
    "CHESTNUT",
    "ACADIA",
    "BLAKE",
    "DRUMM",
    "FUNSTON",
    "RHODE ISLAND",
    "JACKSON",
    "WASHINGTON",
    "MISSION",
    "VALENCIA",
    "LAKE",
    "BLANKEN",
    "DRAKE",
    "FULLER",
    "RHINE",
    "ACTON",
    "KINGSTON",
    "EWING",
    "CHICAGO",
    "SAN DIEGO",
    "ELM",
    "GOLDEN GATE",
    "POST",
    "GEARY",
    "FOLSOM",
    "HARRISON",
    "BROADWAY",
    "CLAY",
    "PINE",
    "BUSH",
    "SUTTER",
    "LOMBARD",
    "FILBERT",
    "UNION",
    "VALLEJO",
    "PACIFIC",
    "CALIFORNIA",
    "CLEMENT",
    "IRVING",
    "JUDAH",
];
const STREET_TYPES: &[&str] = &["ST", "ST", "ST", "AVE", "AVE", "BLVD", "WAY", "TER", "PL", "CT", "LN", "DR"];

/// One synthetic lot record in citylots2's shape.
fn lot(rng: &mut Rng, sample: &Value) -> Value {
    let mut event = sample.clone();
    let block = rng.below(8000) + 100;
    let lot = rng.below(300) + 1;
    let mapblklot = match rng.below(500) {
        0 => "VACSTWIL".to_owned(),
        1 => format!("{block:04}{:03}", 7),
        _ => format!("{block:04}{lot:03}"),
    };
    let from = rng.below(4000);
    let props = json!({
        "MAPBLKLOT": mapblklot,
        "BLKLOT": format!("{block:04}{:03}", lot + rng.below(3)),
        "BLOCK_NUM": format!("{block:04}"),
        "LOT_NUM": format!("{lot:03}"),
        "FROM_ST": from.to_string(),
        "TO_ST": (from + rng.below(20)).to_string(),
        "STREET": rng.pick(STREETS),
        "ST_TYPE": rng.pick(STREET_TYPES),
        "ODD_EVEN": if from.is_multiple_of(2) { "E" } else { "O" },
    });
    event["properties"] = props;
    let polygon = event["geometry"]["coordinates"][0].as_array().unwrap().clone();
    let (shift_x, shift_y) = (rng.unit() * 0.1 - 0.05, rng.unit() * 0.08 - 0.04);
    let points = 4 + usize::try_from(rng.below(24)).unwrap();
    let outline: Vec<Value> = (0..points)
        .map(|i| {
            let base = &polygon[i % polygon.len()];
            json!({
                "x": base[0].as_f64().unwrap() + shift_x + rng.unit() * 1e-4,
                "y": base[1].as_f64().unwrap() + shift_y + rng.unit() * 1e-4,
                "z": 0
            })
        })
        .collect();
    let multi = rng.below(100) == 0;
    event["geometry"] = json!({
        "type": if multi { "MultiPolygon" } else { "Polygon" },
        "coordinates": if multi { json!([[outline.clone()]]) } else { json!([outline.clone()]) },
        "firstCoordinates": outline[0].clone(),
    });
    event
}

fn corpus() -> Vec<String> {
    let samples: Vec<Value> =
        (0..3).map(|i| serde_json::from_str(&data(&format!("quamina/testdata/cl-sample-{i}"))).unwrap()).collect();
    let mut rng = Rng(0x5eed);
    (0..EVENTS).map(|i| lot(&mut rng, &samples[i % samples.len()]).to_string()).collect()
}

/// The rule families: event-ruler's fourteen, and quamina's (its `shellstyle`
/// is EventBridge's `wildcard`; its `regexp` has no EventBridge equivalent
/// and is left out).
fn families() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (source, file) in [
        ("event-ruler", "event-ruler/citylots2-benchmark-rules.json"),
        ("quamina", "quamina/citylots2-benchmark-rules.json"),
    ] {
        let rules: Value = serde_json::from_str(&data(file)).unwrap();
        for (family, list) in rules.as_object().unwrap() {
            if family == "regexp" {
                continue;
            }
            let patterns = list
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["rule"].to_string().replace("\"shellstyle\"", "\"wildcard\""))
                .collect();
            out.push((format!("{source}/{family}"), patterns));
        }
    }
    out
}

fn bench(c: &mut Criterion<CpuTime>) {
    let texts = corpus();
    let events: Vec<Event> = texts.iter().map(|t| Event::parse(t).unwrap()).collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    eprintln!("corpus: {} events, {} bytes on average", texts.len(), bytes / texts.len());
    for (family, patterns) in families() {
        let mut rules = RuleSet::new();
        for (i, p) in patterns.iter().enumerate() {
            rules.add(i, Pattern::parse(p).unwrap());
        }
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        let mut counts = vec![0usize; patterns.len()];
        for event in &events {
            out.clear();
            rules.matching_into(event, &mut scratch, &mut out);
            for &&k in &out {
                counts[k] += 1;
            }
        }
        eprintln!("{family}: matches per rule over the synthetic corpus {counts:?}");

        let mut group = c.benchmark_group(&family);
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(texts.len() as u64));
        let mut event = Event::default();
        group.bench_function("parse+match", |b| {
            b.iter(|| {
                let mut matched = 0;
                for text in &texts {
                    event.parse_into(black_box(text)).unwrap();
                    out.clear();
                    rules.matching_into(&event, &mut scratch, &mut out);
                    matched += out.len();
                }
                black_box(matched)
            });
        });
        group.bench_function("match", |b| {
            b.iter(|| {
                let mut matched = 0;
                for event in &events {
                    out.clear();
                    rules.matching_into(black_box(event), &mut scratch, &mut out);
                    matched += out.len();
                }
                black_box(matched)
            });
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .with_measurement(CpuTime)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
