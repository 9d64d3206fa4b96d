//! Sample orders and the Orders API v0 over them.
//!
//! Each selling partner gets a dozen orders per marketplace when created. An order is kept as
//! one JSON document: the order's public fields, and apart from them its personally
//! identifiable parts (shipping address, buyer, buyer tax information), which a response
//! includes only when a restricted data token grants those data elements. Changing an order's
//! status (admin API) sends `ORDER_CHANGE` to the subscribed apps.

use crate::catalog::{self, Marketplace};
use crate::error::ApiError;
use crate::notify::{self, Notice, Target};
use crate::{Sandbox, commit, iso_s};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::sp;

/// Orders made per marketplace for a new selling partner.
const ORDERS_PER_MARKETPLACE: u32 = 12;
/// Sample orders are spread over this many days before the seller's creation.
const HISTORY_DAYS: u32 = 30;
const HOUR_MS: i64 = 3_600_000;

/// Order statuses, as the Orders API spells them.
pub(crate) const STATUSES: [&str; 8] = [
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
];

/// Which restricted data elements a call may see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Pii {
    pub shipping_address: bool,
    pub buyer_info: bool,
    pub buyer_tax_information: bool,
}

struct Person {
    name: &'static str,
    line1: &'static str,
    city: &'static str,
    state: &'static str,
    postal: &'static str,
    phone: &'static str,
}

const PEOPLE: &[Person] = &[
    Person {
        name: "Jane Doe",
        line1: "1 Cross St.",
        city: "Canton",
        state: "MI",
        postal: "48817",
        phone: "+1 555-0100",
    },
    Person {
        name: "John Smith",
        line1: "410 Terry Ave N",
        city: "Seattle",
        state: "WA",
        postal: "98109",
        phone: "+1 555-0101",
    },
    Person {
        name: "Maria Garcia",
        line1: "77 Elm Rd",
        city: "Austin",
        state: "TX",
        postal: "73301",
        phone: "+1 555-0102",
    },
    Person {
        name: "Wei Chen",
        line1: "9 Harbor Way",
        city: "Portland",
        state: "OR",
        postal: "97201",
        phone: "+1 555-0103",
    },
    Person {
        name: "Amara Okafor",
        line1: "250 Park Ave",
        city: "New York",
        state: "NY",
        postal: "10177",
        phone: "+1 555-0104",
    },
];

struct Product {
    asin: &'static str,
    sku: &'static str,
    title: &'static str,
    cents: u32,
}

const PRODUCTS: &[Product] = &[
    Product { asin: "B07X6C9RMF", sku: "MUG-BLUE-12", title: "Ceramic Coffee Mug, 12 oz, Blue", cents: 1299 },
    Product { asin: "B08N5WRWNW", sku: "LAMP-DESK-LED", title: "LED Desk Lamp with USB Charging Port", cents: 3499 },
    Product { asin: "B01LYCLS24", sku: "NOTE-A5-DOT", title: "A5 Dotted Notebook, 160 Pages", cents: 999 },
    Product { asin: "B09G9FPHY6", sku: "BOTTLE-STEEL-750", title: "Insulated Steel Water Bottle, 750 ml", cents: 2450 },
    Product { asin: "B00FLYWNYQ", sku: "PAN-CAST-10", title: "Pre-Seasoned Cast Iron Skillet, 10 inch", cents: 2899 },
];

fn money(currency: &str, cents: u64) -> Value {
    json!({"CurrencyCode": currency, "Amount": format!("{}.{:02}", cents / 100, cents % 100)})
}

/// The stored document of an order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Document {
    /// The order's public fields.
    pub order: Value,
    pub address: Value,
    pub buyer: Value,
    pub tax: Option<Value>,
    pub items: Vec<Value>,
}

impl Sandbox {
    /// Makes the sample orders of a new selling partner, in the caller's transaction.
    pub(crate) async fn generate_orders(
        &self,
        tx: &mut store::Tx,
        seller_id: &str,
        marketplaces: &[&'static Marketplace],
        now: i64,
    ) -> Result<u32, store::StoreError> {
        let ids = self.ids();
        let mut made = 0;
        for m in marketplaces {
            for i in 0..ORDERS_PER_MARKETPLACE {
                let purchase =
                    now - i64::from(ids.below(HISTORY_DAYS * 24) + 1) * HOUR_MS - i64::from(ids.below(3_600_000));
                let status = ["Shipped", "Shipped", "Unshipped", "Pending", "Canceled", "PartiallyShipped"]
                    [usize::try_from(ids.below(6)).unwrap_or(0)];
                let business = i % 5 == 4;
                let doc = self.sample_document(m, status, purchase, business);
                let order = sp::Order {
                    amazon_order_id: doc.order["AmazonOrderId"].as_str().unwrap_or_default().to_owned(),
                    selling_partner_id: seller_id.to_owned(),
                    marketplace_id: m.id.to_owned(),
                    purchase_ms: purchase,
                    updated_ms: purchase,
                    status: status.to_owned(),
                    document: serde_json::to_string(&doc).unwrap_or_default(),
                };
                sp::insert_order(tx, &order).await?;
                made += 1;
            }
        }
        Ok(made)
    }

    fn sample_document(&self, m: &Marketplace, status: &str, purchase: i64, business: bool) -> Document {
        let ids = self.ids();
        let order_id = ids.order_id();
        let person = &PEOPLE[usize::try_from(ids.below(u32::try_from(PEOPLE.len()).unwrap_or(1))).unwrap_or(0)];
        let n_items = 1 + ids.below(3);
        let mut items = Vec::new();
        let mut total_cents = 0u64;
        let mut quantity_total = 0u64;
        for k in 0..n_items {
            let p = &PRODUCTS
                [usize::try_from((ids.below(100) + k) % u32::try_from(PRODUCTS.len()).unwrap_or(1)).unwrap_or(0)];
            let quantity = 1 + ids.below(2);
            let cents = u64::from(p.cents) * u64::from(quantity);
            total_cents += cents;
            quantity_total += u64::from(quantity);
            items.push(json!({
                "ASIN": p.asin,
                "SellerSKU": p.sku,
                "OrderItemId": format!("{}", 10_000_000_000_000u64 + u64::from(ids.below(u32::MAX))),
                "Title": p.title,
                "QuantityOrdered": quantity,
                "QuantityShipped": 0,
                "ProductInfo": {"NumberOfItems": "1"},
                "ItemPrice": money(m.currency, cents),
                "ItemTax": money(m.currency, cents * 8 / 100),
                "PromotionDiscount": money(m.currency, 0),
                "IsGift": "false",
                "ConditionId": "New",
                "ConditionSubtypeId": "New",
                "IsTransparency": false,
                "SerialNumberRequired": false,
            }));
        }
        let order = json!({
            "AmazonOrderId": order_id,
            "PurchaseDate": iso_s(purchase),
            "LastUpdateDate": iso_s(purchase),
            "OrderStatus": status,
            "FulfillmentChannel": "MFN",
            "SalesChannel": m.name,
            "ShipServiceLevel": "Std Dom",
            "OrderTotal": money(m.currency, total_cents),
            "NumberOfItemsShipped": 0,
            "NumberOfItemsUnshipped": quantity_total,
            "PaymentMethod": "Other",
            "PaymentMethodDetails": ["Standard"],
            "MarketplaceId": m.id,
            "ShipmentServiceLevelCategory": "Standard",
            "OrderType": "StandardOrder",
            "EarliestShipDate": iso_s(purchase + 24 * HOUR_MS),
            "LatestShipDate": iso_s(purchase + 72 * HOUR_MS),
            "EarliestDeliveryDate": iso_s(purchase + 96 * HOUR_MS),
            "LatestDeliveryDate": iso_s(purchase + 168 * HOUR_MS),
            "IsBusinessOrder": business,
            "IsPrime": false,
            "IsPremiumOrder": false,
            "IsGlobalExpressEnabled": false,
            "IsReplacementOrder": false,
            "IsSoldByAB": false,
            "IsISPU": false,
            "IsAccessPointOrder": false,
            "HasRegulatedItems": false,
        });
        let mut doc = Document {
            order,
            address: json!({
                "Name": person.name,
                "AddressLine1": person.line1,
                "City": person.city,
                "StateOrRegion": person.state,
                "PostalCode": person.postal,
                "CountryCode": m.country_code,
                "Phone": person.phone,
                "AddressType": if business { "Commercial" } else { "Residential" },
            }),
            buyer: json!({
                "BuyerEmail": format!("{}@marketplace.amazon.com", ids.upper_token()),
                "BuyerName": person.name,
            }),
            tax: business.then(|| {
                json!({
                    "BuyerLegalCompanyName": format!("{} Trading LLC", person.name.split(' ').next_back().unwrap_or("Acme")),
                    "BuyerBusinessAddress": format!("{}, {} {}", person.line1, person.city, person.postal),
                    "BuyerTaxRegistrationId": format!("{}{}", m.country_code, 100_000_000 + ids.below(899_999_999)),
                    "BuyerTaxOffice": "",
                })
            }),
            items,
        };
        apply_status(&mut doc, status);
        doc
    }

    /// Changes an order's status (the admin API plays the buyer, carrier and seller), and sends
    /// `ORDER_CHANGE` to every app subscribed for the seller.
    pub(crate) async fn set_order_status(
        &self,
        seller_id: &str,
        order_id: &str,
        status: &str,
    ) -> Result<Value, crate::apps::ConsoleError> {
        use crate::apps::ConsoleError;
        if !STATUSES.contains(&status) {
            return Err(ConsoleError::invalid(format!("orderStatus must be one of {}", STATUSES.join(", "))));
        }
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let order = sp::order(&mut tx, seller_id, order_id)
            .await?
            .ok_or_else(|| ConsoleError::not_found(format!("selling partner {seller_id} has no order {order_id}")))?;
        let mut doc: Document = serde_json::from_str(&order.document)
            .map_err(|e| ConsoleError::from(store::StoreError::Corrupt(e.to_string())))?;
        doc.order["LastUpdateDate"] = json!(iso_s(now));
        apply_status(&mut doc, status);
        sp::update_order(&mut tx, order_id, status, &serde_json::to_string(&doc).unwrap_or_default(), now).await?;
        let summary = order_change_payload(seller_id, &doc, now);
        for (sub, dest) in sp::subscribers(&mut tx, "ORDER_CHANGE", seller_id).await? {
            let notification_id = self.ids().uuid();
            let meta = notify::Meta {
                app_id: &sub.app_id,
                subscription_id: &sub.subscription_id,
                notification_id: &notification_id,
                now_ms: now,
            };
            let body = notify::partner_envelope("ORDER_CHANGE", &sub.payload_version, &summary, now, &meta);
            let target = match (&dest.sqs_arn, &dest.eb_account_id, &dest.eb_region, &dest.eb_name) {
                (Some(arn), ..) => Target::Sqs { arn: arn.clone() },
                (None, Some(account_id), Some(region), Some(name)) => {
                    Target::EventBridge { account_id: account_id.clone(), region: region.clone(), name: name.clone() }
                }
                _ => continue,
            };
            let notice = Notice::new(self, &sub.app_id, &notification_id, "ORDER_CHANGE", target, &body, false);
            notify::enqueue(&mut tx, &notice, now).await?;
        }
        commit(tx).await?;
        Ok(public_order(&doc, Pii::default()))
    }

    /// `getOrders`.
    pub(crate) async fn get_orders(&self, seller: &sp::Seller, query: &Query, pii: Pii) -> Result<Value, ApiError> {
        let now = self.now_ms();
        let page = match query.one("NextToken") {
            Some(token) => Page::decode(token).ok_or_else(|| ApiError::bad_input("Invalid NextToken."))?,
            None => Page::from_query(query, &participating(seller), now)?,
        };
        let q = sp::OrderQuery {
            by_update: page.by_update,
            after_ms: page.after_ms,
            before_ms: page.before_ms,
            statuses: page.statuses.clone(),
            after: page.position.clone(),
            limit: page.max + 1,
        };
        let mut conn = self.reader().await?;
        let mut rows = sp::orders(&mut conn, &seller.selling_partner_id, &page.marketplaces, &q).await?;
        let more = rows.len() > usize::try_from(page.max).unwrap_or(100);
        rows.truncate(usize::try_from(page.max).unwrap_or(100));
        let orders: Vec<Value> = rows.iter().filter_map(|o| document(o).map(|d| public_order(&d, pii))).collect();
        let mut payload = json!({"Orders": orders});
        let before_key = if page.by_update { "LastUpdatedBefore" } else { "CreatedBefore" };
        payload[before_key] = json!(iso_s(page.before_ms));
        if more && let Some(last) = rows.last() {
            let at = if page.by_update { last.updated_ms } else { last.purchase_ms };
            let next = Page { position: Some((at, last.amazon_order_id.clone())), ..page };
            payload["NextToken"] = json!(next.encode());
        }
        Ok(json!({"payload": payload}))
    }

    async fn load_order(&self, seller_id: &str, order_id: &str) -> Result<Document, ApiError> {
        let mut conn = self.reader().await?;
        let row = sp::order(&mut conn, seller_id, order_id).await?;
        row.as_ref()
            .and_then(document)
            .ok_or_else(|| ApiError::not_found(format!("No order with AmazonOrderId {order_id}.")))
    }

    /// `getOrder`.
    pub(crate) async fn get_order(&self, seller_id: &str, order_id: &str, pii: Pii) -> Result<Value, ApiError> {
        let doc = self.load_order(seller_id, order_id).await?;
        Ok(json!({"payload": public_order(&doc, pii)}))
    }

    /// `getOrderItems`.
    pub(crate) async fn get_order_items(&self, seller_id: &str, order_id: &str, pii: Pii) -> Result<Value, ApiError> {
        let doc = self.load_order(seller_id, order_id).await?;
        let items: Vec<Value> = doc
            .items
            .iter()
            .map(|i| {
                let mut item = i.clone();
                if !pii.buyer_info
                    && let Some(o) = item.as_object_mut()
                {
                    o.remove("BuyerInfo");
                }
                item
            })
            .collect();
        Ok(json!({"payload": {"OrderItems": items, "AmazonOrderId": order_id}}))
    }

    /// `getOrderAddress` (restricted).
    pub(crate) async fn get_order_address(&self, seller_id: &str, order_id: &str) -> Result<Value, ApiError> {
        let doc = self.load_order(seller_id, order_id).await?;
        Ok(json!({"payload": {"AmazonOrderId": order_id, "ShippingAddress": doc.address}}))
    }

    /// `getOrderBuyerInfo` (restricted).
    pub(crate) async fn get_order_buyer_info(&self, seller_id: &str, order_id: &str) -> Result<Value, ApiError> {
        let doc = self.load_order(seller_id, order_id).await?;
        let mut payload = doc.buyer.clone();
        payload["AmazonOrderId"] = json!(order_id);
        Ok(json!({"payload": payload}))
    }

    /// `getOrderItemsBuyerInfo` (restricted).
    pub(crate) async fn get_order_items_buyer_info(&self, seller_id: &str, order_id: &str) -> Result<Value, ApiError> {
        let doc = self.load_order(seller_id, order_id).await?;
        let items: Vec<Value> = doc.items.iter().map(|i| json!({"OrderItemId": i["OrderItemId"]})).collect();
        Ok(json!({"payload": {"OrderItems": items, "AmazonOrderId": order_id}}))
    }
}

fn document(o: &sp::Order) -> Option<Document> {
    serde_json::from_str(&o.document)
        .map_err(|e| tracing::error!(order = %o.amazon_order_id, error = %e, "a stored order does not parse"))
        .ok()
}

/// Sets the status and the shipped counts that go with it.
fn apply_status(doc: &mut Document, status: &str) {
    let shipped_all = matches!(status, "Shipped" | "InvoiceUnconfirmed");
    let mut shipped = 0u64;
    let mut unshipped = 0u64;
    let n = doc.items.len();
    for (k, item) in doc.items.iter_mut().enumerate() {
        let q = item["QuantityOrdered"].as_u64().unwrap_or(1);
        // PartiallyShipped: the first item has gone.
        let gone = if shipped_all || (status == "PartiallyShipped" && (k == 0 || n == 1)) { q } else { 0 };
        item["QuantityShipped"] = json!(gone);
        shipped += gone;
        if status != "Canceled" {
            unshipped += q - gone;
        }
    }
    doc.order["OrderStatus"] = json!(status);
    doc.order["NumberOfItemsShipped"] = json!(shipped);
    doc.order["NumberOfItemsUnshipped"] = json!(unshipped);
}

/// An order as the Orders API returns it: the address reduced to its public parts unless the
/// call may see restricted data.
fn public_order(doc: &Document, pii: Pii) -> Value {
    let mut order = doc.order.clone();
    order["ShippingAddress"] = if pii.shipping_address {
        doc.address.clone()
    } else {
        json!({
            "City": doc.address["City"],
            "StateOrRegion": doc.address["StateOrRegion"],
            "PostalCode": doc.address["PostalCode"],
            "CountryCode": doc.address["CountryCode"],
        })
    };
    if pii.buyer_info {
        order["BuyerInfo"] = doc.buyer.clone();
    }
    if pii.buyer_tax_information
        && let Some(tax) = &doc.tax
    {
        order["BuyerTaxInformation"] = tax.clone();
    }
    order
}

fn order_change_payload(seller_id: &str, doc: &Document, now: i64) -> Value {
    let o = &doc.order;
    let items: Vec<Value> = doc
        .items
        .iter()
        .map(|i| {
            json!({
                "OrderItemId": i["OrderItemId"],
                "SellerSKU": i["SellerSKU"],
                "OrderItemStatus": o["OrderStatus"],
                "Quantity": i["QuantityOrdered"],
                "QuantityShipped": i["QuantityShipped"],
            })
        })
        .collect();
    json!({"OrderChangeNotification": {
        "NotificationLevel": "OrderLevel",
        "SellerId": seller_id,
        "AmazonOrderId": o["AmazonOrderId"],
        "OrderChangeType": "OrderStatusChange",
        "OrderChangeTrigger": {"TimeOfOrderChange": iso_s(now), "ChangeReason": "Order status changed"},
        "Summary": {
            "MarketplaceId": o["MarketplaceId"],
            "OrderStatus": o["OrderStatus"],
            "PurchaseDate": o["PurchaseDate"],
            "DestinationPostalCode": doc.address["PostalCode"],
            "FulfillmentType": o["FulfillmentChannel"],
            "OrderType": o["OrderType"],
            "NumberOfItemsShipped": o["NumberOfItemsShipped"],
            "NumberOfItemsUnshipped": o["NumberOfItemsUnshipped"],
            "EarliestDeliveryDate": o["EarliestDeliveryDate"],
            "LatestDeliveryDate": o["LatestDeliveryDate"],
            "EarliestShipDate": o["EarliestShipDate"],
            "LatestShipDate": o["LatestShipDate"],
            "OrderItems": items,
        },
    }})
}

/// The marketplaces a seller participates in.
pub(crate) fn participating(seller: &sp::Seller) -> Vec<String> {
    serde_json::from_str(&seller.marketplaces).unwrap_or_default()
}

/// A query string, decoded.
#[derive(Debug, Default)]
pub(crate) struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: &str) -> Self {
        Self(form_urlencoded::parse(raw.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// The first value of `key`.
    pub fn one(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key`: repeated keys and comma-separated lists alike.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| {
                v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>()
            })
            .collect()
    }
}

/// An ISO 8601 time as the Orders API accepts it: with an offset, in UTC without one, or a date.
pub(crate) fn parse_iso(s: &str) -> Option<i64> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t.as_millisecond());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp().as_millisecond());
    }
    s.parse::<jiff::civil::Date>().ok()?.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp().as_millisecond())
}

/// A `getOrders` query and where its next page starts (the `NextToken`, opaque to callers).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Page {
    marketplaces: Vec<String>,
    by_update: bool,
    after_ms: i64,
    before_ms: i64,
    statuses: Vec<String>,
    max: i64,
    position: Option<(i64, String)>,
}

impl Page {
    fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(token: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
        let page: Page = serde_json::from_slice(&bytes).ok()?;
        (page.max >= 1 && page.max <= 100 && page.marketplaces.len() <= 50).then_some(page)
    }

    fn from_query(query: &Query, participating: &[String], now: i64) -> Result<Self, ApiError> {
        let marketplaces = query.list("MarketplaceIds");
        if marketplaces.is_empty() {
            return Err(ApiError::bad_input("MarketplaceIds is required."));
        }
        if marketplaces.len() > 50 {
            return Err(ApiError::bad_input("MarketplaceIds has at most 50 values."));
        }
        if let Some(m) = marketplaces.iter().find(|m| catalog::marketplace(m).is_none()) {
            return Err(ApiError::bad_input(format!("Invalid MarketplaceId: {m}.")));
        }
        if let Some(m) = marketplaces.iter().find(|m| !participating.contains(m)) {
            return Err(ApiError::bad_input(format!("The seller does not participate in marketplace {m}.")));
        }
        let date = |key: &str| -> Result<Option<i64>, ApiError> {
            query.one(key).map_or(Ok(None), |v| {
                parse_iso(v).map(Some).ok_or_else(|| {
                    ApiError::invalid_input("This is an invalid input", format!("Invalid date-time field(s) [{key}]."))
                })
            })
        };
        let created_after = date("CreatedAfter")?;
        let created_before = date("CreatedBefore")?;
        let updated_after = date("LastUpdatedAfter")?;
        let updated_before = date("LastUpdatedBefore")?;
        let (by_update, after_ms, before) = match (created_after, updated_after) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_input("CreatedAfter and LastUpdatedAfter cannot both be specified."));
            }
            (Some(a), None) => {
                if updated_before.is_some() {
                    return Err(ApiError::bad_input("LastUpdatedBefore cannot be specified with CreatedAfter."));
                }
                (false, a, created_before)
            }
            (None, Some(a)) => {
                if created_before.is_some() {
                    return Err(ApiError::bad_input("CreatedBefore cannot be specified with LastUpdatedAfter."));
                }
                (true, a, updated_before)
            }
            (None, None) => {
                return Err(ApiError::bad_input("Either CreatedAfter or LastUpdatedAfter must be specified."));
            }
        };
        // Amazon's "before" bound is at least two minutes in the past.
        let latest = now - 120_000;
        let before_ms = match before {
            Some(b) if b > latest => {
                return Err(ApiError::bad_input(
                    "The before date must be at least two minutes before the current time.",
                ));
            }
            Some(b) => b,
            None => latest,
        };
        if after_ms > before_ms {
            return Err(ApiError::bad_input("The after date must be earlier than the before date."));
        }
        let statuses = query.list("OrderStatuses");
        if let Some(s) = statuses.iter().find(|s| !STATUSES.contains(&s.as_str())) {
            return Err(ApiError::bad_input(format!("Invalid OrderStatuses value: {s}.")));
        }
        let max = match query.one("MaxResultsPerPage") {
            None => 100,
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| ApiError::bad_input("MaxResultsPerPage must be between 1 and 100."))?,
        };
        Ok(Page { marketplaces, by_update, after_ms, before_ms, statuses, max, position: None })
    }
}

impl crate::ids::Ids<'_> {
    /// A buyer's anonymized e-mail local part: 16 lower-case letters and digits.
    fn upper_token(self) -> String {
        self.oauth_code()[..16].to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_in_the_forms_amazon_accepts() {
        assert_eq!(parse_iso("2024-01-01T00:00:00Z"), Some(1_704_067_200_000));
        assert_eq!(parse_iso("2024-01-01T01:00:00+01:00"), Some(1_704_067_200_000));
        assert_eq!(parse_iso("2024-01-01T00:00:00"), Some(1_704_067_200_000));
        assert_eq!(parse_iso("2024-01-01"), Some(1_704_067_200_000));
        assert_eq!(parse_iso("yesterday"), None);
    }

    #[test]
    fn list_parameters_take_commas_and_repeats() {
        let q = Query::parse("MarketplaceIds=ATVPDKIKX0DER,A2EUQ1WTGCTBG&MarketplaceIds=A1AM78C64UM0Y8&x=1");
        assert_eq!(q.list("MarketplaceIds"), vec!["ATVPDKIKX0DER", "A2EUQ1WTGCTBG", "A1AM78C64UM0Y8"]);
        assert_eq!(q.one("x"), Some("1"));
    }

    #[test]
    fn queries_are_checked_as_amazon_does() {
        let mp = vec!["ATVPDKIKX0DER".to_owned()];
        let now = 1_800_000_000_000;
        let page = |q: &str| Page::from_query(&Query::parse(q), &mp, now);
        assert!(page("CreatedAfter=2024-01-01").unwrap_err().details.contains("MarketplaceIds"));
        assert!(page("MarketplaceIds=ATVPDKIKX0DER").unwrap_err().details.contains("CreatedAfter"));
        assert!(
            page("MarketplaceIds=A1PA6795UKMFR9&CreatedAfter=2024-01-01").unwrap_err().details.contains("participate")
        );
        assert!(page("MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=soon").unwrap_err().details.contains("[CreatedAfter]"));
        let p = page("MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2024-01-01").unwrap();
        assert_eq!(p.before_ms, now - 120_000);
        assert!(!p.by_update);
        let future = format!("MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2024-01-01&CreatedBefore={}", iso_s(now));
        assert!(page(&future).unwrap_err().details.contains("two minutes"));
        assert!(page("MarketplaceIds=ATVPDKIKX0DER&LastUpdatedAfter=2024-01-01&MaxResultsPerPage=0").is_err());
        assert!(
            page("MarketplaceIds=ATVPDKIKX0DER&LastUpdatedAfter=2024-01-01&MaxResultsPerPage=5").unwrap().by_update
        );
    }

    #[test]
    fn statuses_move_the_shipped_counts() {
        let mut doc = Document {
            order: json!({}),
            address: json!({}),
            buyer: json!({}),
            tax: None,
            items: vec![json!({"QuantityOrdered": 2}), json!({"QuantityOrdered": 1})],
        };
        apply_status(&mut doc, "PartiallyShipped");
        assert_eq!(
            (doc.order["NumberOfItemsShipped"].as_u64(), doc.order["NumberOfItemsUnshipped"].as_u64()),
            (Some(2), Some(1))
        );
        apply_status(&mut doc, "Shipped");
        assert_eq!(
            (doc.order["NumberOfItemsShipped"].as_u64(), doc.order["NumberOfItemsUnshipped"].as_u64()),
            (Some(3), Some(0))
        );
        apply_status(&mut doc, "Canceled");
        assert_eq!(
            (doc.order["NumberOfItemsShipped"].as_u64(), doc.order["NumberOfItemsUnshipped"].as_u64()),
            (Some(0), Some(0))
        );
    }

    #[test]
    fn only_granted_data_elements_are_shown() {
        let doc = Document {
            order: json!({"AmazonOrderId": "1"}),
            address: json!({"Name": "Jane", "City": "Canton", "PostalCode": "48817", "StateOrRegion": "MI", "CountryCode": "US"}),
            buyer: json!({"BuyerEmail": "x@y"}),
            tax: Some(json!({"BuyerTaxRegistrationId": "1"})),
            items: vec![],
        };
        let public = public_order(&doc, Pii::default());
        assert!(public["ShippingAddress"].get("Name").is_none() && public["ShippingAddress"]["City"] == "Canton");
        assert!(public.get("BuyerInfo").is_none() && public.get("BuyerTaxInformation").is_none());
        let all = public_order(&doc, Pii { shipping_address: true, buyer_info: true, buyer_tax_information: true });
        assert_eq!(all["ShippingAddress"]["Name"], "Jane");
        assert_eq!(all["BuyerInfo"]["BuyerEmail"], "x@y");
        assert_eq!(all["BuyerTaxInformation"]["BuyerTaxRegistrationId"], "1");
    }

    proptest! {
        #[test]
        fn next_tokens_never_panic(token in ".{0,200}") {
            let _ = Page::decode(&token);
        }

        #[test]
        fn next_tokens_round_trip(after in 0i64..2_000_000_000_000, id in "[0-9-]{1,19}", max in 1i64..=100) {
            let page = Page {
                marketplaces: vec!["ATVPDKIKX0DER".into()],
                by_update: false,
                after_ms: after,
                before_ms: after + 1,
                statuses: vec![],
                max,
                position: Some((after, id)),
            };
            prop_assert_eq!(Page::decode(&page.encode()), Some(page));
        }
    }
}
