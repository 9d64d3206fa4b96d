//! The SP-API operations the agent knows: what token each needs (a seller's, a grantless one of a
//! scope, or a restricted data token for Amazon's PII operations) and its published usage plan.
//! An operation not in the table is proxied with the seller's token and paced only by the 429s
//! and `x-amzn-RateLimit-Limit` headers SP-API returns.

/// A usage plan: requests per second and bucket size, as Amazon publishes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Plan {
    pub rate: f64,
    pub burst: u32,
}

const fn plan(rate: f64, burst: u32) -> Plan {
    Plan { rate, burst }
}

/// The grantless scope of the Notifications API's destination operations.
pub(crate) const SCOPE_NOTIFICATIONS: &str = "sellingpartnerapi::notifications";
/// The grantless scope of the Application Management API.
pub const SCOPE_ROTATION: &str = "sellingpartnerapi::client_credential:rotation";
/// The grantless scope of the Authorization API.
pub(crate) const SCOPE_MIGRATION: &str = "sellingpartnerapi::migration";
/// The grantless scopes the token API hands out.
pub(crate) const SCOPES: [&str; 3] = [SCOPE_NOTIFICATIONS, SCOPE_ROTATION, SCOPE_MIGRATION];

/// The data elements of the Orders API's restricted data.
pub(crate) const ORDER_ELEMENTS: &[&str] = &["buyerInfo", "shippingAddress", "buyerTaxInformation"];

/// What a call needs in `x-amz-access-token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The selling partner's LWA access token.
    Seller,
    /// A grantless token of this scope.
    Grantless(&'static str),
    /// Always a restricted data token; `generic` when Amazon accepts the path with its
    /// `{placeholders}`, so one token covers every order.
    Restricted { generic: bool },
    /// A restricted data token when the client asks for these data elements, else the seller's
    /// token.
    Elements { generic: bool, elements: &'static [&'static str] },
    /// A restricted data token for the exact path when the client asks (a report document of a
    /// restricted report type), else the seller's token.
    OnRequest,
}

/// An SP-API operation.
#[derive(Debug, PartialEq)]
pub(crate) struct Operation {
    /// The API, to tell apart operations of the same name (`getOrders` of Orders and of Direct
    /// Fulfillment Orders).
    pub api: &'static str,
    /// The `operationId`.
    pub name: &'static str,
    pub method: &'static str,
    pub template: &'static str,
    pub plan: Plan,
    pub access: Access,
}

const fn op(
    api: &'static str,
    name: &'static str,
    method: &'static str,
    template: &'static str,
    plan: Plan,
    access: Access,
) -> Operation {
    Operation { api, name, method, template, plan, access }
}

use Access::{Elements, Grantless, OnRequest, Restricted, Seller};

const ORDERS_GENERIC: Access = Elements { generic: true, elements: ORDER_ELEMENTS };
const DF: Plan = plan(10.0, 10);
const SPECIFIC: Access = Restricted { generic: false };

/// The `createRestrictedDataToken` operation, which the agent calls itself.
pub(crate) const CREATE_RDT: Operation =
    op("tokens", "createRestrictedDataToken", "POST", "/tokens/2021-03-01/restrictedDataToken", plan(1.0, 10), Seller);

/// The table. Usage plans are Amazon's published defaults; restricted operations are those of
/// the Tokens API use case guide.
pub(crate) const OPERATIONS: &[Operation] = &[
    op(
        "sellers",
        "getMarketplaceParticipations",
        "GET",
        "/sellers/v1/marketplaceParticipations",
        plan(0.016, 15),
        Seller,
    ),
    op("sellers", "getAccount", "GET", "/sellers/v1/account", plan(0.016, 15), Seller),
    op(
        "orders",
        "getOrders",
        "GET",
        "/orders/v0/orders",
        plan(0.0167, 20),
        Elements { generic: false, elements: ORDER_ELEMENTS },
    ),
    op("orders", "getOrder", "GET", "/orders/v0/orders/{orderId}", plan(0.5, 30), ORDERS_GENERIC),
    op(
        "orders",
        "getOrderBuyerInfo",
        "GET",
        "/orders/v0/orders/{orderId}/buyerInfo",
        plan(0.5, 30),
        Restricted { generic: true },
    ),
    op(
        "orders",
        "getOrderAddress",
        "GET",
        "/orders/v0/orders/{orderId}/address",
        plan(0.5, 30),
        Restricted { generic: true },
    ),
    op(
        "orders",
        "getOrderItems",
        "GET",
        "/orders/v0/orders/{orderId}/orderItems",
        plan(0.5, 30),
        Elements { generic: true, elements: &["buyerInfo"] },
    ),
    op(
        "orders",
        "getOrderItemsBuyerInfo",
        "GET",
        "/orders/v0/orders/{orderId}/orderItems/buyerInfo",
        plan(0.5, 30),
        Restricted { generic: true },
    ),
    op("orders", "getOrderRegulatedInfo", "GET", "/orders/v0/orders/{orderId}/regulatedInfo", plan(0.5, 30), SPECIFIC),
    op(
        "orders",
        "updateVerificationStatus",
        "PATCH",
        "/orders/v0/orders/{orderId}/regulatedInfo",
        plan(0.5, 30),
        Seller,
    ),
    op("orders", "updateShipmentStatus", "POST", "/orders/v0/orders/{orderId}/shipment", plan(5.0, 15), Seller),
    op("orders", "confirmShipment", "POST", "/orders/v0/orders/{orderId}/shipmentConfirmation", plan(2.0, 10), Seller),
    CREATE_RDT,
    op(
        "notifications",
        "getSubscription",
        "GET",
        "/notifications/v1/subscriptions/{notificationType}",
        plan(1.0, 5),
        Seller,
    ),
    op(
        "notifications",
        "createSubscription",
        "POST",
        "/notifications/v1/subscriptions/{notificationType}",
        plan(1.0, 5),
        Seller,
    ),
    op(
        "notifications",
        "getSubscriptionById",
        "GET",
        "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}",
        plan(1.0, 5),
        Grantless(SCOPE_NOTIFICATIONS),
    ),
    op(
        "notifications",
        "deleteSubscriptionById",
        "DELETE",
        "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}",
        plan(1.0, 5),
        Grantless(SCOPE_NOTIFICATIONS),
    ),
    op(
        "notifications",
        "getDestinations",
        "GET",
        "/notifications/v1/destinations",
        plan(1.0, 5),
        Grantless(SCOPE_NOTIFICATIONS),
    ),
    op(
        "notifications",
        "createDestination",
        "POST",
        "/notifications/v1/destinations",
        plan(1.0, 5),
        Grantless(SCOPE_NOTIFICATIONS),
    ),
    op(
        "notifications",
        "getDestination",
        "GET",
        "/notifications/v1/destinations/{destinationId}",
        plan(1.0, 5),
        Grantless(SCOPE_NOTIFICATIONS),
    ),
    op(
        "notifications",
        "deleteDestination",
        "DELETE",
        "/notifications/v1/destinations/{destinationId}",
        plan(1.0, 5),
        Grantless(SCOPE_NOTIFICATIONS),
    ),
    op(
        "applications",
        "rotateApplicationClientSecret",
        "POST",
        "/applications/2023-11-30/clientSecret",
        plan(0.0167, 1),
        Grantless(SCOPE_ROTATION),
    ),
    op(
        "authorization",
        "getAuthorizationCode",
        "GET",
        "/authorization/v1/authorizationCode",
        plan(1.0, 5),
        Grantless(SCOPE_MIGRATION),
    ),
    op("catalogItems", "searchCatalogItems", "GET", "/catalog/2022-04-01/items", plan(2.0, 2), Seller),
    op("catalogItems", "getCatalogItem", "GET", "/catalog/2022-04-01/items/{asin}", plan(2.0, 2), Seller),
    op("listingsItems", "searchListingsItems", "GET", "/listings/2021-08-01/items/{sellerId}", plan(5.0, 5), Seller),
    op("listingsItems", "getListingsItem", "GET", "/listings/2021-08-01/items/{sellerId}/{sku}", plan(5.0, 10), Seller),
    op("listingsItems", "putListingsItem", "PUT", "/listings/2021-08-01/items/{sellerId}/{sku}", plan(5.0, 10), Seller),
    op(
        "listingsItems",
        "patchListingsItem",
        "PATCH",
        "/listings/2021-08-01/items/{sellerId}/{sku}",
        plan(5.0, 10),
        Seller,
    ),
    op(
        "listingsItems",
        "deleteListingsItem",
        "DELETE",
        "/listings/2021-08-01/items/{sellerId}/{sku}",
        plan(5.0, 10),
        Seller,
    ),
    op("fbaInventory", "getInventorySummaries", "GET", "/fba/inventory/v1/summaries", plan(2.0, 2), Seller),
    op("reports", "getReports", "GET", "/reports/2021-06-30/reports", plan(0.0222, 10), Seller),
    op("reports", "createReport", "POST", "/reports/2021-06-30/reports", plan(0.0167, 15), Seller),
    op("reports", "getReport", "GET", "/reports/2021-06-30/reports/{reportId}", plan(2.0, 15), Seller),
    op("reports", "cancelReport", "DELETE", "/reports/2021-06-30/reports/{reportId}", plan(0.0222, 10), Seller),
    op("reports", "getReportSchedules", "GET", "/reports/2021-06-30/schedules", plan(0.0222, 10), Seller),
    op("reports", "createReportSchedule", "POST", "/reports/2021-06-30/schedules", plan(0.0222, 10), Seller),
    op(
        "reports",
        "getReportSchedule",
        "GET",
        "/reports/2021-06-30/schedules/{reportScheduleId}",
        plan(0.0222, 10),
        Seller,
    ),
    op(
        "reports",
        "cancelReportSchedule",
        "DELETE",
        "/reports/2021-06-30/schedules/{reportScheduleId}",
        plan(0.0222, 10),
        Seller,
    ),
    op(
        "reports",
        "getReportDocument",
        "GET",
        "/reports/2021-06-30/documents/{reportDocumentId}",
        plan(0.0167, 15),
        OnRequest,
    ),
    op("feeds", "getFeeds", "GET", "/feeds/2021-06-30/feeds", plan(0.0222, 10), Seller),
    op("feeds", "createFeed", "POST", "/feeds/2021-06-30/feeds", plan(0.0083, 15), Seller),
    op("feeds", "getFeed", "GET", "/feeds/2021-06-30/feeds/{feedId}", plan(2.0, 15), Seller),
    op("feeds", "cancelFeed", "DELETE", "/feeds/2021-06-30/feeds/{feedId}", plan(2.0, 15), Seller),
    op("feeds", "createFeedDocument", "POST", "/feeds/2021-06-30/documents", plan(0.5, 15), Seller),
    op("feeds", "getFeedDocument", "GET", "/feeds/2021-06-30/documents/{feedDocumentId}", plan(0.0222, 10), Seller),
    op("finances", "listFinancialEventGroups", "GET", "/finances/v0/financialEventGroups", plan(0.5, 30), Seller),
    op(
        "finances",
        "listFinancialEventsByGroupId",
        "GET",
        "/finances/v0/financialEventGroups/{eventGroupId}/financialEvents",
        plan(0.5, 30),
        Seller,
    ),
    op(
        "finances",
        "listFinancialEventsByOrderId",
        "GET",
        "/finances/v0/orders/{orderId}/financialEvents",
        plan(0.5, 30),
        Seller,
    ),
    op("finances", "listFinancialEvents", "GET", "/finances/v0/financialEvents", plan(0.5, 30), Seller),
    op("productPricing", "getPricing", "GET", "/products/pricing/v0/price", plan(0.5, 1), Seller),
    op("productPricing", "getCompetitivePricing", "GET", "/products/pricing/v0/competitivePrice", plan(0.5, 1), Seller),
    op(
        "productPricing",
        "getListingOffers",
        "GET",
        "/products/pricing/v0/listings/{SellerSKU}/offers",
        plan(1.0, 2),
        Seller,
    ),
    op("productPricing", "getItemOffers", "GET", "/products/pricing/v0/items/{Asin}/offers", plan(0.5, 1), Seller),
    op(
        "productFees",
        "getMyFeesEstimateForSKU",
        "POST",
        "/products/fees/v0/listings/{SellerSKU}/feesEstimate",
        plan(1.0, 2),
        Seller,
    ),
    op(
        "productFees",
        "getMyFeesEstimateForASIN",
        "POST",
        "/products/fees/v0/items/{Asin}/feesEstimate",
        plan(1.0, 2),
        Seller,
    ),
    op(
        "merchantFulfillment",
        "getEligibleShipmentServices",
        "POST",
        "/mfn/v0/eligibleShippingServices",
        plan(5.0, 10),
        Seller,
    ),
    op("merchantFulfillment", "createShipment", "POST", "/mfn/v0/shipments", plan(1.0, 1), SPECIFIC),
    op(
        "merchantFulfillment",
        "getShipment",
        "GET",
        "/mfn/v0/shipments/{shipmentId}",
        plan(1.0, 1),
        Restricted { generic: true },
    ),
    op("merchantFulfillment", "cancelShipment", "DELETE", "/mfn/v0/shipments/{shipmentId}", plan(1.0, 1), SPECIFIC),
    op(
        "merchantFulfillment",
        "cancelShipmentOld",
        "PUT",
        "/mfn/v0/shipments/{shipmentId}/cancel",
        plan(1.0, 1),
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentOrders",
        "getOrders",
        "GET",
        "/vendor/directFulfillment/orders/v1/purchaseOrders",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentOrders",
        "getOrder",
        "GET",
        "/vendor/directFulfillment/orders/v1/purchaseOrders/{purchaseOrderNumber}",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentOrders_2021",
        "getOrders",
        "GET",
        "/vendor/directFulfillment/orders/2021-12-28/purchaseOrders",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentOrders_2021",
        "getOrder",
        "GET",
        "/vendor/directFulfillment/orders/2021-12-28/purchaseOrders/{purchaseOrderNumber}",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping",
        "getShippingLabels",
        "GET",
        "/vendor/directFulfillment/shipping/v1/shippingLabels",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping",
        "getShippingLabel",
        "GET",
        "/vendor/directFulfillment/shipping/v1/shippingLabels/{purchaseOrderNumber}",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping",
        "getPackingSlips",
        "GET",
        "/vendor/directFulfillment/shipping/v1/packingSlips",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping",
        "getPackingSlip",
        "GET",
        "/vendor/directFulfillment/shipping/v1/packingSlips/{purchaseOrderNumber}",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping",
        "getCustomerInvoices",
        "GET",
        "/vendor/directFulfillment/shipping/v1/customerInvoices",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping",
        "getCustomerInvoice",
        "GET",
        "/vendor/directFulfillment/shipping/v1/customerInvoices/{purchaseOrderNumber}",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping_2021",
        "getShippingLabel",
        "GET",
        "/vendor/directFulfillment/shipping/2021-12-28/shippingLabels/{purchaseOrderNumber}",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping_2021",
        "createShippingLabels",
        "POST",
        "/vendor/directFulfillment/shipping/2021-12-28/shippingLabels/{purchaseOrderNumber}",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping_2021",
        "getPackingSlips",
        "GET",
        "/vendor/directFulfillment/shipping/2021-12-28/packingSlips",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping_2021",
        "getPackingSlip",
        "GET",
        "/vendor/directFulfillment/shipping/2021-12-28/packingSlips/{purchaseOrderNumber}",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping_2021",
        "getCustomerInvoices",
        "GET",
        "/vendor/directFulfillment/shipping/2021-12-28/customerInvoices",
        DF,
        SPECIFIC,
    ),
    op(
        "vendorDirectFulfillmentShipping_2021",
        "getCustomerInvoice",
        "GET",
        "/vendor/directFulfillment/shipping/2021-12-28/customerInvoices/{purchaseOrderNumber}",
        DF,
        SPECIFIC,
    ),
    op("easyShip", "createScheduledPackageBulk", "POST", "/easyShip/2022-03-23/packages/bulk", plan(1.0, 5), SPECIFIC),
    op(
        "shipmentInvoicing",
        "getShipmentDetails",
        "GET",
        "/fba/outbound/brazil/v0/shipments/{shipmentId}",
        plan(1.133, 25),
        SPECIFIC,
    ),
];

/// Does `path` (without its query) match `template`, whose `{x}` segments match one non-empty
/// segment?
fn matches(template: &str, path: &str) -> bool {
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) => {
                let placeholder = ts.starts_with('{') && ts.ends_with('}');
                if (placeholder && ps.is_empty()) || (!placeholder && ts != ps) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The operation at `method` `path`, if the table has it.
pub(crate) fn find(method: &str, path: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|o| o.method == method && matches(o.template, path))
}

/// The `path` of the restricted resource that covers a call of `op` to `path`.
pub(crate) fn rdt_path<'a>(op: &'a Operation, path: &'a str) -> &'a str {
    match op.access {
        Restricted { generic: true } | Elements { generic: true, .. } => op.template,
        _ => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(template: &str) -> String {
        template
            .split('/')
            .map(|s| if s.starts_with('{') { "123-4567890-1234567" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    }

    #[test]
    fn every_operation_finds_itself_and_has_a_plan() {
        for o in OPERATIONS {
            assert_eq!(find(o.method, &sample(o.template)), Some(o), "{} {}", o.api, o.name);
            assert!(o.plan.rate > 0.0 && o.plan.burst >= 1, "{}", o.name);
            assert!(o.template.starts_with('/'), "{}", o.name);
        }
        assert_eq!(find("POST", "/tokens/2021-03-01/restrictedDataToken"), Some(&CREATE_RDT));
    }

    #[test]
    fn operation_ids_are_unique_within_an_api() {
        for (i, a) in OPERATIONS.iter().enumerate() {
            for b in &OPERATIONS[i + 1..] {
                assert!(!(a.api == b.api && a.name == b.name), "{} {}", a.api, a.name);
                assert!(!(a.method == b.method && a.template == b.template), "{}", a.template);
            }
        }
    }

    #[test]
    fn orders_pii_and_the_rdt_paths() {
        let addr = find("GET", "/orders/v0/orders/902-3159896-1390916/address").unwrap();
        assert_eq!(addr.name, "getOrderAddress");
        assert_eq!(addr.access, Restricted { generic: true });
        assert_eq!(
            rdt_path(addr, "/orders/v0/orders/902-3159896-1390916/address"),
            "/orders/v0/orders/{orderId}/address"
        );
        let shipment = find("DELETE", "/mfn/v0/shipments/s-1").unwrap();
        assert_eq!(rdt_path(shipment, "/mfn/v0/shipments/s-1"), "/mfn/v0/shipments/s-1");
        let orders = find("GET", "/orders/v0/orders").unwrap();
        assert_eq!(orders.access, Elements { generic: false, elements: ORDER_ELEMENTS });
        assert_eq!(find("GET", "/orders/v0/orders/1/orderItems/buyerInfo").unwrap().name, "getOrderItemsBuyerInfo");
        assert_eq!(find("GET", "/orders/v0/orders//address"), None);
        assert_eq!(find("POST", "/orders/v0/orders"), None);
        assert_eq!(
            find("GET", "/vendor/directFulfillment/orders/v1/purchaseOrders").unwrap().api,
            "vendorDirectFulfillmentOrders"
        );
        assert_eq!(
            find("GET", "/notifications/v1/destinations").unwrap().access,
            Grantless("sellingpartnerapi::notifications")
        );
    }

    proptest! {
        #[test]
        fn any_path_is_found_or_not_without_panicking(path in "/[a-zA-Z0-9/{}._-]{0,120}", m in 0usize..5) {
            let method = ["GET", "POST", "PUT", "PATCH", "DELETE"][m];
            if let Some(o) = find(method, &path) {
                prop_assert_eq!(o.method, method);
                prop_assert_eq!(o.template.split('/').count(), path.split('/').count());
            }
        }
    }
}
