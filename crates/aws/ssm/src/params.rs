//! The parameter operations: PutParameter, GetParameter(s), GetParametersByPath,
//! DescribeParameters, GetParameterHistory, Label/UnlabelParameterVersion, DeleteParameter(s).

use super::error::SsmError;
use super::filters;
use super::names::{self, Reference, Which};
use super::ops::{
    DeleteParameterRequest, DeleteParameterResult, DeleteParametersRequest, DeleteParametersResult,
    DescribeParametersRequest, DescribeParametersResult, GetParameterHistoryRequest, GetParameterHistoryResult,
    GetParameterRequest, GetParameterResult, GetParametersByPathRequest, GetParametersByPathResult,
    GetParametersRequest, GetParametersResult, LabelParameterVersionRequest, LabelParameterVersionResult, Parameter,
    ParameterHistory, ParameterInlinePolicy, ParameterMetadata, PutParameterRequest, PutParameterResult,
    UnlabelParameterVersionRequest, UnlabelParameterVersionResult,
};
use super::policies::{self, FINISHED, PENDING};
use super::{events, secure, settings};
use aws_core::ports::Keys;
use aws_core::service::{self, Ctx};
use base64::Engine as _;
use serde_json::Value;
use store::Scope;
use store::ssm::Version;

/// Versions Parameter Store keeps of a parameter.
const MAX_VERSIONS: i64 = 100;
/// Labels one version may carry.
const MAX_LABELS: usize = 10;
pub(super) const STANDARD: &str = "Standard";
pub(super) const ADVANCED: &str = "Advanced";
pub(super) const INTELLIGENT: &str = "Intelligent-Tiering";
const SECURE_STRING: &str = "SecureString";
/// Parameters an account may have per region, by tier.
const MAX_STANDARD_PARAMETERS: i64 = 10_000;
const MAX_ADVANCED_PARAMETERS: i64 = 100_000;
const STANDARD_MAX_CHARS: usize = 4096;
const ADVANCED_MAX_CHARS: usize = 8192;
/// The managed key `SecureString`s use when no `KeyId` is given.
const DEFAULT_KEY: &str = "alias/aws/ssm";

pub(crate) fn scope<'a>(ctx: &'a Ctx<'_>) -> Scope<'a> {
    Scope { account_id: ctx.account(), region: ctx.region }
}

/// The ARN a request names, for its permission check (a reference that cannot name a
/// parameter is checked against the name as written).
pub(crate) fn arn_of(ctx: &Ctx<'_>, reference: &str) -> String {
    let name = names::reference(reference, ctx.region, ctx.account())
        .and_then(|r| r.candidates.into_iter().next())
        .unwrap_or_else(|| reference.to_owned());
    names::arn(ctx.region, ctx.account(), &name)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn commit(tx: store::Tx) -> Result<(), SsmError> {
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// The version a reference selects, or `None` when no such parameter exists.
async fn find(conn: &mut store::Conn, scope: Scope<'_>, reference: &Reference) -> Result<Option<Version>, SsmError> {
    for name in &reference.candidates {
        let Some(current) = store::ssm::current(conn, scope, name).await? else {
            continue;
        };
        return match &reference.which {
            Which::Current => Ok(Some(current)),
            Which::Version(v) => match store::ssm::version(conn, scope, name, *v).await? {
                Some(found) => Ok(Some(found)),
                None => Err(version_not_found(name, *v)),
            },
            Which::Label(label) => {
                let labels = store::ssm::labels(conn, scope, name).await?;
                match labels.iter().find(|(l, _)| l == label) {
                    Some((_, v)) => Ok(store::ssm::version(conn, scope, name, *v).await?),
                    None => Ok(None),
                }
            }
        };
    }
    Ok(None)
}

fn version_not_found(name: &str, version: i64) -> SsmError {
    SsmError::ParameterVersionNotFound(format!(
        "Systems Manager could not find version {version} of {name}. Verify the version and try again."
    ))
}

/// The value a caller sees: plaintext, or for a `SecureString` its ciphertext unless decryption
/// was asked for (and allowed).
async fn value_of(ctx: &Ctx<'_>, v: &Version, with_decryption: bool) -> Result<String, SsmError> {
    let Some(blob) = &v.ciphertext else {
        return Ok(v.value.clone().unwrap_or_default());
    };
    if !with_decryption {
        return Ok(b64(blob));
    }
    let (account, region) = (ctx.account(), ctx.region);
    let key_id = v.kms_key_id.as_deref().unwrap_or_default();
    let key = ctx
        .env
        .port::<dyn Keys>()?
        .resolve(ctx.env, account, region, Some(key_id), DEFAULT_KEY)
        .await
        .map_err(|e| SsmError::from_kms(e, &ctx.env.ids.uuid()))?;
    let plain = secure::decrypt(ctx, &key, &names::arn(region, account, &v.name), blob).await?;
    Ok(plain.to_string())
}

async fn parameter_out(
    ctx: &Ctx<'_>,
    v: Version,
    selector: Option<String>,
    with_decryption: bool,
) -> Result<Parameter, SsmError> {
    let value = value_of(ctx, &v, with_decryption).await?;
    Ok(Parameter {
        arn: Some(names::arn(ctx.region, ctx.account(), &v.name)),
        value: Some(value),
        version: Some(v.version),
        selector,
        last_modified_date: Some(aws_core::service::epoch_seconds(v.modified_ms)),
        data_type: Some(v.data_type),
        r#type: Some(v.kind),
        name: Some(v.name),
        source_result: None,
    })
}

/// The tier a put results in. Without a tier, a new parameter gets the account's default tier;
/// an update keeps its tier, except that the `Intelligent-Tiering` default upgrades it when the
/// update needs the advanced tier, as Parameter Store documents.
fn choose_tier(
    requested: Option<&str>,
    existing: Option<&str>,
    default: &str,
    policies: bool,
    chars: usize,
    crowded: bool,
) -> Result<String, SsmError> {
    let requested = requested.or_else(|| (existing.is_none() || default == INTELLIGENT).then_some(default));
    let tier = match requested {
        Some(INTELLIGENT) => {
            if existing == Some(ADVANCED) || policies || chars > STANDARD_MAX_CHARS || crowded {
                ADVANCED
            } else {
                STANDARD
            }
        }
        Some(t) => t,
        None => existing.unwrap_or(STANDARD),
    };
    if tier == STANDARD && existing == Some(ADVANCED) {
        return Err(SsmError::validation(
            "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter \
             tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a \
             standard parameter.",
        ));
    }
    Ok(tier.to_owned())
}

fn check_value(value: &str, tier: &str, allowed_pattern: Option<&str>) -> Result<(), SsmError> {
    let chars = value.chars().count();
    if chars == 0 {
        return Err(SsmError::validation(
            "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.",
        ));
    }
    if tier == STANDARD && chars > STANDARD_MAX_CHARS {
        return Err(SsmError::validation(
            "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter \
             value, upgrade the parameter to use the advanced-parameter tier. For more information, see \
             https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
        ));
    }
    if chars > ADVANCED_MAX_CHARS {
        return Err(SsmError::validation(
            "Advanced tier parameters support a maximum parameter value of 8192 characters.",
        ));
    }
    if let Some(pattern) = allowed_pattern.filter(|p| !p.is_empty()) {
        let re = fancy_regex::Regex::new(pattern).map_err(|_| {
            SsmError::InvalidAllowedPattern(format!("The allowed pattern {pattern} is not a valid regular expression."))
        })?;
        // A pattern that exhausts the backtracking budget counts as not matching.
        if !re.is_match(value).unwrap_or(false) {
            return Err(SsmError::ParameterPatternMismatch(format!(
                "Parameter value, cannot be validated against allowedPattern: {pattern}"
            )));
        }
    }
    Ok(())
}

/// What a PutParameter will write, once its input is checked against the parameter as it is.
struct Plan {
    existing: Option<Version>,
    kind: String,
    parsed: Vec<policies::Parsed>,
    tier: String,
    allowed_pattern: Option<String>,
    data_type: String,
}

/// Checks a PutParameter against the rules and the parameter's current state.
async fn plan(ctx: &Ctx<'_>, input: &PutParameterRequest) -> Result<Plan, SsmError> {
    let scope = scope(ctx);
    names::validate(&input.name, ctx.region, ctx.account())?;
    let overwrite = input.overwrite.unwrap_or(false);
    let tags = input.tags.as_deref().unwrap_or_default();
    if overwrite && !tags.is_empty() {
        return Err(SsmError::validation(
            "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove \
             overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or \
             RemoveTagsFromResource.",
        ));
    }
    super::tags::validate(tags, 0)?;
    let data_type = input.data_type.clone().unwrap_or_else(|| "text".to_owned());
    if data_type != "text" {
        return Err(SsmError::validation(format!(
            "The following data type is not supported: {data_type} (Data type names are all lowercase.)"
        )));
    }
    let (existing, standard, advanced, default_tier) = {
        let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
        let existing = store::ssm::current(&mut conn, scope, &input.name).await?;
        let standard = store::ssm::count(&mut conn, scope, STANDARD).await?;
        let advanced = store::ssm::count(&mut conn, scope, ADVANCED).await?;
        let default_tier = match input.tier {
            Some(_) => String::new(),
            None => settings::default_tier(&mut conn, scope).await?,
        };
        (existing, standard, advanced, default_tier)
    };
    if existing.is_some() && !overwrite {
        return Err(SsmError::ParameterAlreadyExists);
    }
    let kind = match (input.r#type.clone(), &existing) {
        (Some(k), _) => k,
        (None, Some(e)) => e.kind.clone(),
        (None, None) => return Err(SsmError::validation("A parameter type is required when you create a parameter.")),
    };
    if input.key_id.is_some() && kind != SECURE_STRING {
        return Err(SsmError::validation("KeyId is required for SecureString type parameter only."));
    }
    let parsed = match (&input.policies, &existing) {
        (Some(text), _) => policies::parse(text)?,
        (None, Some(e)) => policies::from_texts_json(&e.policies),
        (None, None) => Vec::new(),
    };
    let tier = choose_tier(
        input.tier.as_deref(),
        existing.as_ref().map(|e| e.tier.as_str()),
        &default_tier,
        !parsed.is_empty(),
        input.value.chars().count(),
        existing.is_none() && standard >= MAX_STANDARD_PARAMETERS,
    )?;
    if !parsed.is_empty() && tier != ADVANCED {
        return Err(SsmError::validation("Parameter policies are supported only for advanced-tier parameters."));
    }
    let allowed_pattern =
        input.allowed_pattern.clone().or_else(|| existing.as_ref().and_then(|e| e.allowed_pattern.clone()));
    check_value(&input.value, &tier, allowed_pattern.as_deref())?;
    let full = if tier == STANDARD { standard >= MAX_STANDARD_PARAMETERS } else { advanced >= MAX_ADVANCED_PARAMETERS };
    if existing.is_none() && full {
        return Err(SsmError::ParameterLimitExceeded);
    }
    Ok(Plan { existing, kind, parsed, tier, allowed_pattern, data_type })
}

/// How a value is stored: in the clear, or (a SecureString) only as KMS ciphertext with its key.
struct Stored {
    value: Option<String>,
    ciphertext: Option<Vec<u8>>,
    key_id: Option<String>,
    kms_key_id: Option<String>,
}

async fn seal(ctx: &Ctx<'_>, input: &PutParameterRequest, plan: &Plan) -> Result<Stored, SsmError> {
    if plan.kind != SECURE_STRING {
        return Ok(Stored { value: Some(input.value.clone()), ciphertext: None, key_id: None, kms_key_id: None });
    }
    // An update that names no key keeps the parameter's key.
    let inherited = plan.existing.as_ref().filter(|e| e.kind == SECURE_STRING).and_then(|e| e.key_id.clone());
    let key_ref = input.key_id.clone().or(inherited);
    let request_id = ctx.env.ids.uuid();
    let key = ctx
        .env
        .port::<dyn Keys>()?
        .resolve(ctx.env, ctx.account(), ctx.region, key_ref.as_deref(), DEFAULT_KEY)
        .await
        .map_err(|e| SsmError::from_kms(e, &request_id))?;
    let arn = names::arn(ctx.region, ctx.account(), &input.name);
    let blob = secure::encrypt(ctx, &key, &arn, plan.tier == ADVANCED, &input.value).await?;
    Ok(Stored {
        value: None,
        ciphertext: Some(blob),
        key_id: Some(key_ref.unwrap_or_else(|| DEFAULT_KEY.to_owned())),
        kms_key_id: Some(key.key_id),
    })
}

pub(crate) async fn put_parameter(ctx: &Ctx<'_>, input: PutParameterRequest) -> Result<Value, SsmError> {
    let plan = plan(ctx, &input).await?;
    // Encryption needs KMS and the caller's permission on the key: done before the write
    // transaction, which must not wait on anything slow.
    let stored = seal(ctx, &input, &plan).await?;
    let scope = scope(ctx);
    let mut tx = ctx.env.store.begin().await?;
    let now_current = store::ssm::current(&mut tx, scope, &input.name).await?;
    if now_current.as_ref().map(|c| c.version) != plan.existing.as_ref().map(|e| e.version) {
        return Err(SsmError::TooManyUpdates);
    }
    let version_number = plan.existing.as_ref().map_or(1, |e| e.version + 1);
    if let (Some(oldest), count) = store::ssm::version_span(&mut tx, scope, &input.name).await?
        && count >= MAX_VERSIONS
    {
        let labels = store::ssm::labels(&mut tx, scope, &input.name).await?;
        if labels.iter().any(|(_, v)| *v == oldest) {
            return Err(SsmError::ParameterMaxVersionLimitExceeded(format!(
                "You attempted to create a new version of {} by calling the PutParameter API with the overwrite flag. \
                 Version {oldest}, the oldest version, can't be deleted because it has a label associated with it. Move \
                 the label to another version of the parameter, and try again.",
                input.name
            )));
        }
        store::ssm::delete_version(&mut tx, scope, &input.name, oldest).await?;
    }
    let version = Version {
        name: input.name.clone(),
        version: version_number,
        kind: plan.kind,
        value: stored.value,
        ciphertext: stored.ciphertext,
        key_id: stored.key_id,
        kms_key_id: stored.kms_key_id,
        description: input.description.clone().or_else(|| plan.existing.as_ref().and_then(|e| e.description.clone())),
        allowed_pattern: plan.allowed_pattern,
        data_type: plan.data_type,
        tier: plan.tier.clone(),
        policies: policies::texts_json(&plan.parsed),
        modified_ms: ctx.now_ms,
        modified_user: ctx.caller.arn.clone(),
    };
    store::ssm::put_version(&mut tx, scope, &version).await?;
    for tag in input.tags.iter().flatten() {
        store::ssm::put_tag(&mut tx, scope, &input.name, &tag.key, &tag.value).await?;
    }
    let schedule =
        restart_schedule(&mut tx, scope, &input.name, &plan.parsed, input.policies.is_some(), ctx.now_ms).await?;
    policies::reschedule(&mut tx, scope, &input.name, &schedule, ctx.now_ms).await?;
    let operation = if plan.existing.is_some() { "Update" } else { "Create" };
    events::emit_change(ctx.env, &mut tx, scope, operation, &version, ctx.now_ms).await?;
    commit(tx).await?;
    Ok(service::output(&PutParameterResult { version: Some(version_number), tier: Some(plan.tier) })?)
}

/// The schedule after a new version: new policies start afresh; kept ones keep their state,
/// except that a new version restarts every `NoChangeNotification`.
async fn restart_schedule(
    conn: &mut store::Conn,
    scope: Scope<'_>,
    name: &str,
    parsed: &[policies::Parsed],
    replaced: bool,
    now_ms: i64,
) -> Result<Vec<store::ssm::Policy>, SsmError> {
    let fresh = policies::schedule(name, parsed, now_ms);
    if replaced {
        return Ok(fresh);
    }
    let kept = store::ssm::policies(conn, scope, name).await?;
    Ok(fresh
        .into_iter()
        .map(|p| match kept.iter().find(|k| k.idx == p.idx && k.text == p.text) {
            Some(k) if p.kind != "NoChangeNotification" => k.clone(),
            _ => p,
        })
        .collect())
}

pub(crate) async fn get_parameter(ctx: &Ctx<'_>, input: GetParameterRequest) -> Result<Value, SsmError> {
    let not_found = || SsmError::ParameterNotFound(String::new());
    let reference = names::reference(&input.name, ctx.region, ctx.account()).ok_or_else(not_found)?;
    let found = {
        let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
        find(&mut conn, scope(ctx), &reference).await?
    };
    let version = found.ok_or_else(not_found)?;
    let parameter = parameter_out(ctx, version, reference.selector, input.with_decryption.unwrap_or(false)).await?;
    Ok(service::output(&GetParameterResult { parameter: Some(parameter) })?)
}

pub(crate) async fn get_parameters(ctx: &Ctx<'_>, input: GetParametersRequest) -> Result<Value, SsmError> {
    let mut found = Vec::new();
    let mut invalid: Vec<String> = Vec::new();
    {
        let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
        for name in &input.names {
            if found.iter().any(|(n, _, _): &(String, _, _)| n == name) || invalid.contains(name) {
                continue;
            }
            let reference = names::reference(name, ctx.region, ctx.account());
            let version = match &reference {
                Some(r) => match find(&mut conn, scope(ctx), r).await {
                    Ok(v) => v,
                    Err(SsmError::ParameterVersionNotFound(_)) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            match version {
                Some(v) => found.push((name.clone(), v, reference.and_then(|r| r.selector))),
                None => invalid.push(name.clone()),
            }
        }
    }
    // Parameter Store answers in name order, not request order.
    found.sort_by(|a, b| a.1.name.cmp(&b.1.name).then(a.1.version.cmp(&b.1.version)));
    let mut parameters = Vec::with_capacity(found.len());
    for (_, version, selector) in found {
        parameters.push(parameter_out(ctx, version, selector, input.with_decryption.unwrap_or(false)).await?);
    }
    Ok(service::output(&GetParametersResult { parameters: Some(parameters), invalid_parameters: Some(invalid) })?)
}

/// A page position: the last name (or version) handed out, opaque to callers.
fn encode_token(last: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last)
}

fn decode_token(token: Option<&str>) -> Result<Option<String>, SsmError> {
    token
        .map(|t| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(SsmError::InvalidNextToken)
        })
        .transpose()
}

/// A request's `MaxResults` (the model bounds it), or the operation's default page size.
fn page_size(max_results: Option<i32>, default: usize) -> usize {
    max_results.and_then(|m| usize::try_from(m).ok()).unwrap_or(default)
}

/// Keeps at most `max` of `items` (fetched whole and in order) after the token's position.
fn paginate<T>(
    items: Vec<T>,
    token: Option<&str>,
    max: usize,
    key: impl Fn(&T) -> String,
) -> Result<(Vec<T>, Option<String>), SsmError> {
    let after = decode_token(token)?;
    let mut rest: Vec<T> = items.into_iter().filter(|i| after.as_ref().is_none_or(|a| key(i) > *a)).collect();
    if rest.len() > max {
        rest.truncate(max);
        let next = rest.last().map(|i| encode_token(&key(i)));
        return Ok((rest, next));
    }
    Ok((rest, None))
}

pub(crate) async fn get_parameters_by_path(
    ctx: &Ctx<'_>,
    input: GetParametersByPathRequest,
) -> Result<Value, SsmError> {
    let parameter_filters = input.parameter_filters.unwrap_or_default();
    filters::validate(&parameter_filters, true)?;
    filters::validate_path(&input.path)?;
    let prefix = if input.path == "/" { "/".to_owned() } else { format!("{}/", input.path.trim_end_matches('/')) };
    let upper = format!("{}0", &prefix[..prefix.len() - 1]);
    let scope = scope(ctx);
    let mut matching = Vec::new();
    {
        let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
        for v in store::ssm::list_current(&mut conn, scope, &prefix, Some(&upper)).await? {
            let Some(rest) = v.name.strip_prefix(prefix.as_str()) else {
                continue;
            };
            if !input.recursive.unwrap_or(false) && rest.contains('/') {
                continue;
            }
            if filters::matches(&mut conn, scope, &v, &parameter_filters).await? {
                matching.push(v);
            }
        }
    }
    let (page, next_token) =
        paginate(matching, input.next_token.as_deref(), page_size(input.max_results, 10), |v| v.name.clone())?;
    let mut parameters = Vec::with_capacity(page.len());
    for v in page {
        parameters.push(parameter_out(ctx, v, None, input.with_decryption.unwrap_or(false)).await?);
    }
    Ok(service::output(&GetParametersByPathResult { parameters: Some(parameters), next_token })?)
}

pub(crate) async fn describe_parameters(ctx: &Ctx<'_>, input: DescribeParametersRequest) -> Result<Value, SsmError> {
    let (legacy, parameter_filters) = (input.filters.unwrap_or_default(), input.parameter_filters.unwrap_or_default());
    if !legacy.is_empty() && !parameter_filters.is_empty() {
        return Err(SsmError::validation("You can use either Filters or ParameterFilters in a single request."));
    }
    filters::validate(&parameter_filters, false)?;
    let scope = scope(ctx);
    let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let mut matching = Vec::new();
    for v in store::ssm::list_current(&mut conn, scope, "", None).await? {
        if filters::matches_legacy(&v, &legacy) && filters::matches(&mut conn, scope, &v, &parameter_filters).await? {
            matching.push(v);
        }
    }
    let (page, next_token) =
        paginate(matching, input.next_token.as_deref(), page_size(input.max_results, 50), |v| v.name.clone())?;
    let mut parameters = Vec::with_capacity(page.len());
    for v in page {
        let policies = store::ssm::policies(&mut conn, scope, &v.name)
            .await?
            .into_iter()
            .map(|p| policy_out(p.text, p.kind, p.status))
            .collect();
        parameters.push(ParameterMetadata {
            arn: Some(names::arn(ctx.region, ctx.account(), &v.name)),
            key_id: v.key_id,
            last_modified_date: Some(aws_core::service::epoch_seconds(v.modified_ms)),
            last_modified_user: Some(v.modified_user),
            description: v.description,
            allowed_pattern: v.allowed_pattern,
            version: Some(v.version),
            tier: Some(v.tier),
            policies: Some(policies),
            data_type: Some(v.data_type),
            r#type: Some(v.kind),
            name: Some(v.name),
        });
    }
    Ok(service::output(&DescribeParametersResult { parameters: Some(parameters), next_token })?)
}

/// A parameter policy as DescribeParameters and GetParameterHistory show it.
fn policy_out(text: String, kind: String, status: String) -> ParameterInlinePolicy {
    ParameterInlinePolicy { policy_text: Some(text), policy_type: Some(kind), policy_status: Some(status) }
}

fn parameter_not_found(name: &str) -> SsmError {
    SsmError::ParameterNotFound(format!("Parameter {name} not found."))
}

pub(crate) async fn get_parameter_history(ctx: &Ctx<'_>, input: GetParameterHistoryRequest) -> Result<Value, SsmError> {
    let scope = scope(ctx);
    let reference =
        names::reference(&input.name, ctx.region, ctx.account()).ok_or_else(|| parameter_not_found(&input.name))?;
    let (versions, labels, current_policies) = {
        let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
        let mut found = None;
        for name in &reference.candidates {
            let versions = store::ssm::history(&mut conn, scope, name).await?;
            if !versions.is_empty() {
                let labels = store::ssm::labels(&mut conn, scope, name).await?;
                let policies = store::ssm::policies(&mut conn, scope, name).await?;
                found = Some((versions, labels, policies));
                break;
            }
        }
        found.ok_or_else(|| parameter_not_found(&input.name))?
    };
    let current = versions.last().map(|v| v.version);
    let (page, next_token) = paginate(versions, input.next_token.as_deref(), page_size(input.max_results, 50), |v| {
        format!("{:020}", v.version)
    })?;
    let mut parameters = Vec::with_capacity(page.len());
    for v in page {
        let value = value_of(ctx, &v, input.with_decryption.unwrap_or(false)).await?;
        let policies = policies::from_texts_json(&v.policies)
            .into_iter()
            .zip(0_i64..)
            .map(|(p, idx)| {
                let live = current_policies.iter().find(|c| c.idx == idx && c.text == p.text);
                let status = match live {
                    Some(c) if Some(v.version) == current => c.status.clone(),
                    _ if Some(v.version) == current => PENDING.to_owned(),
                    _ => FINISHED.to_owned(),
                };
                let policy_type = serde_json::from_str::<Value>(&p.text)
                    .ok()
                    .and_then(|t| t.get("Type").and_then(Value::as_str).map(str::to_owned))
                    .unwrap_or_default();
                policy_out(p.text, policy_type, status)
            })
            .collect();
        parameters.push(ParameterHistory {
            labels: Some(labels.iter().filter(|(_, lv)| *lv == v.version).map(|(l, _)| l.clone()).collect()),
            key_id: v.key_id,
            last_modified_date: Some(aws_core::service::epoch_seconds(v.modified_ms)),
            last_modified_user: Some(v.modified_user),
            description: v.description,
            value: Some(value),
            allowed_pattern: v.allowed_pattern,
            version: Some(v.version),
            tier: Some(v.tier),
            policies: Some(policies),
            data_type: Some(v.data_type),
            r#type: Some(v.kind),
            name: Some(v.name),
        });
    }
    Ok(service::output(&GetParameterHistoryResult { parameters: Some(parameters), next_token })?)
}

pub(crate) async fn label_parameter_version(
    ctx: &Ctx<'_>,
    input: LabelParameterVersionRequest,
) -> Result<Value, SsmError> {
    let scope = scope(ctx);
    let mut tx = ctx.env.store.begin().await?;
    let current =
        store::ssm::current(&mut tx, scope, &input.name).await?.ok_or_else(|| parameter_not_found(&input.name))?;
    let version_number = input.parameter_version.unwrap_or(current.version);
    let version = store::ssm::version(&mut tx, scope, &input.name, version_number)
        .await?
        .ok_or_else(|| version_not_found(&input.name, version_number))?;
    let (valid, invalid): (Vec<String>, Vec<String>) = input.labels.into_iter().partition(|l| names::label_ok(l));
    let existing = store::ssm::labels(&mut tx, scope, &input.name).await?;
    let on_version = existing.iter().filter(|(_, v)| *v == version_number).count();
    let added = valid.iter().filter(|l| !existing.iter().any(|(e, v)| e == *l && *v == version_number)).count();
    if on_version + added > MAX_LABELS {
        return Err(SsmError::ParameterVersionLabelLimitExceeded);
    }
    for label in &valid {
        store::ssm::set_label(&mut tx, scope, &input.name, label, version_number).await?;
    }
    if !valid.is_empty() {
        events::emit_change(ctx.env, &mut tx, scope, "LabelParameterVersion", &version, ctx.now_ms).await?;
    }
    commit(tx).await?;
    Ok(service::output(&LabelParameterVersionResult {
        invalid_labels: Some(invalid),
        parameter_version: Some(version_number),
    })?)
}

pub(crate) async fn unlabel_parameter_version(
    ctx: &Ctx<'_>,
    input: UnlabelParameterVersionRequest,
) -> Result<Value, SsmError> {
    let scope = scope(ctx);
    let mut tx = ctx.env.store.begin().await?;
    store::ssm::current(&mut tx, scope, &input.name).await?.ok_or_else(|| parameter_not_found(&input.name))?;
    store::ssm::version(&mut tx, scope, &input.name, input.parameter_version)
        .await?
        .ok_or_else(|| version_not_found(&input.name, input.parameter_version))?;
    let mut removed = Vec::new();
    let mut invalid = Vec::new();
    for label in input.labels {
        if store::ssm::remove_label(&mut tx, scope, &input.name, &label, input.parameter_version).await? {
            removed.push(label);
        } else {
            invalid.push(label);
        }
    }
    commit(tx).await?;
    Ok(service::output(&UnlabelParameterVersionResult {
        removed_labels: Some(removed),
        invalid_labels: Some(invalid),
    })?)
}

/// Deletes a parameter in `conn`'s transaction with its event; false when it does not exist.
async fn delete_one(ctx: &Ctx<'_>, conn: &mut store::Conn, name: &str) -> Result<bool, SsmError> {
    let scope = scope(ctx);
    let Some(current) = store::ssm::current(conn, scope, name).await? else {
        return Ok(false);
    };
    policies::unschedule(conn, scope, name).await?;
    store::ssm::delete(conn, scope, name).await?;
    events::emit_change(ctx.env, conn, scope, "Delete", &current, ctx.now_ms).await?;
    Ok(true)
}

pub(crate) async fn delete_parameter(ctx: &Ctx<'_>, input: DeleteParameterRequest) -> Result<Value, SsmError> {
    let mut tx = ctx.env.store.begin().await?;
    if !delete_one(ctx, &mut tx, &input.name).await? {
        return Err(SsmError::ParameterNotFound(String::new()));
    }
    commit(tx).await?;
    Ok(service::output(&DeleteParameterResult {})?)
}

pub(crate) async fn delete_parameters(ctx: &Ctx<'_>, input: DeleteParametersRequest) -> Result<Value, SsmError> {
    let mut tx = ctx.env.store.begin().await?;
    let mut deleted = Vec::new();
    let mut invalid = Vec::new();
    for name in input.names {
        if deleted.contains(&name) || invalid.contains(&name) {
            continue;
        }
        if delete_one(ctx, &mut tx, &name).await? {
            deleted.push(name);
        } else {
            invalid.push(name);
        }
    }
    commit(tx).await?;
    Ok(service::output(&DeleteParametersResult {
        deleted_parameters: Some(deleted),
        invalid_parameters: Some(invalid),
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_core::error::ServiceError;

    #[test]
    fn tiers_are_chosen_like_parameter_store() {
        assert_eq!(choose_tier(None, None, STANDARD, false, 10, false).unwrap(), STANDARD);
        assert_eq!(choose_tier(None, Some(ADVANCED), STANDARD, false, 10, false).unwrap(), ADVANCED);
        assert_eq!(choose_tier(Some(INTELLIGENT), None, STANDARD, true, 10, false).unwrap(), ADVANCED);
        assert_eq!(choose_tier(Some(INTELLIGENT), None, STANDARD, false, 5000, false).unwrap(), ADVANCED);
        assert_eq!(choose_tier(Some(INTELLIGENT), None, STANDARD, false, 10, true).unwrap(), ADVANCED);
        assert_eq!(choose_tier(Some(INTELLIGENT), None, STANDARD, false, 10, false).unwrap(), STANDARD);
        let e = choose_tier(Some(STANDARD), Some(ADVANCED), STANDARD, false, 10, false).unwrap_err();
        assert!(e.to_string().starts_with("This parameter uses the advanced-parameter tier."));
    }

    #[test]
    fn the_default_tier_decides_when_the_request_does_not() {
        // A new parameter: the default as if requested.
        assert_eq!(choose_tier(None, None, ADVANCED, false, 10, false).unwrap(), ADVANCED);
        assert_eq!(choose_tier(None, None, INTELLIGENT, true, 10, false).unwrap(), ADVANCED);
        assert_eq!(choose_tier(None, None, INTELLIGENT, false, 10, false).unwrap(), STANDARD);
        // An update keeps its tier, unless Intelligent-Tiering finds it needs the advanced one.
        assert_eq!(choose_tier(None, Some(STANDARD), ADVANCED, false, 10, false).unwrap(), STANDARD);
        assert_eq!(choose_tier(None, Some(STANDARD), STANDARD, true, 10, false).unwrap(), STANDARD);
        assert_eq!(choose_tier(None, Some(STANDARD), INTELLIGENT, true, 10, false).unwrap(), ADVANCED);
        assert_eq!(choose_tier(None, Some(STANDARD), INTELLIGENT, false, 10, false).unwrap(), STANDARD);
        assert_eq!(choose_tier(None, Some(ADVANCED), INTELLIGENT, false, 10, false).unwrap(), ADVANCED);
        // A tier in the request wins over the default.
        assert_eq!(choose_tier(Some(STANDARD), None, ADVANCED, false, 10, false).unwrap(), STANDARD);
    }

    #[test]
    fn values_are_held_to_their_tier_and_pattern() {
        assert!(check_value(&"x".repeat(4096), STANDARD, None).is_ok());
        assert!(check_value(&"x".repeat(4097), STANDARD, None).unwrap_err().to_string().starts_with("Standard tier"));
        assert!(check_value(&"x".repeat(8192), ADVANCED, None).is_ok());
        assert_eq!(check_value(&"x".repeat(8193), ADVANCED, None).unwrap_err().code(), "ValidationException");
        assert_eq!(check_value("", STANDARD, None).unwrap_err().code(), "ValidationException");
        assert!(check_value("123", STANDARD, Some(r"^\d+$")).is_ok());
        let e = check_value("12a", STANDARD, Some(r"^\d+$")).unwrap_err();
        assert_eq!(e.to_string(), r"Parameter value, cannot be validated against allowedPattern: ^\d+$");
        assert_eq!(check_value("x", STANDARD, Some("(")).unwrap_err().code(), "InvalidAllowedPatternException");
    }

    #[test]
    fn pages_resume_after_their_token() {
        let items: Vec<String> = ["/a", "/b", "/c"].iter().map(|s| (*s).to_owned()).collect();
        let (page, next) = paginate(items.clone(), None, 2, Clone::clone).unwrap();
        assert_eq!(page, ["/a", "/b"]);
        let (page, next) = paginate(items.clone(), next.as_deref(), 2, Clone::clone).unwrap();
        assert_eq!((page, next), (vec!["/c".to_owned()], None));
        assert!(matches!(paginate(items, Some("***"), 2, Clone::clone), Err(SsmError::InvalidNextToken)));
    }
}
