"""Amazon order payloads into plain values, without Odoo."""

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from conftest import DE, MODELS_DIR, SELLER_ID, US

from mapping import PayloadError, address_key, format_datetime, is_importable, parse_order
from mapping.fba import FbaQuantities
from mapping.fee_invoices import parse_fee_invoice, parse_tax_rate
from mapping.invoices import (
    CREDIT_NOTE,
    InvoiceNumberError,
    parse_vat_invoice_report,
    vat_invoice_options,
)
from mapping.listings import availability_patch, parse_listing, quantity_feed_message
from mapping.shipments import package_detail
from mapping.stock import allocate, feed_report_errors
from spapi_emulator import Address, Emulator
from spapi_emulator.render import INCLUDED_DATA, render_order

CURRENCIES = {US: "USD", DE: "EUR"}


def payload(**values):
    emu = Emulator()
    emu.store.add_seller(SELLER_ID, [US, DE])
    items = values.pop(
        "items", [{"sku": "MUG", "title": "Mug", "quantity": 2, "unit_price": "10.00"}]
    )
    order = emu.store.add_order(SELLER_ID, values.pop("marketplace", DE), items, **values)
    emu._server.server_close()
    return render_order(order, INCLUDED_DATA)


def test_amounts_discounts_and_gift_options():
    data = payload(
        items=[
            {
                "sku": "MUG",
                "title": "Mug",
                "quantity": 2,
                "unit_price": "10.00",
                "shipping_price": "4.99",
                "shipping_discount": "1.00",
                "gift_wrap_price": "2.50",
                "gift_wrap_level": "Classic",
                "gift_message": "Hi",
                "promotion_discount": "3.00",
                "promotion_ids": ["P1"],
            },
            {"sku": "TEE", "title": "Tee", "quantity": 1, "unit_price": "5.00"},
        ]
    )
    order = parse_order(data, CURRENCIES.get)
    mug = order.items[0]
    assert (mug.item_total, mug.shipping, mug.shipping_discount) == (
        Decimal("20.00"),
        Decimal("4.99"),
        Decimal("1.00"),
    )
    assert (mug.promotion_discount, mug.promotion_ids) == (Decimal("3.00"), ["P1"])
    assert (order.shipping_total, order.giftwrap_total) == (Decimal("3.99"), Decimal("2.50"))
    assert order.gift_messages == ["Hi"] and order.giftwrap_level == "Classic"
    assert order.total == Decimal("28.49")
    assert order.currency == "EUR" and order.channel == "FBM"
    assert order.purchase_date.tzinfo is None  # naive UTC, as Odoo stores it


def test_personal_data_and_business_buyer():
    data = payload(
        buyer_name="Jo",
        buyer_email="JO@Example.com ",
        business=True,
        vat_number="DE1",
        buyer_company="ACME",
        purchase_order_number="PO1",
        address=Address(name="Jo", address_line1="Street 1", city="Berlin", country_code="de"),
    )
    order = parse_order(data, CURRENCIES.get)
    assert order.buyer_email == "jo@example.com"
    assert (order.vat, order.purchase_order_number) == ("DE1", "PO1")
    assert order.address.country_code == "DE"
    anonymous = parse_order(
        payload(marketplace=US, address=Address(city="Austin", country_code="US")),
        CURRENCIES.get,
    )
    assert not (anonymous.buyer_email or anonymous.buyer_name or anonymous.address.name)


def test_address_key_and_amazon_dates():
    assert address_key("Jo ", "Street 1", None, "BERLIN", "10115", "DE") == (
        "jo",
        "street 1",
        "",
        "berlin",
        "10115",
        "de",
    )
    assert format_datetime(datetime(2026, 12, 2, 13, 50)) == "2026-12-02T13:50:00Z"


@pytest.mark.parametrize(
    ("channel", "status", "importable"),
    [
        ("AMAZON", "SHIPPED", True),
        ("AMAZON", "UNSHIPPED", False),
        ("AMAZON", "CANCELLED", False),
        ("MERCHANT", "UNSHIPPED", True),
        ("MERCHANT", "PARTIALLY_SHIPPED", True),
        ("MERCHANT", "SHIPPED", False),
        ("MERCHANT", "PENDING", False),
    ],
)
def test_what_is_imported(channel, status, importable):
    order = parse_order(payload(fulfilled_by=channel, status=status), CURRENCIES.get)
    assert is_importable(order) is importable


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("orderId"), "orderId is missing"),
        (lambda d: d["salesChannel"].update(marketplaceId="XX"), "unknown to Odoo"),
        (lambda d: d.update(orderItems=[]), "no items"),
        (
            lambda d: d["orderItems"][0].update(quantityOrdered=0),
            r"orderItems\[0\]\.quantityOrdered is 0",
        ),
        (lambda d: d.update(createdTime="yesterday"), "ISO 8601"),
        (
            lambda d: d["orderItems"][0]["product"]["price"]["unitPrice"].update(amount="ten"),
            r"orderItems\[0\]\.product\.price\.unitPrice\.amount is not a number",
        ),
        (
            lambda d: d["proceeds"]["grandTotal"].update(currencyCode="USD"),
            "proceeds.grandTotal is in .USD., the marketplace in EUR",
        ),
        (
            lambda d: d["fulfillment"].update(fulfilledBy="DRONES"),
            "fulfillment.fulfilledBy is unknown",
        ),
    ],
)
def test_bad_payloads_are_explained(change, message):
    data = payload()
    change(data)
    with pytest.raises(PayloadError, match=message):
        parse_order(data, CURRENCIES.get)


def test_units_amazon_shipped_are_read_per_item():
    data = payload(items=[{"sku": "MUG", "title": "Mug", "quantity": 6, "unit_price": "5.00"}])
    assert parse_order(data, CURRENCIES.get).items[0].quantity_shipped == 0
    fulfillment = data["orderItems"][0]["fulfillment"]
    fulfillment.update(quantityFulfilled=2, quantityUnfulfilled=4)
    assert parse_order(data, CURRENCIES.get).items[0].quantity_shipped == 2
    del fulfillment["quantityFulfilled"]
    assert parse_order(data, CURRENCIES.get).items[0].quantity_shipped == 2
    for hostile in (7, -1, "2", True, 2.5):
        fulfillment["quantityFulfilled"] = hostile
        with pytest.raises(
            PayloadError,
            match=r"orderItems\[0\]\.fulfillment\.quantityFulfilled is (7|-1|not an integer)",
        ):
            parse_order(data, CURRENCIES.get)


def test_dates_are_utc():
    created = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    order = parse_order(
        payload(created_time=created, last_updated_time=created + timedelta(hours=1)),
        CURRENCIES.get,
    )
    assert order.purchase_date == datetime(2026, 3, 1, 12, 0)
    assert order.last_updated == datetime(2026, 3, 1, 13, 0)


def test_quantity_payloads():
    patch = availability_patch(7)
    assert patch == {
        "op": "merge",
        "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 7}],
    }
    message = quantity_feed_message(3, "SKU-A", 7)
    assert (message["messageId"], message["sku"], message["operationType"]) == (3, "SKU-A", "PATCH")
    assert message["patches"] == [patch]


def test_package_detail():
    detail = package_detail(
        "4201", "UPS", "UPS", "UPS Ground", "1Z9", datetime(2026, 12, 2, 9, 30), [{"q": 1}]
    )
    assert detail["shipDate"] == "2026-12-02T09:30:00Z"
    assert (detail["packageReferenceId"], detail["trackingNumber"]) == ("4201", "1Z9")
    assert detail["orderItems"] == [{"q": 1}]


def test_a_listing_of_one_marketplace_reads_its_channel_status_and_issues():
    item = {
        "sku": " MUG-01 ",
        "summaries": [{"marketplaceId": DE, "itemName": "Mug", "status": ["DISCOVERABLE"]}],
        "attributes": {
            "externally_assigned_product_identifier": [
                {"type": "ean", "value": "4006381333931", "marketplace_id": DE},
                {"type": "isbn", "value": "978-3-16-148410-0", "marketplace_id": DE},
            ]
        },
        "issues": [
            {"code": "90220", "message": "Missing price.", "severity": "ERROR", "categories": []},
            {"code": "1", "message": "FYI", "severity": "INFO", "categories": []},
        ],
        "fulfillmentAvailability": [{"fulfillmentChannelCode": "AMAZON_EU", "quantity": 3}],
        "offers": [
            {
                "marketplaceId": DE,
                "offerType": "B2B",
                "price": {"currencyCode": "EUR", "amount": "9.00"},
            },
            {
                "marketplaceId": DE,
                "offerType": "B2C",
                "price": {"currencyCode": "EUR", "amount": "11.90"},
            },
        ],
    }
    listing = parse_listing(item)
    assert listing.price == Decimal("11.90")  # the B2C offer, what buyers see
    assert (listing.sku, listing.marketplace_refs, listing.title) == ("MUG-01", [DE], "Mug")
    assert listing.barcodes == ["4006381333931"]
    assert listing.fulfilled_by_amazon
    assert (listing.status, listing.issues) == ("discoverable", "ERROR 90220: Missing price.")
    bare = parse_listing({"sku": "X", "summaries": [{"marketplaceId": DE, "status": []}]})
    assert (bare.status, bare.fulfilled_by_amazon, bare.issues) == ("inactive", False, "")
    buyable = {"sku": "Y", "summaries": [{"status": ["BUYABLE", "DISCOVERABLE"]}]}
    assert parse_listing(buyable).status == "buyable"
    suppressed = {
        "sku": "Z",
        "summaries": [{"status": []}],
        "issues": [
            {
                "code": "18155",
                "message": "Price outside the allowed range.",
                "severity": "ERROR",
                "categories": ["INVALID_PRICE"],
                "enforcements": {
                    "actions": [{"action": "LISTING_SUPPRESSED"}],
                    "exemption": {"status": "NOT_EXEMPT"},
                },
            }
        ],
    }
    assert parse_listing(suppressed).status == "suppressed"


@pytest.mark.parametrize(
    ("free", "claims", "split", "expected"),
    [
        # One account, three FBM marketplaces, 10 free: each offers 10...
        (10, [("A", 0, 100, 3)], False, {"A": [10, 10, 10]}),
        # ...or, split, 4 + 3 + 3 = 10.
        (10, [("A", 0, 100, 3)], True, {"A": [4, 3, 3]}),
        # Two units kept back, half of the rest offered.
        (10, [("A", 2, 50, 1)], False, {"A": [4]}),
        # Two accounts at 100% each, split: shares scaled to 50/50.
        (10, [("A", 0, 100, 1), ("B", 0, 100, 2)], True, {"A": [5], "B": [3, 2]}),
        # 60/40, one account keeping 3 back: 4 + 4 = 8 <= 10.
        (10, [("A", 3, 60, 1), ("B", 0, 40, 1)], True, {"A": [4], "B": [4]}),
        # Nothing free, negative free, buffer above free: never below zero.
        (0, [("A", 0, 100, 2)], True, {"A": [0, 0]}),
        (-4, [("A", 0, 100, 1)], False, {"A": [0]}),
        (3, [("A", 5, 100, 1)], False, {"A": [0]}),
    ],
)
def test_allocation(free, claims, split, expected):
    allocated = allocate(free, claims, split)
    assert allocated == expected
    if split:
        assert sum(sum(quantities) for quantities in allocated.values()) <= max(free, 0)


def test_split_never_offers_more_than_the_free_quantity():
    for free in range(0, 40):
        for shares in ((100, 100, 100), (30, 30, 30), (90, 50, 10), (100, 0, 5)):
            claims = [(n, n, share, n + 1) for n, share in enumerate(shares)]
            total = sum(sum(q) for q in allocate(free, claims, True).values())
            assert total <= free


def test_ship_and_deliver_windows_and_programs_are_read_when_amazon_sends_them():
    emulator = Emulator()
    emulator.store.add_seller(SELLER_ID, [DE])
    placed = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    order = emulator.store.add_order(
        SELLER_ID,
        DE,
        [{"sku": "X", "title": "x", "quantity": 1, "unit_price": "1.00"}],
        created_time=placed,
        programs=["PRIME"],
        business=True,
    )
    payload = render_order(order, INCLUDED_DATA)
    parsed = parse_order(payload, lambda _m: "EUR")
    assert (parsed.ship_by_earliest, parsed.ship_by_latest) == (
        datetime(2026, 12, 1, 9, 30),
        datetime(2026, 12, 3, 9, 30),
    )
    assert parsed.deliver_by_latest == datetime(2026, 12, 6, 9, 30)
    assert parsed.programs == ["PRIME", "AMAZON_BUSINESS"]
    # A window left out, or one Odoo cannot read, is no reason to refuse the order.
    payload["fulfillment"].pop("deliverByWindow")
    payload["fulfillment"]["shipByWindow"] = {"latestDateTime": "soon"}
    parsed = parse_order(payload, lambda _m: "EUR")
    assert (parsed.ship_by_latest, parsed.deliver_by_latest) == (None, None)


def test_tax_amazon_collects_as_marketplace_facilitator_is_told_apart():
    """ItemTax.taxCollections: MARKETPLACE_FACILITATOR means "Tax is withheld
    and remitted to the taxing authority by Amazon on behalf of the seller"."""
    data = payload(
        marketplace=US,
        items=[
            {
                "sku": "MUG",
                "title": "Mug",
                "quantity": 2,
                "unit_price": "10.00",
                "shipping_price": "4.99",
                "tax": "1.60",
                "tax_model": "MARKETPLACE_FACILITATOR",
            },
            {"sku": "TEE", "title": "Tee", "quantity": 1, "unit_price": "5.00", "tax": "0.40"},
        ],
    )
    assert data["orderItems"][0]["tax"]["taxCollections"][0]["model"] == ("MARKETPLACE_FACILITATOR")
    order = parse_order(data, CURRENCIES.get)
    mug, tee = order.items
    assert (mug.tax, mug.tax_by_marketplace) == (Decimal("1.60"), True)
    assert (tee.tax, tee.tax_by_marketplace) == (Decimal("0.40"), False)
    assert (order.tax_total, order.marketplace_tax) == (Decimal("2.00"), Decimal("1.60"))
    assert not order.taxed_by_marketplace  # the tee's tax is the seller's
    assert order.total == Decimal("31.99")


def test_an_inventory_summary_is_read_bucket_by_bucket():
    from mapping.fba import parse_inventory_summary  # noqa: PLC0415

    quantities = parse_inventory_summary(
        {
            "sellerSku": " LAMP ",
            "totalQuantity": 17,
            "inventoryDetails": {
                "fulfillableQuantity": 10,
                "inboundWorkingQuantity": 1,
                "inboundShippedQuantity": 2,
                "inboundReceivingQuantity": 1,
                "reservedQuantity": {"totalReservedQuantity": 1},
                "unfulfillableQuantity": {"totalUnfulfillableQuantity": 1},
                "researchingQuantity": {"totalResearchingQuantity": 1},
            },
        }
    )
    assert quantities.sku == "LAMP"
    assert (quantities.fulfillable, quantities.inbound, quantities.total) == (10, 4, 17)
    # Without details only the total is known.
    assert parse_inventory_summary({"sellerSku": "X", "totalQuantity": 3}).fulfillable == 0
    for bad in ({}, {"sellerSku": "X", "inventoryDetails": {"fulfillableQuantity": -1}}):
        with pytest.raises(PayloadError):
            parse_inventory_summary(bad)


def test_fba_quantities_of_two_pools_add_up_bucket_by_bucket():
    eu = FbaQuantities("MUG", fulfillable=20, reserved=2, inbound_shipped=5, total=27)
    uk = FbaQuantities("MUG-UK", fulfillable=7, unfulfillable=1, total=8)
    both = eu + uk
    assert both.sku == "MUG"
    assert (both.fulfillable, both.reserved, both.unfulfillable) == (27, 2, 1)
    assert (both.inbound, both.total) == (5, 35)


def test_a_refund_transaction_read_with_its_items_and_identifiers():
    from mapping.finances import by_kind, parse_transaction  # noqa: PLC0415

    refund = parse_transaction(
        {
            "transactionId": "TX-9",
            "transactionType": "Refund",
            "transactionStatus": "RELEASED",
            "postedDate": "2026-11-30T10:15:00Z",
            "totalAmount": {"currencyCode": "EUR", "currencyAmount": -13.49},
            "marketplaceDetails": {"marketplaceId": DE},
            "relatedIdentifiers": [
                {"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": "302-1"},
                {"relatedIdentifierName": "REFUND_ID", "relatedIdentifierValue": "R-7"},
                {
                    "relatedIdentifierName": "FINANCIAL_EVENT_GROUP_ID",
                    "relatedIdentifierValue": "G2",
                },
            ],
            "items": [
                {
                    "totalAmount": {"currencyCode": "EUR", "currencyAmount": -13.49},
                    "breakdowns": [
                        {
                            "breakdownType": "ProductCharges",
                            "breakdownAmount": {"currencyCode": "EUR", "currencyAmount": -11.90},
                        },
                        {
                            "breakdownType": "ShippingCharges",
                            "breakdownAmount": {"currencyCode": "EUR", "currencyAmount": -1.59},
                        },
                    ],
                    "contexts": [
                        {"contextType": "ProductContext", "sku": "MUG", "quantityShipped": 1}
                    ],
                    "relatedIdentifiers": [
                        {
                            "itemRelatedIdentifierName": "ORDER_ADJUSTMENT_ITEM_ID",
                            "itemRelatedIdentifierValue": "OAI-1",
                        }
                    ],
                }
            ],
        }
    )
    assert (refund.kind, refund.order_ref, refund.refund_ref, refund.group_ref) == (
        "Refund",
        "302-1",
        "R-7",
        "G2",
    )
    assert (refund.total, refund.posted) == (Decimal("-13.49"), datetime(2026, 11, 30, 10, 15))
    (item,) = refund.items
    assert (item.sku, item.quantity, item.adjustment_ref) == ("MUG", 1, "OAI-1")
    assert by_kind(item.breakdowns) == {
        "ProductCharges": Decimal("-11.90"),
        "ShippingCharges": Decimal("-1.59"),
    }
    with pytest.raises(PayloadError):
        parse_transaction({"transactionId": "TX-1", "totalAmount": {"currencyAmount": "x"}})


def test_a_refund_read_as_what_the_buyer_got_back_per_sku():
    from mapping.finances import MoneyLine, refunded_items  # noqa: PLC0415

    def item(sku, quantity, kind, amount, detail=None):
        return MoneyLine(sku, quantity, kind, detail or kind, Decimal(amount), True)

    mug, tee = refunded_items(
        [
            item("MUG", 1, "Product Charges", "-5.00", "Principal"),
            item("MUG", 1, "Product Charges", "-0.95", "Tax"),
            item("MUG", 1, "ShippingCharges", "-1.59"),
            item("MUG", 1, "Shipping Charges", "-0.30", "Tax"),  # the shipping's tax
            item("MUG", 1, "Promotion", "1.00"),
            item("MUG", 1, "AmazonFees", "0.75"),  # Amazon's, not the buyer's: left to the payout
            item("MUG", 1, "Tax", "0.95", "MarketplaceFacilitatorTax-Principal"),
            item("TEE", 2, "ProductCharges", "-39.98"),
            # The transaction's own breakdowns say the same money again: not counted twice.
            MoneyLine("", 0, "Sales", "Product Charges", Decimal("-45.93"), False),
        ]
    )
    assert (mug.sku, mug.quantity, tee.sku, tee.quantity) == ("MUG", 1, "TEE", 2)
    assert mug.parts == {
        "product": Decimal("5.00"),
        "product_tax": Decimal("0.95"),
        "shipping": Decimal("1.59"),
        "shipping_tax": Decimal("0.30"),
        "promotion": Decimal("-1.00"),
    }
    assert mug.gross("product") == Decimal("5.95")
    assert mug.gross("product", with_tax=False) == Decimal("5.00")
    assert tee.gross("shipping") == Decimal("0")
    # Fees only: nothing the buyer got back, nothing to credit.
    assert refunded_items([item("MUG", 1, "AmazonFees", "0.75")]) == []
    # Only the transaction's breakdowns: they are the ones read.
    (whole,) = refunded_items(
        [MoneyLine("", 0, "Sales", "Product Charges", Decimal("-10.00"), False)]
    )
    assert (whole.sku, whole.parts) == ("", {"product": Decimal("10.00")})


def test_amazons_own_example_transaction_read_without_counting_twice():
    """The Transaction example of finances_2024-06-19.json: breakdowns nested
    (Product Charges > Principle), the transaction's given as an object, and
    the same 10 USD told by the item and by the transaction."""
    from mapping.finances import booked_lines, by_kind, parse_transaction  # noqa: PLC0415

    example = {
        "transactionType": "Shipment",
        "transactionId": "b1qD0oAliFkLiqRyGbmeT0DoS2Z2kHzi7TZ92z-vARI",
        "transactionStatus": "Released",
        "postedDate": "2020-07-14T03:35:13.214Z",
        "totalAmount": {"currencyAmount": 10, "currencyCode": "USD"},
        "items": [
            {
                "totalAmount": {"currencyAmount": 10, "currencyCode": "USD"},
                "breakdowns": [
                    {
                        "breakdownType": "Product Charges",
                        "breakdownAmount": {"currencyAmount": 10, "currencyCode": "USD"},
                        "breakdowns": [
                            {
                                "breakdownType": "Principle",
                                "breakdownAmount": {"currencyAmount": 10, "currencyCode": "USD"},
                                "breakdowns": [],
                            }
                        ],
                    }
                ],
                "contexts": [
                    {"contextType": "ProductContext", "sku": "sku-12", "quantityShipped": 1}
                ],
            }
        ],
        "breakdowns": {
            "breakdowns": [
                {
                    "breakdownType": "Sales",
                    "breakdownAmount": {"currencyAmount": 10, "currencyCode": "USD"},
                    "breakdowns": [
                        {
                            "breakdownType": "Product Charges",
                            "breakdownAmount": {"currencyAmount": 10, "currencyCode": "USD"},
                            "breakdowns": [],
                        }
                    ],
                }
            ]
        },
    }
    transaction = parse_transaction(example)
    (leaf,) = transaction.items[0].breakdowns
    assert (leaf.kind, leaf.detail, leaf.amount) == ("Product Charges", "Principle", Decimal(10))
    assert by_kind(transaction.breakdowns) == {"Sales": Decimal(10)}
    from mapping.finances import MoneyLine  # noqa: PLC0415

    lines = [
        MoneyLine("sku-12", 1, leaf.kind, leaf.detail, leaf.amount, True),
        *(MoneyLine("", 0, b.kind, b.detail, b.amount, False) for b in transaction.breakdowns),
    ]
    assert sum(line.amount for line in booked_lines(lines)) == transaction.total


# --- The seller's own invoices ---------------------------------------------------------------
def test_a_credit_note_is_uploaded_with_positive_amounts_and_its_refund():
    options = vat_invoice_options(
        "305-1234567-7654321", "RINV/2026/00002", Decimal("-11.90"), "-1.90", CREDIT_NOTE, "TX-9"
    )
    assert options == {
        "metadata:OrderId": "305-1234567-7654321",
        "metadata:InvoiceNumber": "RINV/2026/00002",
        "metadata:TotalAmount": "11.90",
        "metadata:TotalVATAmount": "1.90",
        "metadata:DocumentType": "CreditNote",
        "metadata:TransactionId": "TX-9",
    }
    with pytest.raises(ValueError, match="transaction id"):
        vat_invoice_options("305-1234567-7654321", "R1", 1, 0, CREDIT_NOTE)


@pytest.mark.parametrize("number", ["INV.2026.1", "FA-2026-ü1", "", "INV/2026/1\n"])
def test_an_invoice_number_amazon_refuses_is_caught_before_the_upload(number):
    with pytest.raises(InvoiceNumberError, match="letters, digits"):
        vat_invoice_options("305-1234567-7654321", number, 10, 1)


def test_amazons_report_of_a_rejected_invoice_is_read():
    # As sellers quote it from Amazon (selling-partner-api-models issue 2437).
    report = (
        b"Feed Processing Summary:\n\tNumber of records processed\t\t1\n"
        b"\tNumber of records successful\t\t0\n\n"
        b"original-record-number\tsku\terror-code\terror-type\terror-message\n"
        b"1\t\t79513\tError\tPlease provide metadata:shippingid or metadata:orderid,"
        b"metadata:invoicenumber,metadata:totalamount,metadata:totalvatamount\n"
    )
    accepted, errors = parse_vat_invoice_report(report)
    assert not accepted
    assert errors == [
        "Please provide metadata:shippingid or metadata:orderid,metadata:invoicenumber,"
        "metadata:totalamount,metadata:totalvatamount (79513)"
    ]
    ok = b"Feed Processing Summary:\n\tNumber of records processed\t\t1\n"
    ok += b"\tNumber of records successful\t\t1\n"
    assert parse_vat_invoice_report(ok) == (True, [])
    assert parse_vat_invoice_report(b"<html>oops</html>") == (False, ["<html>oops</html>"])


# --- Amazon's own invoices (Finances Invoices 2026-06-25) -----------------------------------
def _model_example(operation_id):
    model = json.loads((MODELS_DIR / "financesInvoices_2026-06-25.json").read_text())
    for methods in model["paths"].values():
        for operation in methods.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return operation["responses"]["200"]["x-amzn-api-sandbox"]["static"][0]["response"]
    raise LookupError(operation_id)


@pytest.mark.skipif(MODELS_DIR is None, reason="Amazon's API models not found")
def test_amazons_example_invoice_is_read_with_its_amounts_and_lines():
    example = _model_example("getInvoice")
    invoice = parse_fee_invoice(example["invoiceHeader"], example["invoiceItems"])
    assert (invoice.ref, invoice.number) == ("INV-202505001~ABCDEF", "INV-202505001")
    assert (invoice.total, invoice.untaxed, invoice.tax) == (
        Decimal("540.00"),
        Decimal("500.00"),
        Decimal("40.00"),
    )
    assert invoice.currency == "USD"
    assert invoice.issued == datetime(2025, 6, 18, 14, 30)
    assert invoice.period == (datetime(2025, 6, 1, 14, 30), datetime(2025, 6, 30, 14, 30))
    # Amazon pays a vendor here: not an invoice Amazon issued to a seller.
    assert not invoice.billed_to_seller
    [line] = invoice.lines
    assert (line.ref, line.description, line.quantity) == ("LI-001", "Widget A", 10)
    assert (line.amount, line.tax, line.tax_rates) == (
        Decimal("500.00"),
        Decimal("40.00"),
        (("DE", Decimal("19")),),
    )
    assert line.charge_type == "GOODS"


def test_tax_rate_codes_are_read_or_left_out():
    assert parse_tax_rate("DE 19") == ("DE", Decimal("19"))
    assert parse_tax_rate("fr 20.0") == ("FR", Decimal("20.0"))
    assert parse_tax_rate("EXEMPT") is None
    assert parse_tax_rate("DE nineteen") is None


@pytest.mark.parametrize(
    ("change", "path"),
    [
        # A field of the wrong type.
        (lambda d: d["orderItems"][0].update(quantityOrdered="2"), "orderItems[0].quantityOrdered"),
        (lambda d: d.update(buyer=["Erika"]), "buyer is not an object"),
        (lambda d: d["salesChannel"].update(marketplaceId=7), "salesChannel.marketplaceId"),
        (lambda d: d.update(orderItems={"a": 1}), "orderItems is not an array"),
        # An item that is not an object.
        (lambda d: d["orderItems"].append("MUG"), "orderItems[1] is not an object"),
        (lambda d: d["orderItems"][0].update(product=None, proceeds=3), "orderItems[0].proceeds"),
        # A non-finite or overflowing amount.
        (
            lambda d: d["orderItems"][0]["product"]["price"]["unitPrice"].update(amount="NaN"),
            "orderItems[0].product.price.unitPrice.amount is not a finite number",
        ),
        (
            lambda d: d["proceeds"]["grandTotal"].update(amount="1e400"),
            "proceeds.grandTotal.amount is out of range",
        ),
        (
            lambda d: d["proceeds"]["grandTotal"].update(amount="Infinity"),
            "proceeds.grandTotal.amount is not a finite number",
        ),
        (
            lambda d: d["proceeds"]["grandTotal"].update(amount="123456789012345.00"),
            "proceeds.grandTotal.amount is out of range",
        ),
        # A control character in a name.
        (
            lambda d: d["recipient"]["deliveryAddress"].update(name="Erika\x00Mustermann"),
            "recipient.deliveryAddress.name contains a control character",
        ),
        (lambda d: d["buyer"].update(buyerName="Erika\x1b[31m"), "buyer.buyerName contains"),
        # A string longer than a database index allows.
        (
            lambda d: d["orderItems"][0]["product"].update(sellerSku="S" * 3000),
            "orderItems[0].product.sellerSku is 3000 characters long",
        ),
        (lambda d: d.update(orderId="1" * 3000), "orderId is 3000 characters long"),
        (
            lambda d: d["recipient"]["deliveryAddress"].update(addressLine1="ß" * 1000),
            "recipient.deliveryAddress.addressLine1 is 1000 characters long",
        ),
    ],
)
def test_hostile_payloads_name_the_field(change, path):
    """Whatever Amazon's answer holds, the mapper raises PayloadError naming the
    field, never another exception that would escape the unit."""
    data = payload(
        address=Address(name="Erika Mustermann", address_line1="Hauptstr. 1", country_code="DE"),
        buyer_name="Erika",
    )
    data["buyer"] = {"buyerName": "Erika", "buyerEmail": "erika@example.com"}
    change(data)
    with pytest.raises(PayloadError) as raised:
        parse_order(data, CURRENCIES.get)
    assert path in str(raised.value)


def test_a_gift_message_keeps_its_lines():
    data = payload()
    data["orderItems"][0]["fulfillment"] = {
        "packing": {"giftOption": {"giftMessage": "Happy birthday,\r\nErika\tx"}}
    }
    assert parse_order(data, CURRENCIES.get).items[0].gift_message.endswith("Erika\tx")


def test_a_feed_report_s_errors_by_message():
    report = {
        "issues": [
            {
                "messageId": 1,
                "code": "90220",
                "message": "'quantity' is required",
                "severity": "ERROR",
            },
            {"messageId": 1, "code": "18", "message": "line\nbreak", "severity": "ERROR"},
            {"messageId": 2, "code": "99", "message": "a warning", "severity": "WARNING"},
        ]
    }
    assert feed_report_errors(report) == {1: ["90220: 'quantity' is required", "18: line\nbreak"]}
    assert feed_report_errors(None) == {}


@pytest.mark.parametrize(
    ("report", "named"),
    [
        ([], "report is not an object"),
        ({"issues": "none"}, "issues is not an array"),
        ({"issues": ["x"]}, "issues[0] is not an object"),
        ({"issues": [{"severity": "ERROR", "messageId": "one"}]}, "issues[0].messageId"),
        ({"issues": [{"severity": "ERROR", "code": {"a": 1}}]}, "issues[0].code"),
        ({"issues": [{"severity": "ERROR", "message": "\x00"}]}, "issues[0].message"),
    ],
)
def test_an_unreadable_feed_report_names_the_field(report, named):
    with pytest.raises(PayloadError, match=re.escape(named)):
        feed_report_errors(report)


# --- seller cancellations (issue #35) -----------------------------------------------------
def test_a_cancellation_file_holds_one_row_per_item_and_nothing_that_breaks_it():
    from mapping.cancellations import Cancellation, cancellation_feed  # noqa: PLC0415

    content = cancellation_feed(
        [
            Cancellation("302-1234567-1234567", "11111111111111", "NoInventory"),
            Cancellation("302-1234567-1234567", "22222222222222", "NoInventory"),
        ]
    )
    assert content.decode().splitlines() == [
        "order-id\tamazon-order-item-code\tcancellation-reason-code",
        "302-1234567-1234567\t11111111111111\tNoInventory",
        "302-1234567-1234567\t22222222222222\tNoInventory",
    ]
    for bad, why in (
        (Cancellation("302-1\t2", "1", "NoInventory"), "control character"),
        (Cancellation("302-1", "1\n2", "NoInventory"), "control character"),
        (Cancellation("302-1", "", "NoInventory"), "missing"),
        (Cancellation("302-1", "1", "OutOfStock"), "not one of Amazon's"),
    ):
        with pytest.raises(PayloadError, match=why):
            cancellation_feed([bad])


def test_a_cancellation_report_says_which_orders_amazon_refused():
    from mapping.cancellations import parse_cancellation_report  # noqa: PLC0415

    report = parse_cancellation_report(
        b"Feed Processing Summary:\n"
        b"\tNumber of records processed\t\t3\n"
        b"\tNumber of records successful\t\t2\n\n"
        b"original-record-number\torder-id\terror-code\terror-type\terror-message\n"
        b"2\t302-2\tShipped\tError\tOrder 302-2 has shipped items: it cannot be cancelled.\n"
    )
    assert (report.processed, report.successful) == (3, 2)
    assert report.errors == {"302-2": ["Order 302-2 has shipped items: it cannot be cancelled."]}
    for garbage in (b"", b"<html>Service Unavailable</html>", b"\tNumber of records processed\tx"):
        with pytest.raises(PayloadError):
            parse_cancellation_report(garbage)
