"""Feed documents and feeds (spapi_emulator/feeds.py)."""

from datetime import timedelta

import httpx
import pytest
from conftest import (
    US,
    error_of,
    feed_document,
)

from spapi_emulator import StoreError


# --- feeds: documents, final statuses ----------------------------------------------------------
def test_a_document_is_uploaded_with_its_content_type_within_five_minutes(http, emulator):
    document = feed_document(http)
    upload = httpx.put(document["url"], content=b"{}", headers={"Content-Type": "text/plain"})
    assert upload.status_code == 403
    assert error_of(upload)["code"] == "SignatureDoesNotMatch"
    stored = emulator.store.documents[document["feedDocumentId"]]
    stored.created_time -= timedelta(minutes=5, seconds=1)
    upload = httpx.put(
        document["url"], content=b"{}", headers={"Content-Type": "application/json; charset=UTF-8"}
    )
    assert upload.status_code == 403
    assert stored.content is None
    emulator.reset_calls()  # deliberately invalid documents, not for the conformance check


def test_a_document_that_is_not_a_listings_feed_ends_fatal_for_good(http, emulator):
    document = feed_document(http)
    httpx.put(
        document["url"],
        content=b'{"messages": []}',  # no header
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    feed_id = http.post(
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "JSON_LISTINGS_FEED",
            "marketplaceIds": [US],
            "inputFeedDocumentId": document["feedDocumentId"],
        },
    ).json()["feedId"]
    for _attempt in range(2):
        feed = http.get(f"/feeds/2021-06-30/feeds/{feed_id}").json()
        assert feed["processingStatus"] == "FATAL"
    info = http.get(f"/feeds/2021-06-30/documents/{feed['resultFeedDocumentId']}").json()
    report = httpx.get(info["url"]).json()
    assert report["issues"][0]["severity"] == "ERROR"
    with pytest.raises(StoreError):
        emulator.store.cancel_feed(feed_id)  # only IN_QUEUE feeds can be cancelled
    emulator.reset_calls()  # a deliberately invalid document
