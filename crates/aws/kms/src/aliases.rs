//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases. Names under `alias/aws/` belong
//! to AWS managed keys.

use super::epoch_seconds;
use super::error::KmsError;
use super::keys;
use super::manage::page;
use super::ops::{
    AliasListEntry, CreateAliasRequest, DeleteAliasRequest, ListAliasesRequest, ListAliasesResponse, UpdateAliasRequest,
};
use aws_core::service::{Authorization, Check, Ctx};
use store::kms::{Alias, Key};

fn validate_name(alias_name: &str) -> Result<(), KmsError> {
    if !alias_name.starts_with("alias/") {
        return Err(KmsError::validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if alias_name.starts_with("alias/aws/") {
        return Err(KmsError::NotAuthorized);
    }
    if alias_name.contains(':') {
        return Err(KmsError::validation(format!("{alias_name} contains invalid characters for an alias")));
    }
    Ok(())
}

/// The key an alias is made to point at: a key id or key ARN, never another alias.
async fn target(ctx: &Ctx<'_>, key_ref: &str) -> Result<Key, KmsError> {
    if keys::alias_in(key_ref).is_some() {
        return Err(KmsError::validation("Aliases must refer to keys. Not aliases"));
    }
    keys::resolve(ctx.env, ctx.account(), ctx.region, key_ref, false).await
}

async fn existing(ctx: &Ctx<'_>, alias_name: &str) -> Result<(Alias, Key), KmsError> {
    let (account, region) = (ctx.account(), ctx.region);
    let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let alias = store::kms::get_alias(&mut conn, account, region, alias_name)
        .await?
        .ok_or_else(|| keys::alias_not_found(region, account, alias_name))?;
    let key = store::kms::get_key(&mut conn, account, region, &alias.target_key_id)
        .await?
        .ok_or_else(|| keys::alias_not_found(region, account, alias_name))?;
    Ok((alias, key))
}

/// Alias operations need the action on the alias (IAM policies only) and on each key involved.
fn alias_check(ctx: &Ctx<'_>, action: &str, alias_name: &str) -> Check {
    Check::new(action, keys::alias_arn(ctx.region, ctx.account(), alias_name))
}

pub(crate) async fn authorize_create(ctx: &Ctx<'_>, input: &CreateAliasRequest) -> Result<Authorization, KmsError> {
    validate_name(&input.alias_name)?;
    let key = target(ctx, &input.target_key_id).await?;
    Ok(Authorization::All(vec![
        alias_check(ctx, "kms:CreateAlias", &input.alias_name),
        keys::check(ctx, "kms:CreateAlias", &key),
    ]))
}

pub(crate) async fn create_alias(ctx: &Ctx<'_>, input: CreateAliasRequest) -> Result<(), KmsError> {
    validate_name(&input.alias_name)?;
    let key = target(ctx, &input.target_key_id).await?;
    keys::require_not_pending_deletion(&key)?;
    let (account, region) = (ctx.account(), ctx.region);
    let mut tx = ctx.env.store.begin().await?;
    if store::kms::get_alias(&mut tx, account, region, &input.alias_name).await?.is_some() {
        return Err(KmsError::AlreadyExists(format!(
            "An alias with the name {} already exists",
            keys::alias_arn(region, account, &input.alias_name)
        )));
    }
    let alias = Alias {
        alias_name: input.alias_name,
        target_key_id: key.key_id,
        created_ms: ctx.now_ms,
        updated_ms: ctx.now_ms,
    };
    store::kms::insert_alias(&mut tx, account, region, &alias).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

pub(crate) async fn authorize_update(ctx: &Ctx<'_>, input: &UpdateAliasRequest) -> Result<Authorization, KmsError> {
    validate_name(&input.alias_name)?;
    let (_, old) = existing(ctx, &input.alias_name).await?;
    let new = target(ctx, &input.target_key_id).await?;
    Ok(Authorization::All(vec![
        alias_check(ctx, "kms:UpdateAlias", &input.alias_name),
        keys::check(ctx, "kms:UpdateAlias", &old),
        keys::check(ctx, "kms:UpdateAlias", &new),
    ]))
}

pub(crate) async fn update_alias(ctx: &Ctx<'_>, input: UpdateAliasRequest) -> Result<(), KmsError> {
    validate_name(&input.alias_name)?;
    existing(ctx, &input.alias_name).await?;
    let new = target(ctx, &input.target_key_id).await?;
    keys::require_not_pending_deletion(&new)?;
    let mut tx = ctx.env.store.begin().await?;
    store::kms::retarget_alias(&mut tx, ctx.account(), ctx.region, &input.alias_name, &new.key_id, ctx.now_ms).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

pub(crate) async fn authorize_delete(ctx: &Ctx<'_>, input: &DeleteAliasRequest) -> Result<Authorization, KmsError> {
    validate_name(&input.alias_name)?;
    let (_, key) = existing(ctx, &input.alias_name).await?;
    Ok(Authorization::All(vec![
        alias_check(ctx, "kms:DeleteAlias", &input.alias_name),
        keys::check(ctx, "kms:DeleteAlias", &key),
    ]))
}

pub(crate) async fn delete_alias(ctx: &Ctx<'_>, input: DeleteAliasRequest) -> Result<(), KmsError> {
    validate_name(&input.alias_name)?;
    let mut tx = ctx.env.store.begin().await?;
    if !store::kms::delete_alias(&mut tx, ctx.account(), ctx.region, &input.alias_name).await? {
        return Err(keys::alias_not_found(ctx.region, ctx.account(), &input.alias_name));
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

pub(crate) async fn list_aliases(ctx: &Ctx<'_>, input: ListAliasesRequest) -> Result<ListAliasesResponse, KmsError> {
    let (account, region) = (ctx.account(), ctx.region);
    let key = match &input.key_id {
        Some(k) => Some(keys::resolve(ctx.env, account, region, k, false).await?),
        None => None,
    };
    let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let rows = store::kms::list_aliases(&mut conn, account, region, key.as_ref().map(|k| k.key_id.as_str())).await?;
    let mut entries: Vec<AliasListEntry> = rows
        .into_iter()
        .map(|a| AliasListEntry {
            alias_arn: Some(keys::alias_arn(region, account, &a.alias_name)),
            alias_name: Some(a.alias_name),
            target_key_id: Some(a.target_key_id),
            creation_date: Some(epoch_seconds(a.created_ms)),
            last_updated_date: Some(epoch_seconds(a.updated_ms)),
        })
        .collect();
    // AWS lists the predefined aliases of AWS managed keys even before their keys exist.
    if key.is_none() {
        for name in keys::managed_aliases() {
            if !entries.iter().any(|e| e.alias_name.as_deref() == Some(name)) {
                entries.push(AliasListEntry {
                    alias_arn: Some(keys::alias_arn(region, account, name)),
                    alias_name: Some(name.to_owned()),
                    target_key_id: None,
                    creation_date: None,
                    last_updated_date: None,
                });
            }
        }
        entries.sort_by(|a, b| a.alias_name.cmp(&b.alias_name));
    }
    if let Some(after) = &input.marker {
        entries.retain(|e| e.alias_name.as_deref().is_some_and(|n| n > after.as_str()));
    }
    // The wire layer holds Limit to 1..=1000.
    let limit = usize::try_from(input.limit.unwrap_or(50)).unwrap_or(50);
    let (aliases, next_marker) = page(entries, limit, |e| e.alias_name.clone().unwrap_or_default());
    Ok(ListAliasesResponse { aliases: Some(aliases), truncated: Some(next_marker.is_some()), next_marker })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names_are_validated_like_kms() {
        assert!(validate_name("alias/my-key_1/x").is_ok());
        let e = validate_name("my-key").unwrap_err();
        assert!(e.to_string().starts_with("Alias must start with the prefix \"alias/\""));
        assert!(matches!(validate_name("alias/aws/ssm"), Err(KmsError::NotAuthorized)));
        assert_eq!(
            validate_name("alias/a:b").unwrap_err().to_string(),
            "alias/a:b contains invalid characters for an alias"
        );
    }
}
