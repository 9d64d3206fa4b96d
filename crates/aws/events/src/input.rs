//! What a target receives: the event itself, a constant `Input`, the part of the event an
//! `InputPath` selects, or an `InputTransformer`'s template filled from the event.
//!
//! Paths are the JSONPath subset EventBridge documents: `$`, dot and bracket member access
//! (names may hold dashes and other characters in brackets), array indices and `*`. A path
//! with a wildcard selects the array of everything it reaches.
//!
//! A template that starts with `{` is JSON: a placeholder outside a string literal becomes the
//! value as JSON (strings quoted), one inside a string literal becomes the value's raw text
//! (EventBridge does not escape it), a path that reaches nothing becomes `null` (or nothing,
//! inside a string), and a result that parses is passed on minified. Any other template is
//! text: placeholders become raw text and everything else stays as written.

use super::ops;
use serde_json::Value;

/// The variables every template may use without defining them.
pub const PREDEFINED: [&str; 5] = [
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
];

/// Bounds a path's length (the API allows 256 characters) and its steps.
const MAX_PATH: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Member(String),
    Index(usize),
    Wildcard,
}

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    steps: Vec<Step>,
}

impl Path {
    /// Parses `$`, `$.a.b`, `$['a-b']`, `$.a[0]`, `$.a[*]`, `$.*`; `None` if it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() > MAX_PATH {
            return None;
        }
        let rest = text.strip_prefix('$')?;
        let bytes = rest.as_bytes();
        let mut steps = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'.' => {
                    let start = i + 1;
                    let mut end = start;
                    while end < bytes.len() && bytes[end] != b'.' && bytes[end] != b'[' {
                        end += 1;
                    }
                    let name = &rest[start..end];
                    if name.is_empty() {
                        return None;
                    }
                    steps.push(if name == "*" { Step::Wildcard } else { Step::Member(name.to_owned()) });
                    i = end;
                }
                b'[' => {
                    let close = rest[i..].find(']')? + i;
                    let inner = &rest[i + 1..close];
                    let step = if inner == "*" {
                        Step::Wildcard
                    } else if let Some(quoted) = inner
                        .strip_prefix('\'')
                        .and_then(|s| s.strip_suffix('\''))
                        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                    {
                        Step::Member(quoted.to_owned())
                    } else if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
                        Step::Index(inner.parse().ok()?)
                    } else {
                        return None;
                    };
                    steps.push(step);
                    i = close + 1;
                }
                _ => return None,
            }
        }
        Some(Self { steps })
    }

    /// What the path selects in `root`: one value, the array of everything a wildcard reaches,
    /// or `None` when it reaches nothing.
    pub fn select(&self, root: &Value) -> Option<Value> {
        let wildcard = self.steps.contains(&Step::Wildcard);
        let mut current = vec![root];
        for step in &self.steps {
            let mut next = Vec::new();
            for value in current {
                match (step, value) {
                    (Step::Member(name), Value::Object(map)) => next.extend(map.get(name)),
                    (Step::Index(i), Value::Array(items)) => next.extend(items.get(*i)),
                    (Step::Wildcard, Value::Object(map)) => next.extend(map.values()),
                    (Step::Wildcard, Value::Array(items)) => next.extend(items.iter()),
                    _ => {}
                }
            }
            current = next;
        }
        if wildcard {
            Some(Value::Array(current.into_iter().cloned().collect()))
        } else {
            current.first().map(|v| (*v).clone())
        }
    }
}

/// Why a target's input settings were refused (EventBridge's messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

/// A target's input, validated.
#[derive(Debug, Clone)]
pub enum Input {
    /// The matched event.
    Event,
    /// A constant JSON text.
    Constant(String),
    /// Part of the event.
    Path(Path),
    /// A template filled from the event.
    Transformer {
        /// The variables and their paths.
        paths: Vec<(String, Path)>,
        /// The template.
        template: String,
    },
}

/// Where a target is being invoked, for the predefined variables.
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    /// The rule's ARN.
    pub rule_arn: &'a str,
    /// The rule's name.
    pub rule_name: &'a str,
    /// When EventBridge received the event (RFC 3339).
    pub ingestion_time: &'a str,
}

/// Placeholders `<name>` in a template, in order, with their byte ranges.
fn placeholders(template: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = template[from..].find('<').map(|i| i + from) {
        let Some(close) = template[open + 1..].find('>').map(|i| i + open + 1) else { break };
        let name = &template[open + 1..close];
        if name.contains('<') {
            // `a < b <c>`: the first `<` opens nothing.
            from = open + 1;
            continue;
        }
        out.push((open, close + 1, name));
        from = close + 1;
    }
    out
}

/// Whether byte `at` of a JSON text lies inside a string literal.
fn in_string(json: &str, at: usize) -> bool {
    let mut inside = false;
    let mut escaped = false;
    for (i, b) in json.bytes().enumerate() {
        if i == at {
            return inside;
        }
        match (inside, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (_, false, b'"') => inside = !inside,
            _ => {}
        }
    }
    inside
}

fn is_json_template(template: &str) -> bool {
    template.trim_start().starts_with('{')
}

impl Input {
    /// Validates a target's `Input`, `InputPath` and `InputTransformer` (at most one), for
    /// target `id`.
    pub fn from_target(id: &str, target: &ops::Target) -> Result<Self, InputError> {
        let input = target.input.as_deref();
        let path = target.input_path.as_deref();
        let transformer = target.input_transformer.as_ref();
        let given = usize::from(input.is_some()) + usize::from(path.is_some()) + usize::from(transformer.is_some());
        if given > 1 {
            return Err(InputError(format!(
                "Only one of Input, InputPath, or InputTransformer must be provided for target {id}."
            )));
        }
        if let Some(input) = input {
            serde_json::from_str::<Value>(input)
                .map_err(|_| InputError(format!("Parameter Input is not valid JSON for target {id}.")))?;
            return Ok(Input::Constant(input.to_owned()));
        }
        if let Some(path) = path {
            let parsed = Path::parse(path)
                .ok_or_else(|| InputError(format!("Parameter InputPath is not valid for target {id}.")))?;
            return Ok(Input::Path(parsed));
        }
        let Some(transformer) = transformer else { return Ok(Input::Event) };
        let template = transformer.input_template.clone();
        let mut paths = Vec::new();
        for (name, path) in transformer.input_paths_map.iter().flatten() {
            if PREDEFINED.contains(&name.as_str()) || name.starts_with("aws.") {
                return Err(InputError(format!(
                    "InputTransformer for target {id} contains an InputPathsMap key that is reserved: {name}."
                )));
            }
            let parsed = Path::parse(path).ok_or_else(|| {
                InputError(format!("InputTransformer for target {id} contains an invalid JsonPath for key {name}."))
            })?;
            paths.push((name.clone(), parsed));
        }
        for (_, _, name) in placeholders(&template) {
            if !PREDEFINED.contains(&name) && !paths.iter().any(|(n, _)| n == name) {
                return Err(InputError(format!("InputTemplate for target {id} contains invalid placeholder {name}.")));
            }
        }
        let json = is_json_template(&template);
        let input = Input::Transformer { paths, template };
        // Filled with stand-ins, a JSON template must be JSON.
        if json && serde_json::from_str::<Value>(&input.fill(&Value::Object(serde_json::Map::new()), None)).is_err() {
            return Err(InputError(format!("Invalid InputTemplate for target {id}: it is not valid JSON.")));
        }
        Ok(input)
    }

    /// What the target receives for `event` (EventBridge's JSON text of it).
    pub fn render(&self, event_json: &str, event: &Value, at: &Invocation<'_>) -> String {
        match self {
            Input::Event => event_json.to_owned(),
            Input::Constant(text) => text.clone(),
            Input::Path(path) => path.select(event).map(|v| v.to_string()).unwrap_or_default(),
            Input::Transformer { .. } => self.fill(event, Some(at)),
        }
    }

    /// Fills a transformer's template; without an invocation (validation) every variable is a
    /// stand-in string.
    fn fill(&self, event: &Value, at: Option<&Invocation<'_>>) -> String {
        let Input::Transformer { paths, template } = self else { return String::new() };
        let json = is_json_template(template);
        let mut out = String::with_capacity(template.len());
        let mut last = 0;
        for (start, end, name) in placeholders(template) {
            let value = match at {
                None => Some(Value::String(String::new())),
                Some(at) => variable(name, paths, event, at),
            };
            out.push_str(&template[last..start]);
            let as_json = json && !in_string(template, start);
            match value {
                None if as_json => out.push_str("null"),
                None => {}
                Some(value) if as_json => out.push_str(&value.to_string()),
                Some(Value::String(text)) => out.push_str(&text),
                Some(other) => out.push_str(&other.to_string()),
            }
            last = end;
        }
        out.push_str(&template[last..]);
        if json && let Ok(parsed) = serde_json::from_str::<Value>(&out) {
            return parsed.to_string();
        }
        out
    }
}

fn variable(name: &str, paths: &[(String, Path)], event: &Value, at: &Invocation<'_>) -> Option<Value> {
    match name {
        "aws.events.rule-arn" => Some(Value::String(at.rule_arn.to_owned())),
        "aws.events.rule-name" => Some(Value::String(at.rule_name.to_owned())),
        "aws.events.event.ingestion-time" => Some(Value::String(at.ingestion_time.to_owned())),
        "aws.events.event" => {
            let mut copy = event.clone();
            if let Some(map) = copy.as_object_mut() {
                map.shift_remove("detail");
            }
            Some(copy)
        }
        "aws.events.event.json" => Some(event.clone()),
        _ => paths.iter().find(|(n, _)| n == name).and_then(|(_, p)| p.select(event)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A target with `settings` (its input members).
    fn target(mut settings: Value) -> ops::Target {
        settings["Id"] = json!("t");
        settings["Arn"] = json!("arn:aws:sns:us-east-1:123456789012:t");
        serde_json::from_value(settings).unwrap()
    }

    fn ec2() -> Value {
        json!({
            "version": "0",
            "id": "7bf73129-1428-4cd3-a780-95db273d1602",
            "detail-type": "EC2 Instance State-change Notification",
            "source": "aws.ec2",
            "account": "123456789012",
            "time": "2015-11-11T21:29:54Z",
            "region": "us-east-1",
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
            "detail": {"instance-id": "i-0123456789", "state": "RUNNING"}
        })
    }

    const AT: Invocation<'static> = Invocation {
        rule_arn: "arn:aws:events:us-east-2:123456789012:rule/example",
        rule_name: "example",
        ingestion_time: "2015-11-11T21:29:55Z",
    };

    fn transform(paths: &Value, template: &str) -> String {
        let target = target(json!({"InputTransformer": {"InputPathsMap": paths, "InputTemplate": template}}));
        let input = Input::from_target("t", &target).unwrap();
        let event = ec2();
        input.render(&event.to_string(), &event, &AT)
    }

    fn paths() -> Value {
        json!({"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"})
    }

    #[test]
    fn the_guide_s_examples() {
        assert_eq!(
            transform(&paths(), r#""instance <instance> is in <state>""#),
            r#""instance i-0123456789 is in RUNNING""#
        );
        assert_eq!(
            transform(&paths(), r#""instance \"<instance>\" is in <state>""#),
            r#""instance \"i-0123456789\" is in RUNNING""#
        );
        assert_eq!(
            transform(&paths(), "{\n  \"instance\" : <instance>,\n  \"state\": <state>\n}"),
            r#"{"instance":"i-0123456789","state":"RUNNING"}"#
        );
        assert_eq!(
            transform(
                &paths(),
                r#"{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \"<instance>\" is in <state>"}"#
            ),
            r#"{"instance":"i-0123456789","state":"RUNNING","instanceStatus":"instance \"i-0123456789\" is in RUNNING"}"#
        );
        assert_eq!(
            transform(&paths(), r#"{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}"#),
            r#"{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}"#
        );
        assert_eq!(transform(&paths(), r#""<aws.events.rule-name> triggered""#), r#""example triggered""#);
    }

    #[test]
    fn reserved_variables_in_json() {
        let out: Value = serde_json::from_str(&transform(
            &paths(),
            r#"{"ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>, "originalEvent": <aws.events.event>, "full": <aws.events.event.json>, "at": <aws.events.event.ingestion-time>}"#,
        ))
        .unwrap();
        assert_eq!(out["ruleArn"], AT.rule_arn);
        assert_eq!(out["ruleName"], "example");
        assert_eq!(out["at"], AT.ingestion_time);
        assert_eq!(out["originalEvent"]["source"], "aws.ec2");
        assert!(out["originalEvent"].get("detail").is_none());
        assert_eq!(out["full"], ec2());
    }

    #[test]
    fn missing_values_and_non_strings() {
        let paths = json!({"missing": "$.detail.nope", "detail": "$.detail", "resources": "$.resources"});
        assert_eq!(transform(&paths, r#"{"a": <missing>, "b": "x<missing>y"}"#), r#"{"a":null,"b":"xy"}"#);
        assert_eq!(
            transform(&paths, r#"{"d": <detail>}"#),
            r#"{"d":{"instance-id":"i-0123456789","state":"RUNNING"}}"#
        );
        assert_eq!(
            transform(&paths, "resources: <resources>"),
            r#"resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"]"#
        );
    }

    #[test]
    fn unescaped_values_inside_strings_are_passed_on_as_text() {
        let event = json!({"detail": {"q": "say \"hi\""}});
        let target = target(
            json!({"InputTransformer": {"InputPathsMap": {"q": "$.detail.q"}, "InputTemplate": "{\"m\": \"<q>\"}"}}),
        );
        let input = Input::from_target("t", &target).unwrap();
        assert_eq!(input.render(&event.to_string(), &event, &AT), r#"{"m": "say "hi""}"#);
    }

    #[test]
    fn input_and_input_path() {
        let event = ec2();
        let text = event.to_string();
        let constant = Input::from_target("t", &target(json!({"Input": "{\"a\": 1}"}))).unwrap();
        assert_eq!(constant.render(&text, &event, &AT), "{\"a\": 1}");
        let path = Input::from_target("t", &target(json!({"InputPath": "$.detail"}))).unwrap();
        assert_eq!(path.render(&text, &event, &AT), r#"{"instance-id":"i-0123456789","state":"RUNNING"}"#);
        let state = Input::from_target("t", &target(json!({"InputPath": "$.detail.state"}))).unwrap();
        assert_eq!(state.render(&text, &event, &AT), r#""RUNNING""#);
        let whole = Input::from_target("t", &target(json!({}))).unwrap();
        assert_eq!(whole.render(&text, &event, &AT), text);
    }

    #[test]
    fn json_paths() {
        let v = json!({"a": {"b-c": [1, {"d": 2}, 3]}, "x y": 4});
        let select = |p: &str| Path::parse(p).unwrap().select(&v);
        assert_eq!(select("$"), Some(v.clone()));
        assert_eq!(select("$.a.b-c[1].d"), Some(json!(2)));
        assert_eq!(select("$['x y']"), Some(json!(4)));
        assert_eq!(select("$.a['b-c'][2]"), Some(json!(3)));
        assert_eq!(select("$.a.b-c[*]"), Some(json!([1, {"d": 2}, 3])));
        assert_eq!(select("$.a.b-c[*].d"), Some(json!([2])));
        assert_eq!(select("$.nope"), None);
        assert_eq!(select("$.a.b-c[9]"), None);
        for bad in ["", "a.b", "$.", "$..a", "$[", "$[x]", "$a", &format!("$.{}", "a".repeat(300))] {
            assert!(Path::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn refusals() {
        let err = |settings: Value| Input::from_target("t1", &target(settings)).unwrap_err().0;
        assert_eq!(
            err(json!({"Input": "{}", "InputPath": "$"})),
            "Only one of Input, InputPath, or InputTransformer must be provided for target t1."
        );
        assert_eq!(
            err(json!({"InputTransformer": {"InputPathsMap": {}, "InputTemplate": "<x>"}})),
            "InputTemplate for target t1 contains invalid placeholder x."
        );
        assert!(
            err(json!({"InputTransformer": {"InputPathsMap": {"a": "$.a"}, "InputTemplate": "{\"a\": <a>"}}))
                .starts_with("Invalid InputTemplate for target t1")
        );
        assert!(
            err(json!({"InputTransformer": {"InputPathsMap": {"aws.events.rule-arn": "$.a"}, "InputTemplate": "x"}}))
                .contains("reserved")
        );
        assert!(err(json!({"Input": "{not json"})).contains("Input"));
        assert!(err(json!({"InputPath": "detail"})).contains("InputPath"));
    }

    proptest::proptest! {
        #[test]
        fn templates_never_panic(template in ".{0,60}", path in "\\$[.\\[\\]a-z0-9*'-]{0,12}") {
            let target = target(json!({"InputTransformer": {"InputPathsMap": {"v": path}, "InputTemplate": template}}));
            if let Ok(input) = Input::from_target("t", &target) {
                let event = ec2();
                let _ = input.render(&event.to_string(), &event, &AT);
            }
        }
    }
}
