//! The evaluation case tables in `tests/cases/`, written from AWS's IAM documentation. Each case
//! names the documented rule it checks in its `rule` field.
//!
//! Case fields: `principal` (a name from `support`, default `alice`); policies as documents
//! (`identity` list, `session` list, `boundary`, `resource_policy`) or as statement lists in a
//! 2012-10-17 document (`statements`, `session_statements`, `boundary_statements`,
//! `resource_statements`); `condition` (an identity policy allowing everything under that
//! `Condition` block); `allow_all` (an identity policy allowing everything); `mode`
//! (`optional`/`required`) and `resource_kind` (`resource`/`trust`/`key`) for the resource
//! policy; `identity_applies`; `action`, `resource`, `context` (a list value is multivalued,
//! `null` removes a key); and the expectations `expect`, `missing` and `matched`
//! (`source#statement`).

mod support;

use serde_json::Value;

const TABLES: [(&str, &str); 6] = [
    ("operators", include_str!("cases/operators.json")),
    ("sets", include_str!("cases/sets.json")),
    ("variables", include_str!("cases/variables.json")),
    ("elements", include_str!("cases/elements.json")),
    ("modes", include_str!("cases/modes.json")),
    ("sessions", include_str!("cases/sessions.json")),
];

#[test]
fn documented_rules() {
    let mut total = 0;
    let mut failures = Vec::new();
    for (table, text) in TABLES {
        let cases: Vec<Value> = serde_json::from_str(text).unwrap_or_else(|e| panic!("{table}: {e}"));
        for case in &cases {
            total += 1;
            if let Err(why) = support::run_case(case) {
                failures.push(format!("{table}/{}: {why}", case["name"].as_str().unwrap_or("?")));
            }
        }
    }
    assert!(total >= 150, "only {total} cases");
    assert!(failures.is_empty(), "{} of {total} cases failed:\n{}", failures.len(), failures.join("\n"));
}
