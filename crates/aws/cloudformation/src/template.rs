//! CloudFormation templates: read from JSON or YAML (with the short-form tags `!Ref`, `!Sub`,
//! ...), checked as CloudFormation checks them (sections, resource types, references, cycles),
//! their parameters bound, and their intrinsic functions evaluated.

use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};

/// A template body is at most this many bytes (larger ones go through S3 on AWS).
pub(crate) const MAX_BODY: usize = 51_200;
/// At most this many resources, parameters and outputs, as CloudFormation's quotas say.
const MAX_RESOURCES: usize = 500;
const MAX_PARAMETERS: usize = 200;
const MAX_OUTPUTS: usize = 200;
/// Nesting deeper than this is refused rather than recursed into.
const MAX_DEPTH: usize = 64;

const SECTIONS: [&str; 10] = [
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
    "Rules",
];
const PSEUDO: [&str; 8] = [
    "AWS::AccountId",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::Partition",
    "AWS::URLSuffix",
    "AWS::NoValue",
    "AWS::NotificationARNs",
];
/// The short-form tags and the function each stands for.
const SHORT_FORMS: [&str; 18] = [
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
    "ToJsonString",
    "Length",
    "GetAtt",
];

/// A parameter as the template declares it.
#[derive(Debug, Clone)]
pub(crate) struct Parameter {
    pub kind: String,
    pub default: Option<String>,
    pub no_echo: bool,
    pub description: Option<String>,
    pub allowed_values: Vec<String>,
    allowed_pattern: Option<String>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    min_value: Option<f64>,
    max_value: Option<f64>,
    constraint_description: Option<String>,
}

/// A resource as the template declares it.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    pub kind: String,
    pub properties: Value,
    pub depends_on: Vec<String>,
    pub condition: Option<String>,
    /// `DeletionPolicy: Retain` keeps the resource when the stack lets go of it.
    pub retain: bool,
}

/// An output as the template declares it.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    pub value: Value,
    pub description: Option<String>,
    pub export: Option<Value>,
    pub condition: Option<String>,
}

/// A checked template.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub description: Option<String>,
    pub parameters: Vec<(String, Parameter)>,
    pub mappings: Map<String, Value>,
    pub conditions: Map<String, Value>,
    pub resources: Vec<(String, Resource)>,
    pub outputs: Vec<(String, Output)>,
}

fn format_error(message: impl std::fmt::Display) -> String {
    format!("Template format error: {message}")
}

/// Reads a template body: JSON when it looks like JSON, YAML otherwise.
pub(crate) fn parse(body: &str) -> Result<Value, String> {
    if body.len() > MAX_BODY {
        return Err(format!(
            "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have \
             length less than or equal to {MAX_BODY}"
        ));
    }
    let value = if body.trim_start().starts_with('{') {
        serde_json::from_str::<Value>(body).map_err(|e| format_error(format!("JSON not well-formed. ({e})")))?
    } else {
        let yaml: serde_norway::Value =
            serde_norway::from_str(body).map_err(|e| format_error(format!("YAML not well-formed. ({e})")))?;
        from_yaml(yaml, 0)?
    };
    depth_ok(&value, 0)?;
    Ok(value)
}

fn depth_ok(value: &Value, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format_error("the template is nested too deeply"));
    }
    match value {
        Value::Array(items) => items.iter().try_for_each(|v| depth_ok(v, depth + 1)),
        Value::Object(map) => map.values().try_for_each(|v| depth_ok(v, depth + 1)),
        _ => Ok(()),
    }
}

/// YAML to the JSON form, short-form tags turned into their long forms (`!Ref X` is
/// `{"Ref": "X"}`, `!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`).
fn from_yaml(value: serde_norway::Value, depth: usize) -> Result<Value, String> {
    use serde_norway::Value as Y;
    if depth > MAX_DEPTH {
        return Err(format_error("the template is nested too deeply"));
    }
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else if let Some(u) = n.as_u64() {
                json!(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(n.to_string()), Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            Value::Array(items.into_iter().map(|v| from_yaml(v, depth + 1)).collect::<Result<_, _>>()?)
        }
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    _ => return Err(format_error("YAML not well-formed. (a mapping key must be a scalar)")),
                };
                out.insert(key, from_yaml(v, depth + 1)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = from_yaml(tagged.value, depth + 1)?;
            match name {
                "Ref" | "Condition" => json!({ name: inner }),
                "GetAtt" => match inner {
                    Value::String(s) => match s.split_once('.') {
                        Some((resource, attribute)) => json!({"Fn::GetAtt": [resource, attribute]}),
                        None => json!({"Fn::GetAtt": s}),
                    },
                    other => json!({"Fn::GetAtt": other}),
                },
                _ if SHORT_FORMS.contains(&name) => json!({ format!("Fn::{name}"): inner }),
                _ => return Err(format_error(format!("Unsupported YAML tag !{name}"))),
            }
        }
    })
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(value: Option<&Value>) -> Option<f64> {
    text(value)?.parse().ok()
}

impl Template {
    /// Checks a parsed template; `known` says which resource types are supported.
    pub(crate) fn load(value: &Value, known: impl Fn(&str) -> bool) -> Result<Self, String> {
        let Value::Object(top) = value else {
            return Err(format_error("JSON not well-formed. (the template must be an object)"));
        };
        let unknown: Vec<&str> = top.keys().map(String::as_str).filter(|k| !SECTIONS.contains(k)).collect();
        if !unknown.is_empty() {
            return Err(format_error(format!("Invalid template property or properties [{}]", unknown.join(", "))));
        }
        if top.contains_key("Transform") {
            return Err("Transform is not supported: spcred runs templates without macros".into());
        }
        let section = |name: &str| -> Result<Map<String, Value>, String> {
            match top.get(name) {
                None => Ok(Map::new()),
                Some(Value::Object(m)) => Ok(m.clone()),
                Some(_) => Err(format_error(format!("{name} must be an object"))),
            }
        };
        let resources_section = section("Resources")?;
        if resources_section.is_empty() {
            return Err(format_error("At least one Resources member must be defined."));
        }
        let parameters = section("Parameters")?
            .into_iter()
            .map(|(name, decl)| Ok((name.clone(), parameter(&name, &decl)?)))
            .collect::<Result<Vec<_>, String>>()?;
        let resources = resources_section
            .into_iter()
            .map(|(name, decl)| Ok((name.clone(), resource(&name, &decl)?)))
            .collect::<Result<Vec<_>, String>>()?;
        let outputs = section("Outputs")?
            .into_iter()
            .map(|(name, decl)| Ok((name.clone(), output(&name, &decl)?)))
            .collect::<Result<Vec<_>, String>>()?;
        if resources.len() > MAX_RESOURCES || parameters.len() > MAX_PARAMETERS || outputs.len() > MAX_OUTPUTS {
            return Err(format!(
                "Template format error: a template has at most {MAX_RESOURCES} resources, {MAX_PARAMETERS} parameters \
                 and {MAX_OUTPUTS} outputs"
            ));
        }
        let mut unsupported: Vec<&str> = resources.iter().map(|(_, r)| r.kind.as_str()).filter(|k| !known(k)).collect();
        unsupported.dedup();
        if !unsupported.is_empty() {
            return Err(format_error(format!("Unrecognized resource types: [{}]", unsupported.join(", "))));
        }
        let template = Self {
            description: text(top.get("Description")),
            parameters,
            mappings: section("Mappings")?,
            conditions: section("Conditions")?,
            resources,
            outputs,
        };
        template.check_references()?;
        template.order()?;
        Ok(template)
    }

    fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|(n, _)| n == name).map(|(_, r)| r)
    }

    fn is_parameter(&self, name: &str) -> bool {
        self.parameters.iter().any(|(n, _)| n == name)
    }

    fn check_references(&self) -> Result<(), String> {
        let unresolved = |names: Vec<String>, block: &str| -> Result<(), String> {
            let mut missing: Vec<String> = names
                .into_iter()
                .filter(|n| self.resource(n).is_none() && !self.is_parameter(n) && !PSEUDO.contains(&n.as_str()))
                .collect();
            missing.sort();
            missing.dedup();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format_error(format!(
                    "Unresolved resource dependencies [{}] in the {block} block of the template",
                    missing.join(", ")
                )))
            }
        };
        for (_, r) in &self.resources {
            let mut names = references(&r.properties);
            names.extend(r.depends_on.iter().cloned());
            unresolved(names, "Resources")?;
            if let Some(c) = &r.condition
                && !self.conditions.contains_key(c)
            {
                return Err(format_error(format!(
                    "Unresolved condition dependencies [{c}] in the Resources block of the template"
                )));
            }
        }
        for (_, o) in &self.outputs {
            unresolved(references(&o.value), "Outputs")?;
        }
        for condition in self.conditions.values() {
            let refs = references(condition);
            if let Some(r) = refs.iter().find(|n| self.resource(n).is_some()) {
                return Err(format_error(format!(
                    "Unresolved dependencies [{r}]. Cannot reference resources in the Conditions block of the template"
                )));
            }
            unresolved(refs, "Conditions")?;
        }
        Ok(())
    }

    /// The resources each resource depends on (by Ref, GetAtt, Sub and DependsOn).
    pub(crate) fn dependencies(&self, name: &str) -> Vec<String> {
        let Some(r) = self.resource(name) else { return Vec::new() };
        let mut names = references(&r.properties);
        names.extend(r.depends_on.iter().cloned());
        names.retain(|n| self.resource(n).is_some());
        names.sort();
        names.dedup();
        names
    }

    /// The resources in an order that creates each after those it depends on (template order
    /// among equals); a cycle is refused, naming its members.
    pub(crate) fn order(&self) -> Result<Vec<String>, String> {
        let mut done: Vec<String> = Vec::with_capacity(self.resources.len());
        let mut placed: HashSet<&str> = HashSet::new();
        let deps: HashMap<&str, Vec<String>> =
            self.resources.iter().map(|(n, _)| (n.as_str(), self.dependencies(n))).collect();
        while done.len() < self.resources.len() {
            let next = self
                .resources
                .iter()
                .map(|(n, _)| n.as_str())
                .find(|n| !placed.contains(n) && deps[n].iter().all(|d| placed.contains(d.as_str())));
            let Some(next) = next else {
                let left: Vec<&str> =
                    self.resources.iter().map(|(n, _)| n.as_str()).filter(|n| !placed.contains(n)).collect();
                return Err(format!("Circular dependency between resources: [{}]", left.join(", ")));
            };
            placed.insert(next);
            done.push(next.to_owned());
        }
        Ok(done)
    }

    /// The capability the template's IAM resources need, with those resources' types.
    pub(crate) fn capability(&self) -> Option<(&'static str, Vec<String>)> {
        let named = |r: &Resource, key: &str| r.properties.get(key).is_some();
        let mut types: Vec<String> = Vec::new();
        let mut needs_named = false;
        for (_, r) in &self.resources {
            let name_key = match r.kind.as_str() {
                "AWS::IAM::Role" => Some("RoleName"),
                "AWS::IAM::User" => Some("UserName"),
                "AWS::IAM::ManagedPolicy" => Some("ManagedPolicyName"),
                "AWS::IAM::Policy" => None,
                _ => continue,
            };
            needs_named |= name_key.is_some_and(|k| named(r, k));
            if !types.contains(&r.kind) {
                types.push(r.kind.clone());
            }
        }
        if types.is_empty() {
            return None;
        }
        Some((if needs_named { "CAPABILITY_NAMED_IAM" } else { "CAPABILITY_IAM" }, types))
    }

    /// Binds the parameter values given (with `previous` for `UsePreviousValue`), checks them
    /// against their declarations, and fills in defaults.
    pub(crate) fn bind(
        &self,
        given: &[(String, Option<String>, bool)],
        previous: &HashMap<String, String>,
    ) -> Result<Vec<(String, String)>, String> {
        let mut unknown: Vec<&str> =
            given.iter().map(|(k, _, _)| k.as_str()).filter(|k| !self.is_parameter(k)).collect();
        if !unknown.is_empty() {
            unknown.sort_unstable();
            return Err(format!("Parameters: [{}] do not exist in the template", unknown.join(", ")));
        }
        let mut bound = Vec::with_capacity(self.parameters.len());
        let mut missing = Vec::new();
        for (name, decl) in &self.parameters {
            let value = match given.iter().find(|(k, _, _)| k == name) {
                Some((_, _, true)) => previous.get(name).cloned(),
                Some((_, Some(v), false)) => Some(v.clone()),
                _ => decl.default.clone(),
            };
            match value {
                Some(v) => {
                    decl.check(name, &v)?;
                    bound.push((name.clone(), v));
                }
                None => missing.push(name.as_str()),
            }
        }
        if !missing.is_empty() {
            return Err(format!("Parameters: [{}] must have values", missing.join(", ")));
        }
        Ok(bound)
    }

    /// The parameters with NoEcho, whose values are shown as `****`.
    pub(crate) fn no_echo(&self, name: &str) -> bool {
        self.parameters.iter().any(|(n, p)| n == name && p.no_echo)
    }
}

impl Parameter {
    fn check(&self, name: &str, value: &str) -> Result<(), String> {
        let fail = |what: String| {
            Err(match &self.constraint_description {
                Some(c) => format!("Parameter '{name}' failed to satisfy constraint: {c}"),
                None => format!("Parameter '{name}' {what}"),
            })
        };
        let items: Vec<&str> = if self.kind.starts_with("List<") || self.kind == "CommaDelimitedList" {
            value.split(',').collect()
        } else {
            vec![value]
        };
        for item in items {
            if !self.allowed_values.is_empty() && !self.allowed_values.iter().any(|a| a == item) {
                return fail("must be one of AllowedValues".into());
            }
            if self.kind == "Number" || self.kind == "List<Number>" {
                let Ok(n) = item.trim().parse::<f64>() else { return fail("must be a number".into()) };
                if self.min_value.is_some_and(|m| n < m) {
                    return fail(format!("must be a number not less than {}", self.min_value.unwrap_or_default()));
                }
                if self.max_value.is_some_and(|m| n > m) {
                    return fail(format!("must be a number not greater than {}", self.max_value.unwrap_or_default()));
                }
            }
        }
        let chars = value.chars().count();
        if self.min_length.is_some_and(|m| chars < m) {
            return fail(format!("must contain at least {} characters", self.min_length.unwrap_or_default()));
        }
        if self.max_length.is_some_and(|m| chars > m) {
            return fail(format!("must contain at most {} characters", self.max_length.unwrap_or_default()));
        }
        if let Some(pattern) = &self.allowed_pattern {
            let whole = format!("^(?:{pattern})$");
            let matches = fancy_regex::Regex::new(&whole).ok().and_then(|re| re.is_match(value).ok());
            if matches != Some(true) {
                return fail(format!("must match pattern {pattern}"));
            }
        }
        Ok(())
    }
}

fn parameter(name: &str, decl: &Value) -> Result<Parameter, String> {
    let Some(kind) = text(decl.get("Type")) else {
        return Err(format_error(format!("[/Parameters/{name}] Every Parameters object must contain a Type member.")));
    };
    let known = matches!(kind.as_str(), "String" | "Number" | "CommaDelimitedList" | "List<Number>" | "List<String>")
        || kind.starts_with("AWS::");
    if !known {
        return Err(format_error(format!("Unrecognized parameter type: {kind}")));
    }
    let allowed_values = match decl.get("AllowedValues") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(|v| text(Some(v))).collect(),
        Some(_) => return Err(format_error(format!("[/Parameters/{name}/AllowedValues] must be a list"))),
    };
    let no_echo = match decl.get("NoEcho") {
        Some(Value::Bool(b)) => *b,
        other => text(other).is_some_and(|t| t.eq_ignore_ascii_case("true")),
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let length = |key: &str| number(decl.get(key)).map(|n| n.max(0.0) as usize);
    Ok(Parameter {
        kind,
        default: text(decl.get("Default")).or_else(|| {
            decl.get("Default")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| text(Some(v))).collect::<Vec<_>>().join(","))
        }),
        no_echo,
        description: text(decl.get("Description")),
        allowed_values,
        allowed_pattern: text(decl.get("AllowedPattern")),
        min_length: length("MinLength"),
        max_length: length("MaxLength"),
        min_value: number(decl.get("MinValue")),
        max_value: number(decl.get("MaxValue")),
        constraint_description: text(decl.get("ConstraintDescription")),
    })
}

fn resource(name: &str, decl: &Value) -> Result<Resource, String> {
    let Some(kind) = decl.get("Type").and_then(Value::as_str) else {
        return Err(format_error(format!("[/Resources/{name}] Every Resources object must contain a Type member.")));
    };
    let properties = match decl.get("Properties") {
        None => Value::Object(Map::new()),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err(format_error(format!("[/Resources/{name}/Properties] must be an object"))),
    };
    let depends_on = match decl.get("DependsOn") {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(_) => return Err(format_error(format!("[/Resources/{name}/DependsOn] must be a string or a list"))),
    };
    Ok(Resource {
        kind: kind.to_owned(),
        properties,
        depends_on,
        condition: text(decl.get("Condition")),
        retain: matches!(decl.get("DeletionPolicy").and_then(Value::as_str), Some("Retain" | "RetainExceptOnCreate")),
    })
}

fn output(name: &str, decl: &Value) -> Result<Output, String> {
    let Some(value) = decl.get("Value") else {
        return Err(format_error(format!("[/Outputs/{name}] Every Outputs member must contain a Value object")));
    };
    Ok(Output {
        value: value.clone(),
        description: text(decl.get("Description")),
        export: decl.get("Export").and_then(|e| e.get("Name")).cloned(),
        condition: text(decl.get("Condition")),
    })
}

/// The names a value refers to: `Ref` targets, `Fn::GetAtt` resources and `Fn::Sub` variables.
pub(crate) fn references(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(value, &mut out);
    out
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        Value::Object(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next().expect("one entry");
            match (key.as_str(), arg) {
                ("Ref", Value::String(name)) => out.push(name.clone()),
                ("Fn::GetAtt", Value::Array(parts)) => {
                    if let Some(Value::String(name)) = parts.first() {
                        out.push(name.clone());
                    }
                }
                ("Fn::GetAtt", Value::String(s)) => out.push(s.split('.').next().unwrap_or_default().to_owned()),
                ("Fn::Sub", Value::String(s)) => out.extend(sub_variables(s)),
                ("Fn::Sub", Value::Array(parts)) => {
                    let own: Vec<&String> =
                        parts.get(1).and_then(Value::as_object).map(|m| m.keys().collect()).unwrap_or_default();
                    if let Some(Value::String(s)) = parts.first() {
                        out.extend(sub_variables(s).into_iter().filter(|v| !own.contains(&v)));
                    }
                    if let Some(vars) = parts.get(1) {
                        collect(vars, out);
                    }
                }
                _ => collect(arg, out),
            }
        }
        Value::Object(map) => map.values().for_each(|v| collect(v, out)),
        _ => {}
    }
}

/// The names `${...}` in a Sub string refers to (the part before a `.`), `${!literal}` aside.
fn sub_variables(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            out.push(name.split('.').next().unwrap_or_default().trim().to_owned());
        }
        rest = &after[end + 1..];
    }
    out
}

/// What a resource that exists offers to the rest of the template.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Made {
    /// What `Ref` returns.
    pub physical_id: String,
    /// What `Fn::GetAtt` returns, by attribute.
    pub attributes: Map<String, Value>,
    /// What the provider remembers to change or remove it later (a rule's targets, the policy a
    /// topic policy replaced).
    #[serde(default)]
    pub memo: Map<String, Value>,
}

/// Everything intrinsic functions can see.
#[derive(Debug)]
pub(crate) struct Values<'a> {
    pub template: &'a Template,
    pub parameters: &'a [(String, String)],
    pub resources: &'a HashMap<String, Made>,
    pub account: &'a str,
    pub region: &'a str,
    pub stack_id: &'a str,
    pub stack_name: &'a str,
    /// In a change set's preview, a resource not made yet resolves to a placeholder.
    pub preview: bool,
}

fn template_error(message: impl std::fmt::Display) -> String {
    format!("Template error: {message}")
}

impl Values<'_> {
    /// Whether the named condition holds.
    pub(crate) fn condition(&self, name: &str) -> Result<bool, String> {
        self.condition_at(name, 0)
    }

    fn condition_at(&self, name: &str, depth: usize) -> Result<bool, String> {
        if depth > MAX_DEPTH {
            return Err(template_error(format!("condition {name} refers to itself")));
        }
        let Some(expr) = self.template.conditions.get(name) else {
            return Err(template_error(format!("unresolved condition dependency {name} in Fn::If")));
        };
        self.truth(expr, depth + 1)
    }

    fn truth(&self, expr: &Value, depth: usize) -> Result<bool, String> {
        let Some((function, arg)) = single(expr) else {
            return match expr {
                Value::Bool(b) => Ok(*b),
                Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
                _ => Err(template_error("a condition must be a condition function")),
            };
        };
        let list = || arg.as_array().ok_or_else(|| template_error(format!("{function} takes a list")));
        match function {
            "Condition" => self.condition_at(arg.as_str().unwrap_or_default(), depth),
            "Fn::Equals" => {
                let items = list()?;
                if items.len() != 2 {
                    return Err(template_error("Fn::Equals takes two values"));
                }
                Ok(scalar_text(&self.resolved(&items[0], depth)?) == scalar_text(&self.resolved(&items[1], depth)?))
            }
            "Fn::Not" => Ok(!self
                .truth(list()?.first().ok_or_else(|| template_error("Fn::Not takes one condition"))?, depth + 1)?),
            "Fn::And" | "Fn::Or" => {
                let items = list()?;
                if !(2..=10).contains(&items.len()) {
                    return Err(template_error(format!("{function} takes between 2 and 10 conditions")));
                }
                let mut results = items.iter().map(|c| self.truth(c, depth + 1));
                if function == "Fn::And" {
                    results.try_fold(true, |acc, r| r.map(|b| acc && b))
                } else {
                    results.try_fold(false, |acc, r| r.map(|b| acc || b))
                }
            }
            _ => Err(template_error(format!("{function} is not a condition function"))),
        }
    }

    /// Evaluates every intrinsic function in `value`; `None` is `AWS::NoValue` (the property is
    /// left out).
    pub(crate) fn resolve(&self, value: &Value) -> Result<Option<Value>, String> {
        self.resolve_at(value, 0)
    }

    fn resolve_at(&self, value: &Value, depth: usize) -> Result<Option<Value>, String> {
        if depth > MAX_DEPTH {
            return Err(template_error("the template is nested too deeply"));
        }
        match value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(v) = self.resolve_at(item, depth + 1)? {
                        out.push(v);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            Value::Object(map) => {
                if let Some((function, arg)) = single(value)
                    && (function == "Ref" || function.starts_with("Fn::"))
                {
                    return self.function(function, arg, depth + 1);
                }
                let mut out = Map::new();
                for (k, v) in map {
                    if let Some(v) = self.resolve_at(v, depth + 1)? {
                        out.insert(k.clone(), v);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    fn resolved(&self, value: &Value, depth: usize) -> Result<Value, String> {
        Ok(self.resolve_at(value, depth)?.unwrap_or(Value::Null))
    }

    fn function(&self, function: &str, arg: &Value, depth: usize) -> Result<Option<Value>, String> {
        let list = |n: usize| -> Result<&Vec<Value>, String> {
            match arg.as_array() {
                Some(items) if items.len() == n => Ok(items),
                _ => Err(template_error(format!("every {function} object requires {n} parameters"))),
            }
        };
        Ok(Some(match function {
            "Ref" => {
                let name = arg.as_str().ok_or_else(|| template_error("Ref takes a name"))?;
                return self.reference(name);
            }
            "Fn::GetAtt" => self.get_att(arg, depth)?,
            "Fn::Sub" => {
                let (text, vars) = match arg {
                    Value::String(s) => (s.clone(), Map::new()),
                    Value::Array(parts) if parts.len() == 2 => {
                        let text = parts[0].as_str().ok_or_else(|| template_error("Fn::Sub takes a string"))?;
                        let Value::Object(vars) = self.resolved(&parts[1], depth)? else {
                            return Err(template_error("Fn::Sub's variables must be an object"));
                        };
                        (text.to_owned(), vars)
                    }
                    _ => return Err(template_error("Fn::Sub takes a string, or a string and a map of variables")),
                };
                Value::String(self.substitute(&text, &vars)?)
            }
            "Fn::Join" => {
                let items = list(2)?;
                let delimiter =
                    items[0].as_str().ok_or_else(|| template_error("Fn::Join's delimiter must be a string"))?;
                let Value::Array(parts) = self.resolved(&items[1], depth)? else {
                    return Err(template_error("Fn::Join's second parameter must be a list of strings"));
                };
                Value::String(parts.iter().map(scalar_text).collect::<Vec<_>>().join(delimiter))
            }
            "Fn::If" => {
                let items = list(3)?;
                let name = items[0].as_str().ok_or_else(|| template_error("Fn::If takes a condition name"))?;
                let branch = if self.condition(name)? { &items[1] } else { &items[2] };
                return self.resolve_at(branch, depth);
            }
            "Fn::Select" => {
                let items = list(2)?;
                let index: usize = scalar_text(&self.resolved(&items[0], depth)?)
                    .parse()
                    .map_err(|_| template_error("Fn::Select's index must be a number"))?;
                let Value::Array(choices) = self.resolved(&items[1], depth)? else {
                    return Err(template_error("Fn::Select takes a list"));
                };
                choices
                    .get(index)
                    .cloned()
                    .ok_or_else(|| template_error("Fn::Select cannot select nonexistent value at index"))?
            }
            "Fn::Split" => {
                let items = list(2)?;
                let delimiter =
                    items[0].as_str().ok_or_else(|| template_error("Fn::Split's delimiter must be a string"))?;
                let whole = scalar_text(&self.resolved(&items[1], depth)?);
                Value::Array(whole.split(delimiter).map(|s| Value::String(s.to_owned())).collect())
            }
            "Fn::FindInMap" => {
                let items = list(3)?;
                let keys: Vec<String> =
                    items.iter().map(|i| self.resolved(i, depth).map(|v| scalar_text(&v))).collect::<Result<_, _>>()?;
                self.template
                    .mappings
                    .get(&keys[0])
                    .and_then(|m| m.get(&keys[1]))
                    .and_then(|m| m.get(&keys[2]))
                    .cloned()
                    .ok_or_else(|| {
                        template_error(format!("Unable to get mapping for {}::{}::{}", keys[0], keys[1], keys[2]))
                    })?
            }
            "Fn::Base64" => {
                use base64::Engine;
                let plain = scalar_text(&self.resolved(arg, depth)?);
                Value::String(base64::engine::general_purpose::STANDARD.encode(plain))
            }
            "Fn::GetAZs" => {
                Value::Array(["a", "b", "c"].iter().map(|z| json!(format!("{}{z}", self.region))).collect())
            }
            "Fn::ToJsonString" => Value::String(self.resolved(arg, depth)?.to_string()),
            "Fn::Length" => match self.resolved(arg, depth)? {
                Value::Array(items) => json!(items.len()),
                _ => return Err(template_error("Fn::Length takes a list")),
            },
            "Fn::ImportValue" => {
                let name = scalar_text(&self.resolved(arg, depth)?);
                return Err(format!("No export named {name} found"));
            }
            other => return Err(template_error(format!("Unsupported function {other}"))),
        }))
    }

    fn get_att(&self, arg: &Value, depth: usize) -> Result<Value, String> {
        let (resource, attribute) = match arg {
            Value::Array(parts) if parts.len() == 2 => {
                (parts[0].as_str().unwrap_or_default().to_owned(), scalar_text(&self.resolved(&parts[1], depth)?))
            }
            Value::String(s) => match s.split_once('.') {
                Some((r, a)) => (r.to_owned(), a.to_owned()),
                None => return Err(template_error("Fn::GetAtt takes a resource and an attribute")),
            },
            _ => return Err(template_error("Fn::GetAtt takes a resource and an attribute")),
        };
        self.attribute(&resource, &attribute)
    }

    fn reference(&self, name: &str) -> Result<Option<Value>, String> {
        if let Some((_, v)) = self.parameters.iter().find(|(n, _)| n == name) {
            let list = self
                .template
                .parameters
                .iter()
                .find(|(n, _)| n == name)
                .is_some_and(|(_, p)| p.kind.starts_with("List<") || p.kind == "CommaDelimitedList");
            return Ok(Some(if list { json!(v.split(',').collect::<Vec<_>>()) } else { json!(v) }));
        }
        Ok(Some(json!(match name {
            "AWS::AccountId" => self.account.to_owned(),
            "AWS::Region" => self.region.to_owned(),
            "AWS::StackId" => self.stack_id.to_owned(),
            "AWS::StackName" => self.stack_name.to_owned(),
            "AWS::Partition" => "aws".to_owned(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            "AWS::NotificationARNs" => return Ok(Some(json!([]))),
            "AWS::NoValue" => return Ok(None),
            _ => match self.resources.get(name) {
                Some(made) => made.physical_id.clone(),
                None if self.preview => format!("{{{{Unknown:{name}}}}}"),
                None => return Err(template_error(format!("resource {name} has not been created"))),
            },
        })))
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<Value, String> {
        let Some(made) = self.resources.get(resource) else {
            if self.preview {
                return Ok(json!(format!("{{{{Unknown:{resource}.{attribute}}}}}")));
            }
            return Err(template_error(format!("instance of Fn::GetAtt references undefined resource {resource}")));
        };
        made.attributes.get(attribute).cloned().ok_or_else(|| {
            template_error(format!("resource {resource} does not support attribute type {attribute} in Fn::GetAtt"))
        })
    }

    fn substitute(&self, text: &str, vars: &Map<String, Value>) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            let name = after[..end].trim();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.get(name) {
                out.push_str(&scalar_text(v));
            } else if let Some((resource, attribute)) = name.split_once('.') {
                out.push_str(&scalar_text(&self.attribute(resource, attribute)?));
            } else {
                let value = self.reference(name)?.unwrap_or(Value::Null);
                out.push_str(&scalar_text(&value));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// The one `{"Function": argument}` entry of an intrinsic function.
fn single(value: &Value) -> Option<(&str, &Value)> {
    match value {
        Value::Object(map) if map.len() == 1 => map.iter().next().map(|(k, v)| (k.as_str(), v)),
        _ => None,
    }
}

/// A scalar as text (lists joined by commas, as `Ref` of a list parameter reads in a string).
pub(crate) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(scalar_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(body: &str) -> Result<Template, String> {
        Template::load(&parse(body)?, |t| t.starts_with("AWS::SNS::") || t == "AWS::Events::Rule")
    }

    #[test]
    fn short_forms_become_long_forms() {
        let v =
            parse("A: !Ref X\nB: !GetAtt T.TopicName\nC: !Sub '${X}-1'\nD: !If [C, 1, 2]\nE: !Join ['', [a]]").unwrap();
        assert_eq!(v["A"], json!({"Ref": "X"}));
        assert_eq!(v["B"], json!({"Fn::GetAtt": ["T", "TopicName"]}));
        assert_eq!(v["C"], json!({"Fn::Sub": "${X}-1"}));
        assert_eq!(v["D"], json!({"Fn::If": ["C", 1, 2]}));
        assert_eq!(v["E"], json!({"Fn::Join": ["", ["a"]]}));
        assert!(parse("A: !Bogus x").unwrap_err().contains("!Bogus"));
    }

    #[test]
    fn checks_name_what_is_wrong() {
        assert!(load("Resources: {}").unwrap_err().contains("At least one Resources member"));
        assert!(
            load("Resources: {B: {Type: AWS::S3::Bucket}}")
                .unwrap_err()
                .contains("Unrecognized resource types: [AWS::S3::Bucket]")
        );
        assert!(
            load("Resources: {T: {Type: AWS::SNS::Topic, Properties: {TopicName: !Ref Nope}}}")
                .unwrap_err()
                .contains("Unresolved resource dependencies [Nope] in the Resources block")
        );
        let cycle =
            "Resources:\n  A: {Type: AWS::SNS::Topic, DependsOn: B}\n  B: {Type: AWS::SNS::Topic, DependsOn: A}\n";
        assert_eq!(load(cycle).unwrap_err(), "Circular dependency between resources: [A, B]");
        assert!(load("Foo: 1\nResources: {T: {Type: AWS::SNS::Topic}}").unwrap_err().contains("[Foo]"));
    }

    #[test]
    fn orders_by_dependency_and_evaluates() {
        let t = load(
            "Parameters:\n  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}\n\
             Conditions:\n  Prod: !Equals [!Ref Env, prod]\n\
             Resources:\n  Rule: {Type: AWS::Events::Rule, Properties: {Targets: [{Arn: !Ref Topic, Id: t}]}}\n  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: !Sub '${AWS::StackName}-${Env}', DisplayName: !If [Prod, P, !Ref 'AWS::NoValue']}}\n",
        )
        .unwrap();
        assert_eq!(t.order().unwrap(), ["Topic", "Rule"]);
        assert!(
            t.bind(&[("Env".into(), Some("qa".into()), false)], &HashMap::new()).unwrap_err().contains("AllowedValues")
        );
        let parameters = t.bind(&[], &HashMap::new()).unwrap();
        let none = HashMap::new();
        let values = Values {
            template: &t,
            parameters: &parameters,
            resources: &none,
            account: "123456789012",
            region: "us-east-2",
            stack_id: "id",
            stack_name: "s",
            preview: false,
        };
        let topic = values.resolve(&t.resources[1].1.properties).unwrap().unwrap();
        assert_eq!(topic, json!({"TopicName": "s-dev"}));
        let made = HashMap::from([("Topic".to_owned(), Made { physical_id: "arn:t".into(), ..Made::default() })]);
        let values = Values { resources: &made, ..values };
        assert_eq!(
            values.resolve(&t.resources[0].1.properties).unwrap().unwrap(),
            json!({"Targets": [{"Arn": "arn:t", "Id": "t"}]})
        );
        assert!(
            values
                .resolve(&json!({"Fn::GetAtt": ["Topic", "Nope"]}))
                .unwrap_err()
                .contains("does not support attribute type Nope")
        );
        assert_eq!(values.resolve(&json!({"Fn::Sub": "${!Literal}"})).unwrap().unwrap(), json!("${Literal}"));
    }
}
