//! The table of SP-API operations. The operations the sandbox serves, and the ones the agent
//! calls itself, are named; the others appear only in [`OPERATIONS`].

use crate::element::ORDERS as ORDER_ELEMENTS;
use crate::role::{DIRECT_TO_CONSUMER_SHIPPING, INVENTORY_AND_ORDER_TRACKING, TAX_INVOICING, TAX_REMITTANCE};
use crate::scope::{MIGRATION, NOTIFICATIONS, ROTATION};
use crate::{Access, Operation, Plan};

const fn plan(rate: f64, burst: u32) -> Plan {
    Plan::new(rate, burst)
}

const fn op(
    api: &'static str,
    name: &'static str,
    method: &'static str,
    template: &'static str,
    plan: Plan,
    access: Access,
) -> Operation {
    Operation { api, name, method, template, plan, access, roles: &[] }
}

impl Operation {
    /// This operation, given to applications with one of `roles` only.
    const fn roles(self, roles: &'static [&'static str]) -> Self {
        Self { roles, ..self }
    }
}

use Access::{Elements, Grantless, OnRequest, Restricted, Seller};

/// The roles of the Orders API's operations on a seller's token.
const ORDER_ROLES: &[&str] =
    &[INVENTORY_AND_ORDER_TRACKING, DIRECT_TO_CONSUMER_SHIPPING, TAX_INVOICING, TAX_REMITTANCE];
/// The roles that give buyers' information.
const BUYER_ROLES: &[&str] = &[DIRECT_TO_CONSUMER_SHIPPING, TAX_INVOICING, TAX_REMITTANCE];

const ORDERS_GENERIC: Access = Elements { generic: true, elements: ORDER_ELEMENTS };
const DF: Plan = plan(10.0, 10);
const SPECIFIC: Access = Restricted { generic: false };

/// `createRestrictedDataToken`.
pub const CREATE_RESTRICTED_DATA_TOKEN: Operation =
    op("tokens", "createRestrictedDataToken", "POST", "/tokens/2021-03-01/restrictedDataToken", plan(1.0, 10), Seller);
/// `getMarketplaceParticipations`.
pub const GET_MARKETPLACE_PARTICIPATIONS: Operation = op(
    "sellers",
    "getMarketplaceParticipations",
    "GET",
    "/sellers/v1/marketplaceParticipations",
    plan(0.016, 15),
    Seller,
);
/// `getOrders`.
pub const GET_ORDERS: Operation = op(
    "orders",
    "getOrders",
    "GET",
    "/orders/v0/orders",
    plan(0.0167, 20),
    Elements { generic: false, elements: ORDER_ELEMENTS },
)
.roles(ORDER_ROLES);
/// `getOrder`.
pub const GET_ORDER: Operation =
    op("orders", "getOrder", "GET", "/orders/v0/orders/{orderId}", plan(0.5, 30), ORDERS_GENERIC).roles(ORDER_ROLES);
/// `getOrderBuyerInfo`.
pub const GET_ORDER_BUYER_INFO: Operation = op(
    "orders",
    "getOrderBuyerInfo",
    "GET",
    "/orders/v0/orders/{orderId}/buyerInfo",
    plan(0.5, 30),
    Restricted { generic: true },
)
.roles(BUYER_ROLES);
/// `getOrderAddress`.
pub const GET_ORDER_ADDRESS: Operation = op(
    "orders",
    "getOrderAddress",
    "GET",
    "/orders/v0/orders/{orderId}/address",
    plan(0.5, 30),
    Restricted { generic: true },
)
.roles(&[DIRECT_TO_CONSUMER_SHIPPING]);
/// `getOrderItems`.
pub const GET_ORDER_ITEMS: Operation = op(
    "orders",
    "getOrderItems",
    "GET",
    "/orders/v0/orders/{orderId}/orderItems",
    plan(0.5, 30),
    Elements { generic: true, elements: &["buyerInfo"] },
)
.roles(ORDER_ROLES);
/// `getOrderItemsBuyerInfo`.
pub const GET_ORDER_ITEMS_BUYER_INFO: Operation = op(
    "orders",
    "getOrderItemsBuyerInfo",
    "GET",
    "/orders/v0/orders/{orderId}/orderItems/buyerInfo",
    plan(0.5, 30),
    Restricted { generic: true },
)
.roles(BUYER_ROLES);
/// `getSubscription`.
pub const GET_SUBSCRIPTION: Operation = op(
    "notifications",
    "getSubscription",
    "GET",
    "/notifications/v1/subscriptions/{notificationType}",
    plan(1.0, 5),
    Seller,
);
/// `createSubscription`.
pub const CREATE_SUBSCRIPTION: Operation = op(
    "notifications",
    "createSubscription",
    "POST",
    "/notifications/v1/subscriptions/{notificationType}",
    plan(1.0, 5),
    Seller,
);
/// `getSubscriptionById`.
pub const GET_SUBSCRIPTION_BY_ID: Operation = op(
    "notifications",
    "getSubscriptionById",
    "GET",
    "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}",
    plan(1.0, 5),
    Grantless(NOTIFICATIONS),
);
/// `deleteSubscriptionById`.
pub const DELETE_SUBSCRIPTION_BY_ID: Operation = op(
    "notifications",
    "deleteSubscriptionById",
    "DELETE",
    "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}",
    plan(1.0, 5),
    Grantless(NOTIFICATIONS),
);
/// `getDestinations`.
pub const GET_DESTINATIONS: Operation = op(
    "notifications",
    "getDestinations",
    "GET",
    "/notifications/v1/destinations",
    plan(1.0, 5),
    Grantless(NOTIFICATIONS),
);
/// `createDestination`.
pub const CREATE_DESTINATION: Operation = op(
    "notifications",
    "createDestination",
    "POST",
    "/notifications/v1/destinations",
    plan(1.0, 5),
    Grantless(NOTIFICATIONS),
);
/// `getDestination`.
pub const GET_DESTINATION: Operation = op(
    "notifications",
    "getDestination",
    "GET",
    "/notifications/v1/destinations/{destinationId}",
    plan(1.0, 5),
    Grantless(NOTIFICATIONS),
);
/// `deleteDestination`.
pub const DELETE_DESTINATION: Operation = op(
    "notifications",
    "deleteDestination",
    "DELETE",
    "/notifications/v1/destinations/{destinationId}",
    plan(1.0, 5),
    Grantless(NOTIFICATIONS),
);
/// `rotateApplicationClientSecret`.
pub const ROTATE_APPLICATION_CLIENT_SECRET: Operation = op(
    "applications",
    "rotateApplicationClientSecret",
    "POST",
    "/applications/2023-11-30/clientSecret",
    plan(0.0167, 1),
    Grantless(ROTATION),
);

/// The table: every operation the agent knows and the sandbox serves. Usage plans are Amazon's
/// published defaults; restricted operations are those of the Tokens API use case guide.
pub const OPERATIONS: &[Operation] = &[
    GET_MARKETPLACE_PARTICIPATIONS,
    op("sellers", "getAccount", "GET", "/sellers/v1/account", plan(0.016, 15), Seller),
    GET_ORDERS,
    GET_ORDER,
    GET_ORDER_BUYER_INFO,
    GET_ORDER_ADDRESS,
    GET_ORDER_ITEMS,
    GET_ORDER_ITEMS_BUYER_INFO,
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
    CREATE_RESTRICTED_DATA_TOKEN,
    GET_SUBSCRIPTION,
    CREATE_SUBSCRIPTION,
    GET_SUBSCRIPTION_BY_ID,
    DELETE_SUBSCRIPTION_BY_ID,
    GET_DESTINATIONS,
    CREATE_DESTINATION,
    GET_DESTINATION,
    DELETE_DESTINATION,
    ROTATE_APPLICATION_CLIENT_SECRET,
    op(
        "authorization",
        "getAuthorizationCode",
        "GET",
        "/authorization/v1/authorizationCode",
        plan(1.0, 5),
        Grantless(MIGRATION),
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
