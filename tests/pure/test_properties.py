"""Property tests of the mappers (issue #34), from Amazon's own models.

For any payload, valid by Amazon's Orders 2026-01-01 model or mutated away
from it, ``parse_order`` returns an Order Odoo can store or raises
PayloadError: never another exception, which would escape an order's fault
boundary as a bug. And every valid order (the emulator's, with any names and
amounts Amazon allows) is read as it was sent.
"""

import copy
import json
import math
from decimal import Decimal

import pytest
from conftest import DE, MODELS_DIR, SELLER_ID
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mapping import checks, parse_order
from mapping.checks import PayloadError
from mapping.fba import parse_inventory_summary
from mapping.fee_invoices import parse_fee_invoice
from mapping.finances import parse_event_group, parse_transaction
from mapping.listings import parse_listing
from mapping.returns import parse_fba_return, parse_fbm_return, read_tsv
from mapping.stock import feed_report_errors
from spapi_emulator import Address, Emulator
from spapi_emulator.render import INCLUDED_DATA, render_order

hypothesis_jsonschema = pytest.importorskip("hypothesis_jsonschema")

EXAMPLES = settings(
    max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


def eur(_marketplace):
    return "EUR"


def assert_storable(order):
    """What reaches Odoo: finite amounts in range, texts within their limits
    and free of control characters (but a gift message's lines)."""
    for item in order.items:
        for amount in (item.unit_price, item.item_total, item.tax, item.shipping):
            assert amount.is_finite() and abs(amount) < checks.MAX_AMOUNT
        assert item.quantity >= 1 and 0 <= item.quantity_shipped <= item.quantity
        assert len(item.sku) <= checks.SHORT_LENGTH
    texts = [order.ref, order.buyer_name, order.buyer_email, order.service_level]
    if order.address:
        texts += [order.address.name, order.address.street, order.address.city]
    for text in texts:
        assert isinstance(text, str) and len(text) <= checks.SHORT_LENGTH
        assert not any(ord(char) < 32 or ord(char) == 127 for char in text)


def parse_or_refuse(payload):
    try:
        order = parse_order(payload, eur)
    except PayloadError as error:
        assert str(error)  # a reason a person reads
        return None
    assert_storable(order)
    return order


# --- payloads valid by Amazon's model ---------------------------------------------------------
def order_schema():
    if MODELS_DIR is None:
        pytest.skip("Amazon's models (shared/spapi-models) are not beside the checkout")
    model = json.loads((MODELS_DIR / "orders_2026-01-01.json").read_text(encoding="utf-8"))
    return {"definitions": model["definitions"], "$ref": "#/definitions/Order"}


@pytest.fixture(scope="module")
def model_orders():
    return hypothesis_jsonschema.from_schema(order_schema())


def test_any_order_amazon_s_model_allows_is_read_or_refused(model_orders):
    @EXAMPLES
    @given(model_orders, st.sampled_from(["AMAZON", "MERCHANT", None]))
    def check(payload, fulfilled_by):
        # Deeper than the channel check: most generated orders have one.
        if fulfilled_by:
            payload.setdefault("fulfillment", {})["fulfilledBy"] = fulfilled_by
        payload.setdefault("salesChannel", {})["marketplaceId"] = DE
        parse_or_refuse(payload)

    check()


# --- payloads mutated away from it ------------------------------------------------------------
HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["NaN", "Infinity", "-1e400", "1e400", "1" * 40, "x" * 4000, "a\x00b"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def valid_payload():
    emulator = Emulator()
    try:
        emulator.store.add_seller(SELLER_ID, [DE])
        order = emulator.store.add_order(
            SELLER_ID,
            DE,
            [
                {"sku": "MUG", "title": "Mug", "quantity": 2, "unit_price": "10.00"},
                {
                    "sku": "TEE",
                    "title": "Tee",
                    "quantity": 1,
                    "unit_price": "19.99",
                    "shipping_price": "4.99",
                    "promotion_discount": "1.00",
                    "promotion_ids": ["P1"],
                },
            ],
            address=Address(name="Erika Mustermann", address_line1="Hauptstr. 1", city="Berlin"),
            buyer_name="Erika",
            buyer_email="erika@example.com",
        )
        return render_order(order, INCLUDED_DATA)
    finally:
        emulator._server.server_close()


VALID = valid_payload()


def paths(value, prefix=()):
    """Every path in a JSON document."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


PATHS = [path for path in paths(VALID) if path]


@EXAMPLES
@given(st.lists(st.tuples(st.sampled_from(PATHS), HOSTILE_VALUES), min_size=1, max_size=3))
def test_any_mutation_of_an_order_is_read_or_refused(mutations):
    payload = copy.deepcopy(VALID)
    for path, value in mutations:
        target = payload
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the way there
    parse_or_refuse(payload)


@EXAMPLES
@given(HOSTILE_VALUES)
def test_what_is_not_an_order_is_refused(value):
    with pytest.raises(PayloadError):
        parse_order(value, eur)


# --- every valid order lands ----------------------------------------------------------------
NAMES = st.text(
    st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs")),
    min_size=1,
    max_size=60,
).filter(str.strip)
AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@EXAMPLES
@given(NAMES, NAMES, st.integers(1, 1000), AMOUNTS, NAMES)
def test_valid_orders_are_read_as_sent(name, city, quantity, price, sku):
    payload = copy.deepcopy(VALID)
    payload["recipient"]["deliveryAddress"].update(name=name, city=city)
    item = payload["orderItems"][0]
    item["quantityOrdered"] = quantity
    item["product"]["sellerSku"] = sku
    item["product"]["price"]["unitPrice"]["amount"] = str(price)
    item["proceeds"]["breakdowns"] = [
        {"type": "ITEM", "subtotal": {"amount": str(price * quantity), "currencyCode": "EUR"}}
    ]
    item["fulfillment"] = {"quantityUnfulfilled": quantity}
    order = parse_order(payload, eur)
    assert_storable(order)
    assert (order.address.name, order.address.city) == (name, city)
    first = order.items[0]
    assert (first.sku, first.quantity, first.unit_price) == (sku.strip(), quantity, price)
    assert first.item_total == price * quantity
    assume(math.isfinite(float(first.item_total)))


# --- the other mappers: anything in, a value or PayloadError out ------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def model_transactions():
    if MODELS_DIR is None:
        pytest.skip("Amazon's models (shared/spapi-models) are not beside the checkout")
    model = json.loads((MODELS_DIR / "finances_2024-06-19.json").read_text(encoding="utf-8"))
    definitions = model["definitions"]
    # Breakdown nests itself, which the generator cannot resolve: unrolled to
    # three levels (Amazon's examples nest two).
    breakdown = definitions["Breakdown"]
    for depth in range(3):
        level = copy.deepcopy(breakdown)
        if depth == 0:
            del level["properties"]["breakdowns"]
        else:
            level["properties"]["breakdowns"]["items"] = {
                "$ref": f"#/definitions/Breakdown{depth - 1}"
            }
        definitions[f"Breakdown{depth}"] = level
    schema = json.loads(
        json.dumps(definitions).replace('"#/definitions/Breakdown"', '"#/definitions/Breakdown2"')
    )
    return hypothesis_jsonschema.from_schema(
        {"definitions": schema, "$ref": "#/definitions/Transaction"}
    )


def assert_listing_storable(listing):
    """What the listings import writes: an identifier, texts without control
    characters, a finite price in range."""
    assert listing.sku and len(listing.sku) <= checks.ID_LENGTH
    assert listing.price is None or (
        listing.price.is_finite() and abs(listing.price) < checks.MAX_AMOUNT
    )
    for text in [listing.sku, listing.created, *listing.barcodes, *listing.marketplace_refs]:
        assert not any(ord(char) < 32 or ord(char) == 127 for char in text)


def model_strategy(filename, definition):
    """Payloads valid by ``definition`` of one of Amazon's models."""
    if MODELS_DIR is None:
        pytest.skip("Amazon's models (shared/spapi-models) are not beside the checkout")
    model = json.loads((MODELS_DIR / filename).read_text(encoding="utf-8"))
    return hypothesis_jsonschema.from_schema(
        {"definitions": model["definitions"], "$ref": f"#/definitions/{definition}"}
    )


@pytest.fixture(scope="module")
def model_listings():
    return model_strategy("listingsItems_2021-08-01.json", "Item")


def test_any_listing_amazon_s_model_allows_is_read_or_refused(model_listings):
    @EXAMPLES
    @given(model_listings)
    def check(data):
        listing = read_or_refuse(parse_listing, data)
        if listing is not None:
            assert_listing_storable(listing)

    check()


@pytest.fixture(scope="module")
def model_fee_invoices():
    if MODELS_DIR is None:
        pytest.skip("Amazon's models (shared/spapi-models) are not beside the checkout")
    model = json.loads(
        (MODELS_DIR / "financesInvoices_2026-06-25.json").read_text(encoding="utf-8")
    )
    definitions = model["definitions"]
    # Breakdown nests itself, which the generator cannot resolve: unrolled.
    breakdown = definitions["Breakdown"]
    for depth in range(2):
        level = copy.deepcopy(breakdown)
        if depth == 0:
            level["properties"].pop("breakdowns", None)
        else:
            level["properties"]["breakdowns"]["items"] = {"$ref": "#/definitions/Breakdown0"}
        definitions[f"Breakdown{depth}"] = level
    schema = json.loads(
        json.dumps(definitions).replace('"#/definitions/Breakdown"', '"#/definitions/Breakdown1"')
    )
    return hypothesis_jsonschema.from_schema(
        {"definitions": schema, "$ref": "#/definitions/GetInvoiceResponse"}
    )


@pytest.fixture(scope="module")
def model_inventory_summaries():
    return model_strategy("fbaInventory.json", "InventorySummary")


def test_any_inventory_summary_amazon_s_model_allows_is_read_or_refused(
    model_inventory_summaries,
):
    @EXAMPLES
    @given(model_inventory_summaries)
    def check(data):
        quantities = read_or_refuse(parse_inventory_summary, data)
        if quantities is not None:
            assert quantities.sku and len(quantities.sku) <= checks.ID_LENGTH
            assert 0 <= quantities.total <= 10**9

    check()


def test_any_fee_invoice_amazon_s_model_allows_is_read_or_refused(model_fee_invoices):
    @EXAMPLES
    @given(model_fee_invoices)
    def check(data):
        invoice = read_or_refuse(
            lambda d: parse_fee_invoice(d.get("invoiceHeader"), d.get("invoiceItems")), data
        )
        if invoice is not None:
            assert invoice.total.is_finite() and abs(invoice.total) < checks.MAX_AMOUNT
            assert invoice.ref and len(invoice.ref) <= checks.ID_LENGTH

    check()


def read_or_refuse(parse, value):
    try:
        return parse(value)
    except PayloadError as error:
        assert str(error)
        return None


def test_any_transaction_amazon_s_model_allows_is_read_or_refused(model_transactions):
    @EXAMPLES
    @given(model_transactions)
    def check(data):
        read_or_refuse(parse_transaction, data)

    check()


@EXAMPLES
@given(JSON)
def test_any_json_is_a_transaction_a_payout_or_refused(data):
    read_or_refuse(parse_transaction, data)
    read_or_refuse(parse_event_group, data)
    read_or_refuse(feed_report_errors, data)
    read_or_refuse(parse_fee_invoice, data)
    read_or_refuse(parse_inventory_summary, data)
    listing = read_or_refuse(parse_listing, data)
    if listing is not None:
        assert_listing_storable(listing)


RETURN_COLUMNS = st.sampled_from(
    [
        "order-id",
        "sku",
        "return-date",
        "quantity",
        "detailed-disposition",
        "license-plate-number",
        "reason",
        "status",
        "Order ID",
        "Merchant SKU",
        "Return request date",
        "Return quantity",
        "Amazon RMA ID",
        "Return Reason",
    ]
)


@EXAMPLES
@given(st.dictionaries(RETURN_COLUMNS, st.text(max_size=300), max_size=14))
def test_any_returns_report_row_is_read_or_refused(row):
    for parse in (parse_fba_return, parse_fbm_return):
        item = read_or_refuse(parse, row)
        if item is not None:
            assert item.quantity > 0 and len(item.order_ref) <= checks.ID_LENGTH
            assert all(ord(char) >= 32 for char in item.order_ref + item.sku + item.reason)


@EXAMPLES
@given(st.text(max_size=500))
def test_any_report_document_is_rows_of_texts(text):
    for row in read_tsv(text):
        assert all(isinstance(key, str) and isinstance(value, str) for key, value in row.items())
