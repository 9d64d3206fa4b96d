"""Sample orders through the Orders API, restricted data tokens for PII, and the Notifications API's
destinations and subscriptions."""
import json
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError

from spapi import ROLES, Sandbox, error

RDT = "/tokens/2021-03-01/restrictedDataToken"


def test_an_orders_address_needs_an_rdt_for_that_path(server):
    sb = Sandbox(server)
    _app, _client_id, _secret, seller, _refresh, access = sb.authorized()
    one, other = sb.order_ids(seller)[:2]
    address = f"/orders/v0/orders/{one}/address"

    r = sb.call("GET", address, access)
    assert r.status_code == 403
    assert error(r)[:2] == ("Unauthorized", "Access to requested resource is denied.")
    assert "restricted data token" in error(r)[2]

    r = sb.call("POST", RDT, access, json={"restrictedResources": [{"method": "GET", "path": address}]})
    assert r.status_code == 200, r.text
    assert r.json()["expiresIn"] == 3600
    rdt = r.json()["restrictedDataToken"]
    assert rdt.startswith("Atz.sprdt|")
    assert r.headers["x-amzn-RateLimit-Limit"] == "1.0"

    r = sb.call("GET", address, rdt)
    assert r.status_code == 200, r.text
    shipping = r.json()["payload"]["ShippingAddress"]
    assert r.json()["payload"]["AmazonOrderId"] == one
    assert {"Name", "AddressLine1", "City", "PostalCode", "CountryCode"} <= shipping.keys()

    r = sb.call("GET", f"/orders/v0/orders/{other}/address", rdt)
    assert r.status_code == 403 and "does not cover" in error(r)[2]

    # A generic path covers every order; data elements bring PII into getOrder.
    r = sb.call("POST", RDT, access, json={"restrictedResources": [
        {"method": "GET", "path": "/orders/v0/orders/{orderId}/address"},
        {"method": "GET", "path": "/orders/v0/orders/{orderId}", "dataElements": ["buyerInfo", "shippingAddress"]}]})
    generic = r.json()["restrictedDataToken"]
    assert sb.call("GET", f"/orders/v0/orders/{other}/address", generic).status_code == 200
    plain = sb.call("GET", f"/orders/v0/orders/{other}", access).json()["payload"]
    full = sb.call("GET", f"/orders/v0/orders/{other}", generic).json()["payload"]
    assert "Name" not in plain["ShippingAddress"] and "BuyerInfo" not in plain
    assert full["ShippingAddress"]["Name"] and full["BuyerInfo"]["BuyerEmail"].endswith("@marketplace.amazon.com")


def test_rdts_need_the_restricted_role(server):
    sb = Sandbox(server)
    _app, _c, _s, seller, _r, access = sb.authorized(["Inventory and Order Tracking"])
    r = sb.call("POST", RDT, access, json={"restrictedResources": [
        {"method": "GET", "path": "/orders/v0/orders", "dataElements": ["buyerInfo", "shippingAddress"]}]})
    assert r.status_code == 400
    assert error(r) == ("InvalidInput",
                        "Application does not have access to one or more requested data elements: [buyerInfo, shippingAddress]",
                        "")
    order = sb.order_ids(seller)[0]
    r = sb.call("POST", RDT, access, json={"restrictedResources": [{"method": "GET", "path": f"/orders/v0/orders/{order}/address"}]})
    assert error(r)[:2] == ("InvalidInput", "Application do not have access to some or all requested resource")
    r = sb.call("POST", RDT, access, json={"restrictedResources": []})
    assert r.status_code == 400 and error(r)[2] == "Resource not provided."


def test_get_orders_pages_and_validates(server):
    sb = Sandbox(server)
    _app, _c, _s, seller, _r, access = sb.authorized()
    ids, path = [], "/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2020-01-01T00:00:00Z&MaxResultsPerPage=5"
    while True:
        r = sb.call("GET", path, access)
        assert r.status_code == 200, r.text
        payload = r.json()["payload"]
        assert "CreatedBefore" in payload
        ids += [o["AmazonOrderId"] for o in payload["Orders"]]
        if "NextToken" not in payload:
            break
        path = "/orders/v0/orders?" + urlencode({"MarketplaceIds": "ATVPDKIKX0DER", "NextToken": payload["NextToken"]})
    assert sorted(ids) == sorted(sb.order_ids(seller))
    order = sb.call("GET", f"/orders/v0/orders/{ids[0]}", access).json()["payload"]
    assert {"AmazonOrderId", "PurchaseDate", "OrderStatus", "OrderTotal", "MarketplaceId"} <= order.keys()
    items = sb.call("GET", f"/orders/v0/orders/{ids[0]}/orderItems", access).json()["payload"]
    assert items["AmazonOrderId"] == ids[0] and items["OrderItems"][0]["ASIN"]

    r = sb.call("GET", "/orders/v0/orders?CreatedAfter=2020-01-01", access)
    assert r.status_code == 400 and error(r)[0] == "InvalidInput" and "MarketplaceIds" in error(r)[2]
    r = sb.call("GET", "/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER", access)
    assert "CreatedAfter" in error(r)[2]
    r = sb.call("GET", "/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=tuesday", access)
    assert error(r)[2] == "Invalid date-time field(s) [CreatedAfter]."
    r = sb.call("GET", "/orders/v0/orders/000-0000000-0000000", access)
    assert r.status_code == 404 and error(r)[0] == "NotFound"


def test_notifications_api_destinations_and_subscriptions(server):
    sb = Sandbox(server)
    _app, client_id, secret, _seller, _refresh, access = sb.authorized(ROLES)
    grantless = sb.grantless(client_id, secret, "sellingpartnerapi::notifications")
    arn = "arn:aws:sqs:us-east-1:123456789012:sp-orders"
    spec = {"name": "orders", "resourceSpecification": {"sqs": {"arn": arn}}}
    r = sb.call("POST", "/notifications/v1/destinations", grantless, json=spec)
    assert r.status_code == 200, r.text
    destination = r.json()["payload"]
    assert destination["resource"] == {"sqs": {"arn": arn}} and destination["name"] == "orders"
    assert sb.call("POST", "/notifications/v1/destinations", grantless, json=spec).status_code == 409
    r = sb.call("POST", "/notifications/v1/destinations", grantless, json={
        "name": "bus", "resourceSpecification": {"eventBridge": {"region": "us-east-1", "accountId": "123456789012"}}})
    assert r.json()["payload"]["resource"]["eventBridge"]["name"].startswith("aws.partner/sellingpartnerapi.amazon/123456789012/")
    listed = sb.call("GET", "/notifications/v1/destinations", grantless).json()["payload"]
    assert len(listed) == 2

    # Destinations are grantless; subscriptions belong to a selling partner.
    r = sb.call("GET", "/notifications/v1/destinations", access)
    assert r.status_code == 403 and "grantless" in error(r)[2]
    sub = {"payloadVersion": "1.0", "destinationId": destination["destinationId"]}
    r = sb.call("POST", "/notifications/v1/subscriptions/ORDER_CHANGE", access, json=sub)
    assert r.status_code == 200, r.text
    subscription = r.json()["payload"]
    assert subscription["destinationId"] == destination["destinationId"] and subscription["payloadVersion"] == "1.0"
    assert sb.call("POST", "/notifications/v1/subscriptions/ORDER_CHANGE", access, json=sub).status_code == 409
    got = sb.call("GET", f"/notifications/v1/subscriptions/ORDER_CHANGE/{subscription['subscriptionId']}", grantless)
    assert got.json()["payload"] == subscription
    r = sb.call("DELETE", f"/notifications/v1/destinations/{destination['destinationId']}", grantless)
    assert r.status_code == 409
    r = sb.call("DELETE", f"/notifications/v1/subscriptions/ORDER_CHANGE/{subscription['subscriptionId']}", grantless)
    assert r.status_code == 200
    assert sb.call("GET", "/notifications/v1/subscriptions/ORDER_CHANGE", access).status_code == 404


def test_order_change_reaches_the_subscribed_queue(server):
    from test_sp_rotation import drain, queue

    sb = Sandbox(server)
    app, client_id, secret, seller, _refresh, access = sb.authorized()
    url, arn = queue(server, f"sp-order-change-{seller.lower()}")
    grantless = sb.grantless(client_id, secret, "sellingpartnerapi::notifications")
    destination = sb.call("POST", "/notifications/v1/destinations", grantless, json={
        "name": "order changes", "resourceSpecification": {"sqs": {"arn": arn}}}).json()["payload"]
    subscription = sb.call("POST", "/notifications/v1/subscriptions/ORDER_CHANGE", access, json={
        "payloadVersion": "1.0", "destinationId": destination["destinationId"]}).json()["payload"]
    order = sb.order_ids(seller)[0]
    r = server.admin("PUT", f"/_spcred/sp/sellers/{seller}/orders/{order}", json={"orderStatus": "Shipped"})
    assert r.status_code == 200, r.text
    server.advance(seconds=0)
    notices = drain(server, url)
    assert len(notices) == 1, notices
    n = notices[0]
    assert (n["NotificationVersion"], n["NotificationType"], n["PayloadVersion"]) == ("1.0", "ORDER_CHANGE", "1.0")
    assert n["NotificationMetadata"]["ApplicationId"] == app["applicationId"]
    assert n["NotificationMetadata"]["SubscriptionId"] == subscription["subscriptionId"]
    change = n["Payload"]["OrderChangeNotification"]
    assert (change["SellerId"], change["AmazonOrderId"], change["OrderChangeType"]) == (seller, order, "OrderStatusChange")
    assert change["Summary"]["OrderStatus"] == "Shipped"
    assert sb.call("GET", f"/orders/v0/orders/{order}", access).json()["payload"]["OrderStatus"] == "Shipped"


def test_order_change_reaches_an_eventbridge_destination(server):
    from test_events import queue_allowing_events
    from test_sp_rotation import drain

    sb = Sandbox(server)
    app, client_id, secret, seller, _refresh, access = sb.authorized()
    account = server.client("sts").get_caller_identity()["Account"]
    grantless = sb.grantless(client_id, secret, "sellingpartnerapi::notifications")
    destination = sb.call("POST", "/notifications/v1/destinations", grantless, json={
        "name": "bus", "resourceSpecification": {"eventBridge": {"region": "us-east-1", "accountId": account}}}).json()["payload"]
    source = destination["resource"]["eventBridge"]["name"]
    assert source == f"aws.partner/sellingpartnerapi.amazon/{account}/{destination['destinationId']}"
    sb.call("POST", "/notifications/v1/subscriptions/ORDER_CHANGE", access, json={
        "payloadVersion": "1.0", "destinationId": destination["destinationId"]})
    orders = sb.order_ids(seller)

    # No bus is associated with the partner event source yet: the notification has nowhere to go,
    # and the app's delivery record says why.
    server.admin("PUT", f"/_spcred/sp/sellers/{seller}/orders/{orders[0]}", json={"orderStatus": "Shipped"})
    server.advance(seconds=0)
    shown = server.admin("GET", f"/_spcred/sp/apps/{app['applicationId']}").json()
    last = shown["notifications"]["lastFailure"]
    assert (last["notificationType"], last["outcome"]) == ("ORDER_CHANGE", "Failed"), shown["notifications"]
    assert source in last["error"] and "create-event-bus" in last["error"]

    events = server.client("events")
    events.create_event_bus(Name=source, EventSourceName=source)
    rule_arn = events.put_rule(Name="sp-order-change", EventBusName=source,
                               EventPattern=json.dumps({"detail-type": ["ORDER_CHANGE"]}))["RuleArn"]
    url, arn = queue_allowing_events(server.client("sqs"), rule_arn)
    events.put_targets(Rule="sp-order-change", EventBusName=source, Targets=[{"Id": "q", "Arn": arn}])
    server.admin("PUT", f"/_spcred/sp/sellers/{seller}/orders/{orders[1]}", json={"orderStatus": "Shipped"})
    server.advance(seconds=0)
    got = drain(server, url)
    assert len(got) == 1, got
    event = got[0]
    assert (event["source"], event["account"], event["detail-type"]) == (source, account, "ORDER_CHANGE")
    change = event["detail"]["Payload"]["OrderChangeNotification"]
    assert (change["SellerId"], change["AmazonOrderId"]) == (seller, orders[1])
    assert event["detail"]["NotificationMetadata"]["ApplicationId"] == app["applicationId"]

    # A partner bus carries its source's name, and only a partner source's.
    for bad in ({"Name": "my/bus"}, {"Name": "mine", "EventSourceName": source},
                {"Name": "aws.partner/x/y", "EventSourceName": "aws.partner/x/z"}):
        with pytest.raises(ClientError) as e:
            events.create_event_bus(**bad)
        assert e.value.response["Error"]["Code"] == "ValidationException", bad
