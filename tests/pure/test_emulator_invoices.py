"""UPLOAD_VAT_INVOICE: the seller's own invoices, read as Amazon reads them
(spapi_emulator/invoices.py)."""

import httpx
import pytest
from conftest import (
    DE,
    SELLER_ID,
    UK,
    US,
    error_of,
    feed_document,
)

from spapi_emulator.render import order_total

# --- UPLOAD_VAT_INVOICE: the seller's own invoices, read as Amazon reads them -------------------
PDF = b"%PDF-1.4\n%%EOF\n"


def _vat_invoice(http, options, marketplace=DE, content=PDF, content_type="application/pdf"):
    """(createFeed's response, the feed's processing report or None)."""
    document = feed_document(http, content_type)
    httpx.put(document["url"], content=content, headers={"Content-Type": content_type})
    created = http.post(
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "UPLOAD_VAT_INVOICE",
            "marketplaceIds": [marketplace],
            "inputFeedDocumentId": document["feedDocumentId"],
            "feedOptions": options,
        },
    )
    if created.status_code != 202:
        return created, None
    feed = http.get(f"/feeds/2021-06-30/feeds/{created.json()['feedId']}").json()
    assert feed["processingStatus"] == "DONE"
    info = http.get(f"/feeds/2021-06-30/documents/{feed['resultFeedDocumentId']}").json()
    return created, httpx.get(info["url"]).text


def _mug_order(emulator, marketplace=DE):
    items = [
        {
            "sku": "MUG-01",
            "title": "Mug",
            "quantity": 2,
            "unit_price": "11.90",
            "shipping_price": "4.90",
        }
    ]
    return emulator.store.add_order(SELLER_ID, marketplace, items)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"metadata:InvoiceNumber": None}, "79513\tError\tPlease provide metadata:shippingid"),
        ({"metadata:TotalVATAmount": None}, "79513"),
        ({"metadata:TotalAmount": "28.60"}, "TotalAmount 28.60 does not match the order's total"),
        ({"metadata:TotalAmount": "28.705"}, "amounts with two decimals"),
        ({"metadata:InvoiceNumber": "INV.2026.1"}, "characters that are not allowed"),
        ({"metadata:DocumentType": "Receipt"}, "DocumentType must be Invoice or CreditNote"),
        ({"metadata:DocumentType": "CreditNote"}, "needs the TransactionId"),
        ({"metadata:OrderId": "302-0000000-0000000"}, "is not an order of this seller"),
    ],
)
def test_an_invoice_amazon_cannot_take_is_refused_in_the_report(http, emulator, change, error):
    order = _mug_order(emulator)
    options = {
        "metadata:OrderId": order.order_id,
        "metadata:InvoiceNumber": "INV/2026/00001",
        "metadata:TotalAmount": f"{order_total(order):.2f}",
        "metadata:TotalVATAmount": "4.58",
        "metadata:DocumentType": "Invoice",
    }
    _created, report = _vat_invoice(http, options)
    assert "Number of records successful\t\t1" in report  # the same, unchanged, passes
    options = {k: v for k, v in {**options, **change}.items() if v is not None}
    _created, report = _vat_invoice(http, options)
    assert "Number of records successful\t\t0" in report
    assert error in report
    assert [invoice.accepted for invoice in emulator.store.vat_invoices] == [True, False]
    emulator.reset_calls()


def test_keys_are_read_whatever_their_case_and_the_document_must_be_a_pdf(http, emulator):
    order = _mug_order(emulator)
    options = {
        "metadata:orderid": order.order_id,
        "metadata:invoicenumber": "INV/2026/00001",
        "metadata:totalamount": "28.70",
        "metadata:totalvatamount": "4.58",
    }
    _created, report = _vat_invoice(http, options)
    assert "Number of records successful\t\t1" in report
    _created, report = _vat_invoice(http, options, content=b"<html/>")
    assert "The feed document is not a PDF invoice." in report
    _created, report = _vat_invoice(http, options, content_type="text/plain")
    assert "The feed document is not a PDF invoice." in report
    emulator.reset_calls()


def test_invoices_are_uploaded_in_the_vat_programs_marketplaces_only(http, emulator):
    order = _mug_order(emulator, US)
    options = {"metadata:OrderId": order.order_id}
    created, _report = _vat_invoice(http, options, marketplace=US)
    assert created.status_code == 400
    assert "only in the EU marketplaces" in error_of(created)["details"]
    emulator.store.sellers[SELLER_ID].marketplace_ids.append(UK)
    document = feed_document(http, "application/pdf")
    httpx.put(document["url"], content=PDF, headers={"Content-Type": "application/pdf"})
    created = http.post(
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "UPLOAD_VAT_INVOICE",
            "marketplaceIds": [DE, UK],
            "inputFeedDocumentId": document["feedDocumentId"],
        },
    )
    assert created.status_code == 400
    assert "the one marketplace of the invoiced order" in error_of(created)["details"]
    assert not emulator.store.vat_invoices
    emulator.reset_calls()
