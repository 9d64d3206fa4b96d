//! Sample customer data for every Data Portability scope, the same every time for the same
//! customer (derived from a hash of the customer id), each data file with its JSON schema.

use super::scopes::Scope;
use serde_json::{Value, json};

/// Deterministic numbers for (customer, scope, file).
struct Draw([u8; 32], usize);

impl Draw {
    fn new(customer: &str, scope: &Scope, n: usize) -> Self {
        Self(crypto::sha256(format!("{customer}\0{}\0{n}", scope.id).as_bytes()), 0)
    }

    fn below(&mut self, n: u32) -> u32 {
        let b = self.0[self.1 % 32];
        self.1 += 1;
        u32::from(b) % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let b = self.0[self.1 % 32];
        self.1 += 1;
        &items[usize::from(b) % items.len()]
    }
}

/// How many data files the customer has in `scope` (1 to 6; order history spans more).
pub(crate) fn file_count(scope: &Scope, customer: &str) -> usize {
    let mut d = Draw::new(customer, scope, usize::MAX);
    let base = if scope.category == 2 { 3 } else { 1 };
    base + d.below(4) as usize
}

const PRODUCTS: &[(&str, &str, u32)] = &[
    ("B08N5WRWNW", "Echo Dot (4th Gen)", 4999),
    ("B07XJ8C8F5", "Kindle Paperwhite", 13999),
    ("B0C1H26C46", "USB-C Charging Cable, 2 m", 1299),
    ("B09B8V1LZ3", "Stainless Steel Water Bottle", 2499),
    ("B0BSHF7WHW", "Noise Cancelling Headphones", 24999),
];

/// The data of file `n`.
pub(crate) fn data(scope: &Scope, customer: &str, n: usize) -> Value {
    let mut d = Draw::new(customer, scope, n);
    let day = |d: &mut Draw| {
        format!("2025-{:02}-{:02}T{:02}:{:02}:00Z", 1 + d.below(12), 1 + d.below(28), d.below(24), d.below(60))
    };
    let rows: Vec<Value> = (0..=d.below(5))
        .map(|i| {
            let &(asin, title, cents) = d.pick(PRODUCTS);
            match scope.id {
                "portability-customer-profile" => json!({
                    "eventDate": day(&mut d),
                    "images": [{"url": format!("https://images.example/{customer}/cover.jpg"), "type": "coverPhoto"}],
                    "bio": "Sample customer of the spcred sandbox",
                    "privacySettings": {"activityOnYourProfileVisibility": "private", "babyRegistryVisibility": "private"},
                }),
                "portability-search-history" => json!({"searchDate": day(&mut d), "marketplace": "amazon.de", "query": title}),
                "portability-physical-orders" | "portability-digital-orders" => json!({
                    "orderId": format!("{:03}-{:07}-{:07}", d.below(1000), n * 10 + i as usize, d.below(10_000_000)),
                    "orderDate": day(&mut d),
                    "marketplace": "amazon.de",
                    "orderStatus": "Delivered",
                    "items": [{"asin": asin, "title": title, "quantity": 1 + d.below(3), "price": {"amount": format!("{}.{:02}", cents / 100, cents % 100), "currency": "EUR"}}],
                }),
                "portability-physical-order-returns" => json!({"orderId": format!("302-{:07}-{:07}", n, i), "asin": asin, "returnDate": day(&mut d), "reason": "No longer needed", "refund": {"amount": format!("{}.{:02}", cents / 100, cents % 100), "currency": "EUR"}}),
                "portability-addresses" => json!({"name": "Sample Customer", "addressLine1": format!("{} Sample Street", 1 + d.below(200)), "city": "Berlin", "postalCode": "10115", "countryCode": "DE"}),
                _ => json!({"type": "Card", "lastDigits": format!("{:04}", d.below(10_000)), "expiry": format!("{:02}/2029", 1 + d.below(12))}),
            }
        })
        .collect();
    json!({"scope": scope.name, "customerId": customer, "part": n + 1, "data": rows})
}

/// The JSON schema of a data file of `scope`.
pub(crate) fn schema(scope: &Scope) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": scope.description,
        "type": "object",
        "required": ["scope", "customerId", "part", "data"],
        "properties": {
            "scope": {"const": scope.name},
            "customerId": {"type": "string"},
            "part": {"type": "integer", "minimum": 1},
            "data": {"type": "array", "items": {"type": "object"}},
        },
    })
}
