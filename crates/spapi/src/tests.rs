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
    assert_eq!(find("POST", "/tokens/2021-03-01/restrictedDataToken"), Some(&CREATE_RESTRICTED_DATA_TOKEN));
    assert_eq!(ROTATE_APPLICATION_CLIENT_SECRET.plan.header(), "0.0167");
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
fn paths_match_templates_segment_by_segment() {
    assert_eq!(
        path_params(
            "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}",
            "/notifications/v1/subscriptions/ORDER_CHANGE/abc"
        ),
        Some(vec!["ORDER_CHANGE", "abc"])
    );
    assert_eq!(path_params("/orders/v0/orders/{orderId}", "/orders/v0/orders/a%2Fb"), Some(vec!["a%2Fb"]));
    assert_eq!(path_params("/orders/v0/orders", "/orders/v0/orders"), Some(vec![]));
    assert!(!matches("/orders/v0/orders/{orderId}/address", "/orders/v0/orders//address"));
    assert!(!matches("/orders/v0/orders", "/orders/v0/orders/"));
    assert!(!matches("/orders/v0/orders", "/orders/v9/orders"));
    assert!(!matches("/orders/v0/orders/{orderId}", "/orders/v0/orders"));
    // A template matches itself: a generic restricted resource names its template.
    assert!(matches("/orders/v0/orders/{orderId}", "/orders/v0/orders/{orderId}"));
}

#[test]
fn orders_pii_and_the_rdt_paths() {
    let addr = find("GET", "/orders/v0/orders/902-3159896-1390916/address").unwrap();
    assert_eq!(addr.name, "getOrderAddress");
    assert_eq!(addr.access, Access::Restricted { generic: true });
    assert_eq!(addr.roles, [role::DIRECT_TO_CONSUMER_SHIPPING]);
    assert_eq!(addr.rdt_path("/orders/v0/orders/902-3159896-1390916/address"), "/orders/v0/orders/{orderId}/address");
    let shipment = find("DELETE", "/mfn/v0/shipments/s-1").unwrap();
    assert_eq!(shipment.rdt_path("/mfn/v0/shipments/s-1"), "/mfn/v0/shipments/s-1");
    let orders = find("GET", "/orders/v0/orders").unwrap();
    assert_eq!(orders.access, Access::Elements { generic: false, elements: element::ORDERS });
    assert_eq!(find("GET", "/orders/v0/orders/1/orderItems/buyerInfo").unwrap().name, "getOrderItemsBuyerInfo");
    assert_eq!(find("GET", "/orders/v0/orders//address"), None);
    assert_eq!(find("POST", "/orders/v0/orders"), None);
    assert_eq!(
        find("GET", "/vendor/directFulfillment/orders/v1/purchaseOrders").unwrap().api,
        "vendorDirectFulfillmentOrders"
    );
    assert_eq!(find("GET", "/notifications/v1/destinations").unwrap().access, Access::Grantless(scope::NOTIFICATIONS));
}

#[test]
fn headers_print_like_amazon() {
    assert_eq!(Plan::new(0.0167, 20).header(), "0.0167");
    assert_eq!(Plan::new(1.0, 10).header(), "1.0");
    assert_eq!(Plan::new(0.5, 30).header(), "0.5");
    assert_eq!(Plan::new(0.5, 30).scaled(4.0).header(), "2.0");
    assert_eq!(Plan::new(0.5, 30).scaled(4.0).burst, 120);
    assert_eq!(Plan::new(0.5, 30).scaled(f64::NAN), Plan::new(0.5, 30));
    assert_eq!(Plan::new(0.5, 30).scaled(1e300).burst, u32::MAX);
}

proptest! {
    #[test]
    fn any_path_is_found_or_not_without_panicking(path in "/[a-zA-Z0-9/%{}._-]{0,120}", m in 0usize..5) {
        let method = ["GET", "POST", "PUT", "PATCH", "DELETE"][m];
        if let Some(o) = find(method, &path) {
            prop_assert_eq!(o.method, method);
            prop_assert_eq!(o.template.split('/').count(), path.split('/').count());
            let params = path_params(o.template, &path).unwrap();
            prop_assert_eq!(params.len(), o.template.matches('{').count());
        }
    }
}
