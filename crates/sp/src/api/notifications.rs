//! The Notifications API v1: destinations (grantless: SQS queues and `EventBridge`) and
//! subscriptions (a selling partner's, by notification type).

use super::{Call, Caller, Op};
use crate::error::ApiError;
use crate::{Sandbox, commit};
use serde::Deserialize;
use serde_json::{Value, json};
use store::sp;

/// Notification types a subscription may name. Only `ORDER_CHANGE` has sandbox events.
const NOTIFICATION_TYPES: &[&str] = &[
    "ACCOUNT_STATUS_CHANGED",
    "ANY_OFFER_CHANGED",
    "B2B_ANY_OFFER_CHANGED",
    "BRANDED_ITEM_CONTENT_CHANGE",
    "FBA_INVENTORY_AVAILABILITY_CHANGES",
    "FBA_OUTBOUND_SHIPMENT_STATUS",
    "FEED_PROCESSING_FINISHED",
    "FEE_PROMOTION",
    "FULFILLMENT_ORDER_STATUS",
    "ITEM_PRODUCT_TYPE_CHANGE",
    "LISTINGS_ITEM_ISSUES_CHANGE",
    "LISTINGS_ITEM_STATUS_CHANGE",
    "MFN_ORDER_STATUS_CHANGE",
    "ORDER_CHANGE",
    "ORDER_STATUS_CHANGE",
    "PRICING_HEALTH",
    "PRODUCT_TYPE_DEFINITIONS_CHANGE",
    "REPORT_PROCESSING_FINISHED",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SqsResource {
    arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventBridgeSpec {
    region: String,
    account_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpecification {
    #[serde(default)]
    sqs: Option<SqsResource>,
    #[serde(default)]
    event_bridge: Option<EventBridgeSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateDestination {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    resource_specification: Option<ResourceSpecification>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateSubscription {
    #[serde(default)]
    payload_version: Option<String>,
    #[serde(default)]
    destination_id: Option<String>,
    #[serde(default)]
    processing_directive: Option<Value>,
}

fn destination_json(d: &sp::Destination) -> Value {
    let resource = match (&d.sqs_arn, &d.eb_account_id, &d.eb_region, &d.eb_name) {
        (Some(arn), ..) => json!({"sqs": {"arn": arn}}),
        (None, Some(account), Some(region), Some(name)) => {
            json!({"eventBridge": {"name": name, "region": region, "accountId": account}})
        }
        _ => json!({}),
    };
    json!({"name": d.name, "destinationId": d.destination_id, "resource": resource})
}

fn subscription_json(s: &sp::Subscription) -> Value {
    let mut v = json!({
        "subscriptionId": s.subscription_id,
        "payloadVersion": s.payload_version,
        "destinationId": s.destination_id,
    });
    if let Some(p) = s.processing_directive.as_deref().and_then(|p| serde_json::from_str::<Value>(p).ok()) {
        v["processingDirective"] = p;
    }
    v
}

fn notification_type(call: &Call<'_>) -> Result<String, ApiError> {
    let t = call.params.first().cloned().unwrap_or_default();
    if NOTIFICATION_TYPES.contains(&t.as_str()) {
        Ok(t)
    } else {
        Err(ApiError::bad_input(format!("Invalid notificationType: {t}.")))
    }
}

fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_input(format!("The request body is not valid: {e}")))
}

fn region_ok(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

impl Sandbox {
    /// The Notifications API operations.
    pub(crate) async fn notifications(&self, op: Op, caller: &Caller, call: &Call<'_>) -> Result<Value, ApiError> {
        match op {
            Op::GetDestinations => {
                let mut conn = self.reader().await?;
                let list = sp::destinations(&mut conn, &caller.app.app_id).await?;
                Ok(json!({"payload": list.iter().map(destination_json).collect::<Vec<_>>()}))
            }
            Op::CreateDestination => self.create_destination(caller, call).await,
            Op::GetDestination | Op::DeleteDestination => self.destination(op, caller, call).await,
            Op::GetSubscription => {
                let t = notification_type(call)?;
                let mut conn = self.reader().await?;
                let s = sp::subscription_for(&mut conn, &caller.app.app_id, Some(caller.seller_id()?), &t)
                    .await?
                    .ok_or_else(|| ApiError::not_found(format!("No subscription to {t}.")))?;
                Ok(json!({"payload": subscription_json(&s)}))
            }
            Op::CreateSubscription => self.create_subscription(caller, call).await,
            Op::GetSubscriptionById | Op::DeleteSubscriptionById => self.subscription(op, caller, call).await,
            _ => Err(ApiError::internal()),
        }
    }

    async fn create_destination(&self, caller: &Caller, call: &Call<'_>) -> Result<Value, ApiError> {
        let app_id = &caller.app.app_id;
        let req: CreateDestination = body(call.body)?;
        let name = req.name.filter(|n| !n.trim().is_empty()).ok_or_else(|| ApiError::bad_input("name is required."))?;
        if name.chars().count() > 256 {
            return Err(ApiError::bad_input("name is longer than 256 characters."));
        }
        let spec =
            req.resource_specification.ok_or_else(|| ApiError::bad_input("resourceSpecification is required."))?;
        let mut d = sp::Destination {
            destination_id: self.ids().uuid(),
            app_id: app_id.clone(),
            name,
            sqs_arn: None,
            eb_account_id: None,
            eb_region: None,
            eb_name: None,
            created_ms: self.now_ms(),
        };
        match (spec.sqs, spec.event_bridge) {
            (Some(sqs), None) => {
                crate::apps::check_queue_arn(&sqs.arn).map_err(ApiError::bad_input)?;
                d.sqs_arn = Some(sqs.arn);
            }
            (None, Some(eb)) => {
                if !region_ok(&eb.region) {
                    return Err(ApiError::bad_input(format!("Invalid region: {}.", eb.region)));
                }
                if eb.account_id.len() != 12 || !eb.account_id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ApiError::bad_input(format!("Invalid accountId: {}.", eb.account_id)));
                }
                d.eb_name =
                    Some(format!("aws.partner/sellingpartnerapi.amazon/{}/{}", eb.account_id, d.destination_id));
                d.eb_account_id = Some(eb.account_id);
                d.eb_region = Some(eb.region);
            }
            _ => {
                return Err(ApiError::bad_input("resourceSpecification must have exactly one of sqs and eventBridge."));
            }
        }
        let mut tx = self.begin().await?;
        let existing = sp::destinations(&mut tx, app_id).await?;
        let clash = existing.iter().find(|e| {
            (d.sqs_arn.is_some() && e.sqs_arn == d.sqs_arn)
                || (d.eb_account_id.is_some() && e.eb_account_id == d.eb_account_id && e.eb_region == d.eb_region)
        });
        if let Some(e) = clash {
            return Err(ApiError::conflict(
                "A destination for this resource already exists.",
                format!("destinationId: {}", e.destination_id),
            ));
        }
        sp::insert_destination(&mut tx, &d).await?;
        commit(tx).await?;
        Ok(json!({"payload": destination_json(&d)}))
    }

    async fn destination(&self, op: Op, caller: &Caller, call: &Call<'_>) -> Result<Value, ApiError> {
        let id = call.params.first().cloned().unwrap_or_default();
        let mut conn = self.reader().await?;
        let d = sp::destination(&mut conn, &id)
            .await?
            .filter(|d| d.app_id == caller.app.app_id)
            .ok_or_else(|| ApiError::not_found(format!("No destination {id}.")))?;
        drop(conn);
        if op == Op::GetDestination {
            return Ok(json!({"payload": destination_json(&d)}));
        }
        let mut tx = self.begin().await?;
        if sp::subscriptions_to(&mut tx, &id).await? > 0 {
            return Err(ApiError::conflict(
                "The destination has subscriptions; delete them first.",
                format!("destinationId: {id}"),
            ));
        }
        sp::delete_destination(&mut tx, &id).await?;
        commit(tx).await?;
        Ok(json!({}))
    }

    async fn create_subscription(&self, caller: &Caller, call: &Call<'_>) -> Result<Value, ApiError> {
        let app_id = &caller.app.app_id;
        let t = notification_type(call)?;
        let req: CreateSubscription = body(call.body)?;
        let version = req.payload_version.ok_or_else(|| ApiError::bad_input("payloadVersion is required."))?;
        if version != "1.0" {
            return Err(ApiError::bad_input(format!("Invalid payloadVersion: {version}.")));
        }
        let dest_id = req.destination_id.ok_or_else(|| ApiError::bad_input("destinationId is required."))?;
        let seller = caller.seller_id()?;
        let mut tx = self.begin().await?;
        sp::destination(&mut tx, &dest_id)
            .await?
            .filter(|d| &d.app_id == app_id)
            .ok_or_else(|| ApiError::bad_input(format!("Invalid destinationId: {dest_id}.")))?;
        if let Some(existing) = sp::subscription_for(&mut tx, app_id, Some(seller), &t).await? {
            return Err(ApiError::conflict(
                "Conflicting subscription exists for this notification type.",
                format!("subscriptionId: {}", existing.subscription_id),
            ));
        }
        let s = sp::Subscription {
            subscription_id: self.ids().uuid(),
            app_id: app_id.clone(),
            selling_partner_id: Some(seller.to_owned()),
            notification_type: t,
            destination_id: dest_id,
            payload_version: version,
            processing_directive: req.processing_directive.map(|p| p.to_string()),
            created_ms: self.now_ms(),
        };
        sp::insert_subscription(&mut tx, &s).await?;
        commit(tx).await?;
        Ok(json!({"payload": subscription_json(&s)}))
    }

    async fn subscription(&self, op: Op, caller: &Caller, call: &Call<'_>) -> Result<Value, ApiError> {
        let t = notification_type(call)?;
        let id = call.params.get(1).cloned().unwrap_or_default();
        let mut conn = self.reader().await?;
        let s = sp::subscription(&mut conn, &id)
            .await?
            .filter(|s| s.app_id == caller.app.app_id && s.notification_type == t)
            .ok_or_else(|| ApiError::not_found(format!("No {t} subscription {id}.")))?;
        drop(conn);
        if op == Op::GetSubscriptionById {
            return Ok(json!({"payload": subscription_json(&s)}));
        }
        let mut tx = self.begin().await?;
        sp::delete_subscription(&mut tx, &id).await?;
        commit(tx).await?;
        Ok(json!({}))
    }
}
