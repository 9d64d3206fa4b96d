//! The Tokens API: restricted data tokens (RDT), and what an RDT covers.

use super::{Caller, Op};
use crate::Sandbox;
use crate::error::ApiError;
use crate::lwa::{ACCESS_TOKEN, ACCESS_TOKEN_SECS};
use crate::orders::Pii;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use spapi::Access;
use spapi::element::{BUYER_INFO, BUYER_TAX_INFORMATION, SHIPPING_ADDRESS};
use spapi::role::{TAX_INVOICING, TAX_REMITTANCE};
use store::sp;

/// At most this many restricted resources per token.
const MAX_RESOURCES: usize = 50;

/// A restricted resource: an HTTP method, a path (specific, or generic with `{orderId}`), and
/// the data elements wanted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestrictedResource {
    pub method: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_elements: Vec<String>,
}

/// A restricted operation of those served here: the data elements it takes (none: the path
/// alone is the grant), and the roles that give it.
struct Restricted {
    elements: &'static [&'static str],
    roles: &'static [&'static str],
}

/// The restricted operation, of those served here, whose template covers the resource `method`
/// `path`.
fn restricted(method: &str, path: &str) -> Option<Restricted> {
    Op::ALL.iter().map(|op| op.operation()).find_map(|o| {
        let elements = match o.access {
            Access::Restricted { .. } => &[],
            Access::Elements { elements, .. } => elements,
            Access::Seller | Access::Grantless(_) | Access::OnRequest => return None,
        };
        (o.method == method && path_covers(o.template, path)).then_some(Restricted { elements, roles: o.roles })
    })
}

/// The roles that give a data element: those of the operation that returns it alone.
fn element_roles(element: &str) -> &'static [&'static str] {
    match element {
        SHIPPING_ADDRESS => spapi::GET_ORDER_ADDRESS.roles,
        BUYER_TAX_INFORMATION => &[TAX_INVOICING, TAX_REMITTANCE],
        _ => spapi::GET_ORDER_BUYER_INFO.roles,
    }
}

/// Does the resource path (whose `{x}` segments match anything) cover `path`? A trailing `/`
/// on either counts for nothing.
fn path_covers(resource: &str, path: &str) -> bool {
    spapi::matches(resource.trim_end_matches('/'), path.trim_end_matches('/'))
}

/// Does any of `resources` cover `method` `path`?
pub(crate) fn covers(resources: &[RestrictedResource], method: &str, path: &str) -> bool {
    resources.iter().any(|r| r.method == method && path_covers(&r.path, path))
}

/// The data elements granted for `method` `path`.
pub(crate) fn data_elements(resources: &[RestrictedResource], method: &str, path: &str) -> Pii {
    let mut pii = Pii::default();
    for r in resources.iter().filter(|r| r.method == method && path_covers(&r.path, path)) {
        for e in &r.data_elements {
            match e.as_str() {
                SHIPPING_ADDRESS => pii.shipping_address = true,
                BUYER_INFO => pii.buyer_info = true,
                BUYER_TAX_INFORMATION => pii.buyer_tax_information = true,
                _ => {}
            }
        }
    }
    pii
}

fn invalid_request(details: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "InvalidRequest", "Request is missing or has invalid parameters", details)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(default)]
    target_application: Option<String>,
    #[serde(default)]
    restricted_resources: Option<Vec<RestrictedResource>>,
}

/// Validates the resources against the app's roles, as Amazon does.
fn check(resources: &[RestrictedResource], app_roles: &[String]) -> Result<(), ApiError> {
    if resources.is_empty() {
        return Err(invalid_request("Resource not provided."));
    }
    if resources.len() > MAX_RESOURCES {
        return Err(invalid_request(format!("A maximum of {MAX_RESOURCES} restricted resources can be requested.")));
    }
    let has = |roles: &[&str]| roles.iter().any(|r| app_roles.iter().any(|a| a == r));
    let mut denied_elements: Vec<&str> = Vec::new();
    let mut denied_path = false;
    for r in resources {
        if !["GET", "PUT", "POST", "DELETE"].contains(&r.method.as_str()) {
            return Err(invalid_request(format!("Invalid method: {:?}.", r.method)));
        }
        let Some(restricted) = restricted(&r.method, &r.path) else {
            return Err(invalid_request(format!("{} {} is not a restricted resource.", r.method, r.path)));
        };
        if restricted.elements.is_empty() {
            if !r.data_elements.is_empty() {
                return Err(invalid_request(format!("dataElements is not valid for {}.", r.path)));
            }
            if !has(restricted.roles) {
                denied_path = true;
            }
            continue;
        }
        if r.data_elements.is_empty() {
            return Err(invalid_request(format!("dataElements is required for {}.", r.path)));
        }
        for e in &r.data_elements {
            let Some(known) = restricted.elements.iter().find(|k| **k == e.as_str()) else {
                return Err(invalid_request(format!("Invalid dataElements value for {}: {e:?}.", r.path)));
            };
            if !has(element_roles(known)) && !denied_elements.contains(known) {
                denied_elements.push(known);
            }
        }
    }
    if !denied_elements.is_empty() {
        return Err(ApiError::invalid_input(
            format!(
                "Application does not have access to one or more requested data elements: [{}]",
                denied_elements.join(", ")
            ),
            "",
        ));
    }
    if denied_path {
        return Err(ApiError::invalid_input("Application do not have access to some or all requested resource", ""));
    }
    Ok(())
}

impl Sandbox {
    /// `createRestrictedDataToken`.
    pub(crate) async fn create_rdt(&self, caller: &Caller, body: &[u8]) -> Result<Value, ApiError> {
        let req: Request = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_input(format!("The request body is not valid: {e}")))?;
        let resources = req.restricted_resources.unwrap_or_default();
        let seller = caller.seller_id()?;
        let mut app = caller.app.clone();
        if let Some(target) = req.target_application.as_deref().filter(|t| *t != caller.app.app_id) {
            let mut conn = self.reader().await?;
            app = sp::app(&mut conn, target)
                .await?
                .ok_or_else(|| invalid_request(format!("Invalid targetApplication: {target}.")))?;
        }
        check(&resources, &crate::apps::stored_list(&app.roles))?;
        let token = self.ids().restricted_data_token();
        let now = self.now_ms();
        let resources_json = serde_json::to_string(&resources).map_err(|_| ApiError::internal())?;
        self.tokens
            .insert(
                self.verifier(ACCESS_TOKEN, &token),
                crate::issue::NewToken {
                    kind: "rdt",
                    app_id: app.app_id.clone(),
                    selling_partner_id: Some(seller.to_owned()),
                    authorization_id: caller.authorization_id,
                    scope: None,
                    resources: Some(resources_json),
                    expires_ms: now + ACCESS_TOKEN_SECS * 1000,
                },
            )
            .await?;
        Ok(json!({"restrictedDataToken": token, "expiresIn": ACCESS_TOKEN_SECS}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spapi::role::DIRECT_TO_CONSUMER_SHIPPING;

    fn res(method: &str, path: &str, elements: &[&str]) -> RestrictedResource {
        RestrictedResource {
            method: method.into(),
            path: path.into(),
            data_elements: elements.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn specific_and_generic_paths_cover_calls() {
        let specific = [res("GET", "/orders/v0/orders/111-1111111-1111111/address", &[])];
        assert!(covers(&specific, "GET", "/orders/v0/orders/111-1111111-1111111/address"));
        assert!(!covers(&specific, "GET", "/orders/v0/orders/222-2222222-2222222/address"));
        assert!(!covers(&specific, "POST", "/orders/v0/orders/111-1111111-1111111/address"));
        let generic = [res("GET", "/orders/v0/orders/{orderId}/address", &[])];
        assert!(covers(&generic, "GET", "/orders/v0/orders/222-2222222-2222222/address"));
        assert!(!covers(&generic, "GET", "/orders/v0/orders/222-2222222-2222222/buyerInfo"));
        assert!(!covers(&generic, "GET", "/orders/v0/orders"));
    }

    #[test]
    fn data_elements_come_from_covering_resources_only() {
        let rs = [
            res("GET", "/orders/v0/orders", &["shippingAddress"]),
            res("GET", "/orders/v0/orders/{orderId}", &["buyerInfo"]),
        ];
        let list = data_elements(&rs, "GET", "/orders/v0/orders");
        assert!(list.shipping_address && !list.buyer_info);
        let one = data_elements(&rs, "GET", "/orders/v0/orders/1");
        assert!(one.buyer_info && !one.shipping_address);
    }

    proptest::proptest! {
        #[test]
        fn any_resources_are_checked_without_panicking(
            raw in proptest::collection::vec(("[A-Z]{0,7}", "/[a-zA-Z0-9/{}]{0,60}", proptest::collection::vec("[a-zA-Z]{0,20}", 0..4)), 0..60)
        ) {
            let resources: Vec<RestrictedResource> = raw
                .into_iter()
                .map(|(method, path, data_elements)| RestrictedResource { method, path, data_elements })
                .collect();
            let _ = check(&resources, &[DIRECT_TO_CONSUMER_SHIPPING.to_owned()]);
            let _ = covers(&resources, "GET", "/orders/v0/orders/1/address");
        }
    }

    #[test]
    fn roles_decide_like_amazon() {
        let dtc = vec![DIRECT_TO_CONSUMER_SHIPPING.to_owned()];
        let none: Vec<String> = vec!["Pricing".into()];
        assert!(check(&[res("GET", "/orders/v0/orders/{orderId}/address", &[])], &dtc).is_ok());
        let e = check(&[res("GET", "/orders/v0/orders/1/address", &[])], &none).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("InvalidInput", "Application do not have access to some or all requested resource")
        );
        let e = check(&[res("GET", "/orders/v0/orders", &["buyerInfo", "shippingAddress"])], &none).unwrap_err();
        assert_eq!(
            e.message,
            "Application does not have access to one or more requested data elements: [buyerInfo, shippingAddress]"
        );
        let e = check(&[res("GET", "/orders/v0/orders", &["buyerTaxInformation"])], &dtc).unwrap_err();
        assert!(e.message.ends_with("[buyerTaxInformation]"));
        assert_eq!(check(&[], &dtc).unwrap_err().details, "Resource not provided.");
        assert!(check(&[res("GET", "/orders/v0/orders", &[])], &dtc).unwrap_err().details.contains("required"));
        assert!(check(&[res("GET", "/orders/v0/orders", &["ssn"])], &dtc).unwrap_err().details.contains("ssn"));
        assert!(
            check(&[res("GET", "/sellers/v1/marketplaceParticipations", &[])], &dtc)
                .unwrap_err()
                .details
                .contains("not a restricted")
        );
        assert!(check(&[res("PATCH", "/orders/v0/orders", &[])], &dtc).unwrap_err().details.contains("method"));
        let many: Vec<_> = (0..51).map(|i| res("GET", &format!("/orders/v0/orders/{i}/address"), &[])).collect();
        assert!(check(&many, &dtc).unwrap_err().details.contains("50"));
    }
}
