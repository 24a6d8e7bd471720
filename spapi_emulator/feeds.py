"""Feeds API 2021-06-30: feed documents, feeds, and their processing; the
pre-signed document URLs (S3 on Amazon) that feeds and reports share."""

import gzip
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from . import invoices as vat_invoices
from . import order_feeds
from .common import (
    DOCUMENT_URL_LIFETIME,
    Api,
    ApiError,
    StoreError,
    invalid,
    isoformat,
    processing_times,
    route,
    utcnow,
)
from .listings import apply_patches, issue

FEED_TYPES = ("JSON_LISTINGS_FEED", vat_invoices.FEED_TYPE, order_feeds.FEED_TYPE)


# --- JSON_LISTINGS_FEED: each message a patch, as patchListingsItem's -----------
def process_listings_feed(store, feed, content):
    """Process a JSON_LISTINGS_FEED document: (processing report, final status).
    A document that is not a listings feed aborts it: FATAL ("The feed was
    aborted due to a fatal error", Feed.processingStatus), with a report that
    says why."""
    try:
        document = json.loads(content)
        messages = document["messages"]
        header = document["header"]
        if header.get("sellerId") != feed.seller_id or header.get("version") != "2.0":
            raise ValueError("header")
    except (ValueError, KeyError, TypeError):
        return _fatal_report(feed), "FATAL"
    return _report(store, feed, messages), "DONE"


def _fatal_report(feed):
    return {
        "header": {
            "sellerId": feed.seller_id,
            "version": "2.0",
            "feedId": feed.feed_id,
        },
        "issues": [
            {
                "code": "100001",
                "severity": "ERROR",
                "message": "The feed document is not a valid JSON_LISTINGS_FEED "
                "(version 2.0 header and messages are required).",
            }
        ],
        "summary": {
            "errors": 1,
            "warnings": 0,
            "messagesProcessed": 0,
            "messagesAccepted": 0,
            "messagesInvalid": 0,
        },
    }


def _report(store, feed, messages):
    report_issues = []
    accepted = invalid = processed = 0
    for message in messages:
        processed += 1
        message_id = message.get("messageId")
        sku = message.get("sku")
        operation = message.get("operationType")
        listing = store.get_listing(feed.seller_id, sku) if sku else None
        if listing is None:
            problems = [
                issue(
                    "18000",
                    f"The SKU '{sku}' does not match any listing of this seller.",
                )
            ]
        elif operation == "PATCH":
            problems = apply_patches(listing, feed.marketplace_ids, message.get("patches"))
        elif operation == "PARTIAL_UPDATE":
            patches = [
                {"op": "merge", "path": f"/attributes/{name}", "value": value}
                for name, value in (message.get("attributes") or {}).items()
            ]
            problems = apply_patches(listing, feed.marketplace_ids, patches)
        elif operation == "DELETE":
            # The feed's marketplaces' offers go; the SKU goes with its last one.
            for marketplace_id in feed.marketplace_ids:
                listing.offers.pop(marketplace_id, None)
            if not listing.offers:
                del store.listings[(feed.seller_id, sku)]
            problems = []
        else:
            problems = [issue("4000001", f"Unsupported operationType {operation!r}.")]
        for problem in problems:
            row = {
                "messageId": message_id,
                "sku": sku,
                "code": problem["code"],
                "severity": problem["severity"],
                "message": problem["message"],
            }
            if problem.get("attributeNames"):
                row["attributeName"] = problem["attributeNames"][0]
            report_issues.append(row)
        if problems:
            invalid += 1
        else:
            accepted += 1
    return {
        "header": {
            "sellerId": feed.seller_id,
            "version": "2.0",
            "feedId": feed.feed_id,
        },
        "issues": report_issues,
        "summary": {
            "errors": sum(1 for i in report_issues if i["severity"] == "ERROR"),
            "warnings": sum(1 for i in report_issues if i["severity"] == "WARNING"),
            "messagesProcessed": processed,
            "messagesAccepted": accepted,
            "messagesInvalid": invalid,
        },
    }


@dataclass
class Document:
    document_id: str
    content_type: str
    content: bytes | None = None
    created_time: datetime = field(default_factory=utcnow)


@dataclass
class Feed:
    feed_id: str
    seller_id: str
    feed_type: str
    marketplace_ids: list
    input_document_id: str
    created_time: datetime
    status: str = "IN_QUEUE"
    processing_start: datetime | None = None
    processing_end: datetime | None = None
    result_document_id: str | None = None
    options: dict = field(default_factory=dict)  # feedOptions


class FeedsStore:
    """The documents and feeds."""

    def __init__(self):
        super().__init__()
        self.documents = {}
        self.feeds = {}
        self.feed_processing_delay = 0.0  # seconds before a feed is processed
        self._feed_seq = 0
        self.vat_invoices = []  # UPLOAD_VAT_INVOICE: invoices.VatInvoice

    # --- feeds and documents ---------------------------------------------------
    def create_document(self, content_type, content=None):
        with self.lock:
            document = Document(str(uuid.uuid4()), content_type, content)
            self.documents[document.document_id] = document
            return document

    def cancel_feed(self, feed_id):
        """As the seller may (cancelFeed): "Only feeds with `processingStatus=IN_QUEUE`
        can be cancelled." """
        with self.lock:
            feed = self.feeds[feed_id]
            if feed.status != "IN_QUEUE":
                raise StoreError(f"feed {feed_id} is {feed.status}: only IN_QUEUE can be cancelled")
            feed.status = "CANCELLED"
            return feed

    def create_feed(self, seller_id, feed_type, marketplace_ids, document_id, options=None):
        with self.lock:
            self._feed_seq += 1
            feed = Feed(
                feed_id=str(50000 + self._feed_seq),
                seller_id=seller_id,
                feed_type=feed_type,
                marketplace_ids=list(marketplace_ids),
                input_document_id=document_id,
                created_time=utcnow(),
                options=dict(options or {}),
            )
            self.feeds[feed.feed_id] = feed
            return feed


class FeedsApi(Api):
    """Feed documents and feeds (Feeds API 2021-06-30), and the documents' URLs."""

    routes = [
        route("POST", "/feeds/2021-06-30/documents", "createFeedDocument", "create_document"),
        route(
            "GET",
            "/feeds/2021-06-30/documents/(?P<document_id>[^/]+)",
            "getFeedDocument",
            "get_document",
        ),
        route("POST", "/feeds/2021-06-30/feeds", "createFeed", "create_feed"),
        route("GET", "/feeds/2021-06-30/feeds/(?P<feed_id>[^/]+)", "getFeed", "get_feed"),
        # Pre-signed document URLs (S3 on Amazon): no SP-API token, no usage plan.
        route(
            "PUT",
            "/_documents/(?P<document_id>[^/]+)",
            "uploadFeedDocument",
            "upload_document",
            False,
        ),
        route(
            "GET",
            "/_documents/(?P<document_id>[^/]+)",
            "downloadDocument",
            "download_document",
            False,
        ),
    ]

    def op_create_document(self, call, params, body):
        if not isinstance(body, dict) or not body.get("contentType"):
            raise invalid("contentType is required.")
        document = self.emulator.store.create_document(body["contentType"])
        return 201, {
            "feedDocumentId": document.document_id,
            "url": f"{self.emulator.url}/_documents/{document.document_id}",
        }

    def op_upload_document(self, call, params, body, document_id):
        document = self.emulator.store.documents.get(document_id)
        if document is None:
            raise ApiError(404, "NoSuchKey", "The specified key does not exist.")
        # CreateFeedDocumentResponse.url: "The presigned URL for uploading the feed
        # contents. This URL expires after 5 minutes."
        if utcnow() - document.created_time > DOCUMENT_URL_LIFETIME:
            raise ApiError(403, "AccessDenied", "Request has expired")
        # The URL is signed for the contentType given to createFeedDocument: the
        # upload must send that same Content-Type (Feeds API use case guide, step 2).
        if (self.headers.get("Content-Type") or "") != document.content_type:
            raise ApiError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                f"Content-Type must be {document.content_type!r}.",
            )
        document.content = body
        return 200, b""

    def op_download_document(self, call, params, body, document_id):
        document = self.emulator.store.documents.get(document_id)
        # ReportDocument.url: "A presigned URL for the report document. [...] This
        # URL expires after 5 minutes."
        expires = params.get("expires")
        if expires and time.time() > float(expires):
            raise ApiError(403, "AccessDenied", "Request has expired.")
        if document is None or document.content is None:
            raise ApiError(404, "NoSuchKey", "The specified key does not exist.")
        return 200, document.content

    def op_create_feed(self, call, params, body):
        store = self.emulator.store
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        if body.get("feedType") not in FEED_TYPES:
            raise invalid(f"Unsupported feedType {body.get('feedType')!r}.")
        marketplace_ids = body.get("marketplaceIds") or []
        self._marketplace_ids(call, {"marketplaceIds": ",".join(marketplace_ids)})
        document = store.documents.get(body.get("inputFeedDocumentId") or "")
        if document is None or document.content is None:
            raise invalid("inputFeedDocumentId does not name an uploaded document.")
        options = body.get("feedOptions") or {}
        if body["feedType"] == vat_invoices.FEED_TYPE:
            refused = vat_invoices.check_create_feed(marketplace_ids, options)
            if refused:
                raise invalid(refused)
        feed = store.create_feed(
            call.seller_id, body["feedType"], marketplace_ids, document.document_id, options
        )
        return 202, {"feedId": feed.feed_id}

    def op_get_feed(self, call, params, body, feed_id):
        store = self.emulator.store
        feed = store.feeds.get(feed_id)
        if feed is None or feed.seller_id != call.seller_id:
            raise ApiError(404, "NotFound", f"Feed {feed_id} not found.")
        self.emulator.process_feed(feed)
        data = {
            "feedId": feed.feed_id,
            "feedType": feed.feed_type,
            "marketplaceIds": feed.marketplace_ids,
            "createdTime": isoformat(feed.created_time),
            "processingStatus": feed.status,
        }
        data.update(processing_times(feed))
        if feed.result_document_id:
            data["resultFeedDocumentId"] = feed.result_document_id
        return 200, data

    def op_get_document(self, call, params, body, document_id):
        document = self.emulator.store.documents.get(document_id)
        if document is None:
            raise ApiError(404, "NotFound", f"Document {document_id} not found.")
        data = {
            "feedDocumentId": document.document_id,
            "url": f"{self.emulator.url}/_documents/{document.document_id}",
        }
        if document.content and document.content[:2] == b"\x1f\x8b":
            data["compressionAlgorithm"] = "GZIP"
        return 200, data


def process_feed(store, feed):
    """Amazon processes feeds in the background; the emulator does it when
    the feed is next looked at, once ``store.feed_processing_delay`` passed."""
    with store.lock:
        if feed.status != "IN_QUEUE":
            return
        age = (utcnow() - feed.created_time).total_seconds()
        if age < store.feed_processing_delay:
            return
        feed.processing_start = utcnow()
        document = store.documents[feed.input_document_id]
        content = document.content or b""
        if content[:2] == b"\x1f\x8b":
            content = gzip.decompress(content)
        if feed.feed_type == vat_invoices.FEED_TYPE:
            text, status = vat_invoices.process_vat_invoice_feed(
                store, feed, document.content_type, content, feed.options
            )
            result = store.create_document("text/plain", text)
        elif feed.feed_type == order_feeds.FEED_TYPE:
            text, status = order_feeds.process_order_cancellation_feed(store, feed, content)
            result = store.create_document("text/plain", text)
        else:
            report, status = process_listings_feed(store, feed, content)
            result = store.create_document("application/json", json.dumps(report).encode())
        feed.result_document_id = result.document_id
        feed.processing_end = utcnow()
        # DONE, FATAL and CANCELLED are final: a feed never leaves them.
        feed.status = status
    store.feed_finished(feed)
