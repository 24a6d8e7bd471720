"""Buy Shipping (spapi_emulator/shipping.py, shippingV2.json): the emulator
refuses what Amazon refuses, and the adapter's requests (mapping/shipping.py)
pass (issue #37)."""

import base64
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import DE, SELLER_ID, US, error_of

from mapping.checks import PayloadError
from mapping.finances import label_charge, parse_transaction
from mapping.shipping import (
    LabelPackage,
    buyable_rates,
    choose_rate,
    document_specification,
    meets_promise,
    parse_documents,
    parse_purchase,
    parse_rates,
    rate_from_dict,
    rate_to_dict,
    rates_request,
)
from spapi import SpApiNotFoundError, SpApiRequestError

MUG = {"sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "11.90"}
TEE = {"sku": "TEE-M", "title": "Tee", "quantity": 1, "unit_price": "19.99"}
SHIP_FROM = {
    "name": "Warehouse",
    "addressLine1": "Lagerstr. 1",
    "city": "Berlin",
    "stateOrRegion": "BE",
    "postalCode": "10115",
    "countryCode": "DE",
}
RATES = "/shipping/v2/shipments/rates"


def _package(order, weight=1.2, items=None, reference="1"):
    items = items or tuple((item.order_item_id, item.quantity) for item in order.items)
    return LabelPackage(reference, weight, 30, 20, 10, Decimal("23.80"), "EUR", tuple(items))


def _rates(adapter, order, **package):
    payload = adapter.get_rates(
        rates_request(order.order_id, SHIP_FROM, _package(order, **package))
    )
    return parse_rates(payload)


def _buy(adapter, token, rate, key=None, document_format="PDF"):
    payload = adapter.purchase_shipment(
        token, rate.rate_id, document_specification(document_format), key or str(uuid.uuid4())
    )
    return parse_purchase(payload, "1")


def test_a_label_bought_for_an_order_confirms_its_shipment(emulator, adapter):
    order = emulator.store.add_order(SELLER_ID, DE, [MUG, TEE])
    token, rates = _rates(adapter, order)
    assert {rate.service_id for rate in rates} == {
        "AMZN_STD",
        "AMZN_NEXT",
        "DHL_PAKET",
        "UPS_SAVER",
    }
    assert {rate.currency for rate in rates} == {"EUR"}
    rate = choose_rate(rates, "cheapest", "PDF")
    purchase = _buy(adapter, token, rate)
    assert purchase.document.startswith(b"%PDF-1.4") and purchase.document.endswith(b"%%EOF\n")
    assert purchase.tracking_id.encode() in purchase.document
    # Buy Shipping's point: the order is shipped with the label's tracking.
    assert order.status == "SHIPPED"
    (package,) = order.packages
    assert package.tracking_number == purchase.tracking_id
    # The documents again, in ZPL; the tracking.
    tracking, fmt, data = parse_documents(
        adapter.get_shipment_documents(purchase.shipment_id, "1", "ZPL"), "1"
    )
    assert (tracking, fmt) == (purchase.tracking_id, "ZPL") and data.startswith(b"^XA")
    seen = adapter.get_tracking(purchase.tracking_id, rate.carrier_id)
    assert seen["summary"]["status"] == "PreTransit"


def test_rates_vary_by_weight_and_service_and_heavy_parcels_are_ineligible(emulator, adapter):
    order = emulator.store.add_order(SELLER_ID, DE, [MUG])
    _token, light = _rates(adapter, order, weight=1)
    _token, heavy = _rates(adapter, order, weight=10)
    price = {rate.service_id: rate.amount for rate in light}
    assert len(set(price.values())) == 4
    for rate in heavy:
        assert rate.amount > price[rate.service_id]
    payload = adapter.get_rates(
        rates_request(order.order_id, SHIP_FROM, _package(order, weight=40))
    )
    assert [r["serviceId"] for r in payload["rates"]] == ["UPS_SAVER"]
    assert {r["ineligibilityReasons"][0]["code"] for r in payload["ineligibleRates"]} == {
        "WEIGHT_RESTRICTIONS"
    }


def test_rules_pick_the_cheapest_the_fastest_or_the_promise(emulator, adapter):
    order = emulator.store.add_order(SELLER_ID, DE, [MUG])
    _token, rates = _rates(adapter, order)
    assert choose_rate(rates, "cheapest", "PDF").service_id == "AMZN_STD"
    fastest = choose_rate(rates, "fastest", "PDF")
    assert fastest.service_id == "AMZN_NEXT"  # one day, cheaper than UPS
    by = min(r.delivery_end for r in rates if r.service_id == "DHL_PAKET")
    assert choose_rate(rates, "promise", "PDF", deliver_by=by).service_id == "DHL_PAKET"
    too_soon = min(r.delivery_end for r in rates).replace(year=2000)
    assert choose_rate(rates, "promise", "PDF", deliver_by=too_soon) == fastest
    assert choose_rate(rates, "cheapest", "EPL") is None
    # What a person chooses among (the wizard) is what the rule chooses among,
    # and a rate kept while they choose comes back the same.
    assert buyable_rates(rates, "ZPL") == rates
    assert [r for r in rates if meets_promise(r, by)] == [r for r in rates if r.delivery_end <= by]
    assert all(rate_from_dict(rate_to_dict(rate)) == rate for rate in rates)


def test_the_same_idempotency_key_never_buys_a_second_label(emulator, adapter):
    order = emulator.store.add_order(SELLER_ID, DE, [MUG])
    token, rates = _rates(adapter, order)
    rate = choose_rate(rates, "cheapest", "PDF")
    first = _buy(adapter, token, rate, key="delivery-7-1")
    # The retry of a request that timed out, even after the rates expired.
    emulator.store.expire_rates()
    again = _buy(adapter, token, rate, key="delivery-7-1")
    assert again.shipment_id == first.shipment_id
    assert len(emulator.store.labels_of(order.order_id)) == 1


def test_expired_rates_answer_token_expired(emulator, adapter):
    order = emulator.store.add_order(SELLER_ID, DE, [MUG])
    token, rates = _rates(adapter, order)
    emulator.store.expire_rates()
    with pytest.raises(SpApiRequestError) as caught:
        _buy(adapter, token, rates[0])
    assert caught.value.code == "TOKEN_EXPIRED"
    assert order.status == "UNSHIPPED" and not emulator.store.labels


def test_cancelling_unships_the_order_until_the_carrier_has_the_parcel(emulator, adapter):
    store = emulator.store
    order = store.add_order(SELLER_ID, DE, [MUG])
    token, rates = _rates(adapter, order)
    first = _buy(adapter, token, rates[0])
    adapter.cancel_shipment(first.shipment_id)
    assert order.status == "UNSHIPPED" and not order.packages
    with pytest.raises(SpApiRequestError, match="already cancelled"):
        adapter.cancel_shipment(first.shipment_id)
    token, rates = _rates(adapter, order)
    second = _buy(adapter, token, rates[0])
    store.pick_up_label(second.shipment_id)
    with pytest.raises(SpApiRequestError, match="picked it up"):
        adapter.cancel_shipment(second.shipment_id)
    assert order.status == "SHIPPED"


def test_amazon_charges_the_label_and_pays_it_back_when_cancelled(emulator, adapter):
    """The label's price leaves the seller's Amazon account as postage naming
    its shipment, and comes back when it is cancelled; the mapper finds the
    label of each, once, by its exact price (mapping.finances.label_charge)."""
    store = emulator.store
    order = store.add_order(SELLER_ID, DE, [MUG])
    token, rates = _rates(adapter, order)
    rate = choose_rate(rates, "cheapest", "PDF")
    bought = _buy(adapter, token, rate)
    adapter.cancel_shipment(bought.shipment_id)
    for transaction in store.transactions:
        transaction.posted -= timedelta(hours=1)  # listed 2 minutes after their posting
    pages = adapter.iter_transactions(related=("ORDER_ID", order.order_id))
    billing, refund = [parse_transaction(t) for page in pages for t in page]
    assert (billing.kind, billing.total) == ("PostageBilling", -rate.amount)
    assert (refund.kind, refund.total) == ("PostageRefund", rate.amount)
    assert billing.shipment_ref == refund.shipment_ref == bought.shipment_id
    label = (bought.shipment_id, order.order_id, rate.amount, ["billing", "refund"])

    def charge(transaction, **changes):
        values = {
            "kind": transaction.kind,
            "description": transaction.description,
            "total": transaction.total,
            "order_ref": transaction.order_ref,
            "shipment_ref": transaction.shipment_ref,
        }
        return {**values, **changes}

    assert label_charge(charge(billing), [label]) == (bought.shipment_id, "billing")
    assert label_charge(charge(refund), [label]) == (bought.shipment_id, "refund")
    # Without its shipment: postage of the label's order; never another charge.
    assert label_charge(charge(billing, shipment_ref=""), [label]) == (
        bought.shipment_id,
        "billing",
    )
    assert (
        label_charge(charge(billing, shipment_ref="", kind="Shipment", description=""), [label])
        is None
    )
    assert label_charge(charge(billing, total=-rate.amount - 1), [label]) is None  # an adjustment
    assert label_charge(charge(billing, shipment_ref="other"), [label]) is None
    assert label_charge(charge(refund), [(*label[:3], ["billing"])]) is None  # refunded already


def test_what_amazon_refuses_is_refused(emulator, http):
    store = emulator.store
    order = store.add_order(SELLER_ID, DE, [MUG, TEE])
    fba = store.add_order(SELLER_ID, DE, [MUG], fulfilled_by="AMAZON")
    other = store.add_order(SELLER_ID, US, [MUG])
    other.seller_id = "A2OTHERSELLER"
    mug, _tee = order.items

    def rates(**changes):
        package = _package(order)
        body = rates_request(order.order_id, SHIP_FROM, package)
        body.update(changes.pop("body", {}))
        for key, value in changes.items():
            body["packages"][0][key] = value
        return http.post(RATES, json=body)

    # AmazonOrderDetails: "This is required if the shipment source channel is Amazon."
    answer = rates(body={"channelDetails": {"channelType": "AMAZON"}})
    assert answer.status_code == 400 and "orderId" in error_of(answer)["details"]
    # The order must be the seller's, and one the seller ships.
    for order_id in (other.order_id, fba.order_id, "999-0000000-0000000"):
        details = {"channelType": "AMAZON", "amazonOrderDetails": {"orderId": order_id}}
        assert rates(body={"channelDetails": details}).status_code == 400
    # "the Order Item ID should be sent in the itemIdentifier attribute"
    answer = rates(items=[{"itemIdentifier": "not-an-item", "quantity": 1}])
    assert "not an item" in error_of(answer)["details"]
    # No more than is left to ship.
    answer = rates(items=[{"itemIdentifier": mug.order_item_id, "quantity": 3}])
    assert "left to ship" in error_of(answer)["details"]
    # "each shipment is limited to a single package"
    body = rates_request(order.order_id, SHIP_FROM, _package(order))
    body["packages"] *= 2
    assert "single package" in error_of(http.post(RATES, json=body))["details"]
    # The model's own: a weight unit outside its enum, a package without its items.
    answer = rates(weight={"value": 1, "unit": "STONE"})
    assert answer.status_code == 400
    body = rates_request(order.order_id, SHIP_FROM, _package(order))
    del body["packages"][0]["items"]
    assert http.post(RATES, json=body).status_code == 400
    # EXTERNAL shipments need shipTo.
    answer = rates(body={"channelDetails": {"channelType": "EXTERNAL"}})
    assert "shipTo" in error_of(answer)["details"]

    good = rates().json()["payload"]
    token, rate_id = good["requestToken"], good["rates"][0]["rateId"]

    def purchase(spec=None, key=None, **changes):
        body = {
            "requestToken": token,
            "rateId": rate_id,
            "requestedDocumentSpecification": spec or document_specification("PDF"),
            **changes,
        }
        headers = {"x-amzn-IdempotencyKey": key} if key else {}
        return http.post("/shipping/v2/shipments", json=body, headers=headers)

    # "not among those returned in the response to the getRates operation"
    for spec in (
        {**document_specification("PDF"), "size": {"width": 8, "length": 11, "unit": "INCH"}},
        {**document_specification("PDF"), "dpi": 600},
        {**document_specification("PDF"), "needFileJoining": True},
        {**document_specification("PDF"), "requestedDocumentTypes": ["PACKSLIP"]},
    ):
        answer = purchase(spec)
        assert "supportedDocumentSpecifications" in error_of(answer)["details"], spec
    assert "rateId" in error_of(purchase(rateId="nope"))["details"]
    assert "requestToken" in error_of(purchase(requestToken="nope"))["details"]
    answer = purchase(requestedValueAddedServices=[{"id": "SIGNATURE"}])
    assert "value-added" in error_of(answer)["details"]
    # The order cancelled since the rates: no label.
    store.set_status(order.order_id, "CANCELLED")
    assert "CANCELLED" in error_of(purchase())["details"]
    store.set_status(order.order_id, "UNSHIPPED")
    bought = purchase(key="k-1")
    assert bought.status_code == 200
    # One key, another request: refused (the emulator's rule).
    assert purchase(key="k-1", rateId=good["rates"][1]["rateId"]).status_code == 400
    assert not store.labels_of(order.order_id, cancelled=True)


def test_documents_and_tracking_are_the_sellers_own(emulator, adapter, http):
    order = emulator.store.add_order(SELLER_ID, DE, [MUG])
    token, rates = _rates(adapter, order)
    purchase = _buy(adapter, token, rates[0])
    with pytest.raises(SpApiRequestError, match="packageClientReferenceId"):
        adapter.get_shipment_documents(purchase.shipment_id, "2")
    with pytest.raises(SpApiNotFoundError):
        adapter.get_shipment_documents("unknown", "1")
    with pytest.raises(SpApiNotFoundError):
        adapter.get_tracking(purchase.tracking_id, "UPS" if rates[0].carrier_id != "UPS" else "DHL")
    answer = http.get(
        f"/shipping/v2/shipments/{purchase.shipment_id}/documents",
        params={"packageClientReferenceId": "1", "format": "PDF", "dpi": 72},
    )
    assert "dpi" in error_of(answer)["details"]
    emulator.store.labels[purchase.shipment_id].seller_id = "A2OTHERSELLER"
    with pytest.raises(SpApiNotFoundError):
        adapter.cancel_shipment(purchase.shipment_id)


def test_the_mapper_refuses_what_it_cannot_use():
    good = {
        "requestToken": "t",
        "rates": [
            {
                "rateId": "r1",
                "carrierId": "C",
                "carrierName": "C",
                "serviceId": "S",
                "serviceName": "S",
                "totalCharge": {"value": "NaN", "unit": "EUR"},
                "promise": {},
                "supportedDocumentSpecifications": [],
                "requiresAdditionalInputs": False,
            }
        ],
    }
    token, rates = parse_rates(good)
    assert (token, rates) == ("t", [])  # the unreadable rate is left out
    with pytest.raises(PayloadError, match="requestToken"):
        parse_rates({"rates": []})
    label = {"type": "LABEL", "format": "PDF", "contents": "%%% not base64"}
    detail = {"packageClientReferenceId": "1", "trackingId": "T1", "packageDocuments": [label]}
    with pytest.raises(PayloadError, match="Base64"):
        parse_purchase({"shipmentId": "s", "packageDocumentDetails": [detail]}, "1")
    label["contents"] = "A" * (8 * 1024 * 1024)
    with pytest.raises(PayloadError, match="too large"):
        parse_purchase({"shipmentId": "s", "packageDocumentDetails": [detail]}, "1")
    label["contents"] = base64.b64encode(b"%PDF").decode()
    with pytest.raises(PayloadError, match="no package 2"):
        parse_purchase({"shipmentId": "s", "packageDocumentDetails": [detail]}, "2")
