//! The SP-API operations, written once for both ends of the wire: the sandbox (`sp`) serves some
//! of them, the agent paces and authorizes calls to any of them. Each has its API, its
//! `operationId`, method and path template, Amazon's published default usage plan, the token a
//! call needs (a selling partner's, a grantless one of a scope, or a restricted data token) and
//! the roles that give it. Pure: no I/O, no HTTP types.
//!
//! ```
//! let path = "/orders/v0/orders/902-3159896-1390916/address";
//! let op = spcred_spapi::find("GET", path).unwrap();
//! assert_eq!(op.name, "getOrderAddress");
//! assert_eq!(spcred_spapi::path_params(op.template, path), Some(vec!["902-3159896-1390916"]));
//! assert_eq!(op.rdt_path(path), "/orders/v0/orders/{orderId}/address");
//! ```

mod table;

pub use table::{
    CREATE_DESTINATION, CREATE_RESTRICTED_DATA_TOKEN, CREATE_SUBSCRIPTION, DELETE_DESTINATION,
    DELETE_SUBSCRIPTION_BY_ID, GET_DESTINATION, GET_DESTINATIONS, GET_MARKETPLACE_PARTICIPATIONS, GET_ORDER,
    GET_ORDER_ADDRESS, GET_ORDER_BUYER_INFO, GET_ORDER_ITEMS, GET_ORDER_ITEMS_BUYER_INFO, GET_ORDERS, GET_SUBSCRIPTION,
    GET_SUBSCRIPTION_BY_ID, OPERATIONS, ROTATE_APPLICATION_CLIENT_SECRET,
};

/// The scopes of grantless tokens (LWA's `client_credentials` grant).
pub mod scope {
    /// The Notifications API's destination and subscription-by-id operations.
    pub const NOTIFICATIONS: &str = "sellingpartnerapi::notifications";
    /// The Application Management API (client secret rotation).
    pub const ROTATION: &str = "sellingpartnerapi::client_credential:rotation";
    /// The Authorization API (MWS migration).
    pub const MIGRATION: &str = "sellingpartnerapi::migration";
    /// Every grantless scope LWA hands out.
    pub const ALL: [&str; 3] = [NOTIFICATIONS, ROTATION, MIGRATION];
}

/// The SP-API roles the table names (Amazon's full list is the sandbox's catalog).
pub mod role {
    /// Gives shipping addresses (`shippingAddress`, `.../address`).
    pub const DIRECT_TO_CONSUMER_SHIPPING: &str = "Direct-to-Consumer Shipping";
    /// Gives buyers' tax information.
    pub const TAX_INVOICING: &str = "Tax Invoicing";
    /// Also gives buyers' tax information.
    pub const TAX_REMITTANCE: &str = "Tax Remittance";
    /// The general role of the Orders API.
    pub const INVENTORY_AND_ORDER_TRACKING: &str = "Inventory and Order Tracking";
}

/// The data elements of restricted data, as a restricted data token's `dataElements` name them.
pub mod element {
    /// The buyer's name and e-mail.
    pub const BUYER_INFO: &str = "buyerInfo";
    /// The shipping address.
    pub const SHIPPING_ADDRESS: &str = "shippingAddress";
    /// The buyer's tax information.
    pub const BUYER_TAX_INFORMATION: &str = "buyerTaxInformation";
    /// The data elements of the Orders API's restricted data.
    pub const ORDERS: &[&str] = &[BUYER_INFO, SHIPPING_ADDRESS, BUYER_TAX_INFORMATION];
}

/// A usage plan: requests per second and bucket size, as Amazon publishes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Requests per second.
    pub rate: f64,
    /// Bucket size.
    pub burst: u32,
}

impl Plan {
    /// A plan of `rate` requests per second and `burst`.
    pub const fn new(rate: f64, burst: u32) -> Self {
        Self { rate, burst }
    }

    /// This plan scaled for a selling partner with a larger usage plan.
    #[must_use]
    pub fn scaled(self, scale: f64) -> Self {
        let scale = if scale.is_finite() && scale >= 1.0 { scale } else { 1.0 };
        // Burst sizes are whole requests; a scale large enough to overflow caps at u32::MAX.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let burst = (f64::from(self.burst) * scale).min(f64::from(u32::MAX)) as u32;
        Self { rate: self.rate * scale, burst }
    }

    /// The `x-amzn-RateLimit-Limit` value: the rate as Amazon prints it (`0.0167`, `1.0`).
    pub fn header(self) -> String {
        if self.rate.fract() == 0.0 { format!("{:.1}", self.rate) } else { format!("{}", self.rate) }
    }
}

/// What a call needs in `x-amz-access-token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The selling partner's LWA access token.
    Seller,
    /// A grantless token of this scope.
    Grantless(&'static str),
    /// Always a restricted data token; `generic` when Amazon accepts the path with its
    /// `{placeholders}`, so one token covers every order.
    Restricted {
        /// Whether a token for the template covers every path it matches.
        generic: bool,
    },
    /// A restricted data token when the client asks for these data elements, else the seller's
    /// token.
    Elements {
        /// Whether a token for the template covers every path it matches.
        generic: bool,
        /// The data elements a token may ask for.
        elements: &'static [&'static str],
    },
    /// A restricted data token for the exact path when the client asks (a report document of a
    /// restricted report type), else the seller's token.
    OnRequest,
}

/// An SP-API operation.
#[derive(Debug, PartialEq)]
pub struct Operation {
    /// The API, to tell apart operations of the same name (`getOrders` of Orders and of Direct
    /// Fulfillment Orders).
    pub api: &'static str,
    /// The `operationId`.
    pub name: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path; each `{x}` segment matches one non-empty segment.
    pub template: &'static str,
    /// Amazon's default usage plan.
    pub plan: Plan,
    /// The token a call needs.
    pub access: Access,
    /// The roles of which an application needs one: to call the operation with a seller's token
    /// or, for [`Access::Restricted`], to be granted a restricted data token for it. Empty: any
    /// role (or not recorded: only the sandbox checks roles, for the operations it serves).
    pub roles: &'static [&'static str],
}

impl Operation {
    /// The `path` of the restricted resource that covers a call to `path`: the template when
    /// Amazon takes a generic path, else the path itself.
    pub fn rdt_path<'a>(&'a self, path: &'a str) -> &'a str {
        match self.access {
            Access::Restricted { generic: true } | Access::Elements { generic: true, .. } => self.template,
            _ => path,
        }
    }
}

/// The values of `template`'s `{placeholders}` in `path` (as they are, not percent-decoded) when
/// `path` matches it: the same number of segments, each `{x}` against a non-empty one, the rest
/// equal.
pub fn path_params<'p>(template: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let mut t = template.split('/');
    let mut p = path.split('/');
    let mut params = Vec::new();
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') => {
                if ps.is_empty() {
                    return None;
                }
                params.push(ps);
            }
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return None,
        }
    }
}

/// Does `path` match `template` (see [`path_params`])?
pub fn matches(template: &str, path: &str) -> bool {
    path_params(template, path).is_some()
}

/// The operation at `method` `path` (without its query), if the table has it.
pub fn find(method: &str, path: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|o| o.method == method && matches(o.template, path))
}

#[cfg(test)]
mod tests;
