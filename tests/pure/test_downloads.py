"""Documents are fetched and sent only where Amazon keeps them, read with a
byte cap, decompressed with a cap, under an overall deadline (issue #33): a
hostile or broken server can neither reach an internal address through the
connector nor exhaust an Odoo worker's memory or time."""

import http.server
import os
import socketserver
import threading
import time
import tracemalloc
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from conftest import DE, SELLER_ID

from mapping.returns import FBA_RETURNS_REPORT
from spapi import Endpoint, SpApiDocumentError, SpApiRequestError
from spapi_emulator.server import FOREIGN_DOCUMENT_URL

MIB = 1024 * 1024


def gzip_of_zeros(size):
    """A gzip member of ``size`` zero bytes, made a MiB at a time (about a
    thousandth of its size: the classic decompression bomb)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(MIB)
    parts = [packer.compress(chunk) for _ in range(size // MIB)]
    return b"".join([*parts, packer.flush()])


def done_report(adapter, emulator):
    """A DONE FBA returns report on the emulator: (report id, its document)."""
    emulator.store.add_return(SELLER_ID, DE, "302-1", "MUG", 2, fulfilled_by="AMAZON")
    now = datetime.now(timezone.utc)
    report_id = adapter.create_report(FBA_RETURNS_REPORT, [DE], now - timedelta(days=1), now)
    while adapter.get_report(report_id)["processingStatus"] != "DONE":
        pass
    report = emulator.store.reports[report_id]
    return report_id, emulator.store.documents[report.document_id]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://tortuga-prod-na.s3-external-1.amazonaws.com/doc?X-Amz-Signature=1", True),
        ("https://d34o8swod1owfl.cloudfront.net/Report_47700__GET_MERCHANT_LISTINGS_.txt", True),
        ("http://tortuga-prod-na.s3-external-1.amazonaws.com/doc", False),  # not HTTPS
        ("https://169.254.169.254/latest/meta-data/", False),
        ("https://amazonaws.com.evil.example/doc", False),
        ("https://evil.cloudfront.net/doc", False),
        ("https://localhost/doc", False),
        ("file:///etc/passwd", False),
        ("", False),
    ],
)
def test_amazon_endpoints_take_documents_from_amazons_hosts_only(url, allowed):
    for endpoint in (Endpoint.production("eu"), Endpoint.sandbox("na")):
        if allowed:
            endpoint.check_document_url(url)
        else:
            with pytest.raises(ValueError):
                endpoint.check_document_url(url)


def test_a_custom_endpoint_takes_documents_from_its_own_server_only():
    endpoint = Endpoint.custom("http://127.0.0.1:8079")
    endpoint.check_document_url("http://127.0.0.1:8079/_documents/1")
    for url in (
        "http://127.0.0.1:5432/",  # another service of the machine
        "https://127.0.0.1:8079/_documents/1",
        "http://127.0.0.2:8079/_documents/1",
        "https://tortuga-prod-na.s3-external-1.amazonaws.com/doc",
        "http://127.0.0.1:notaport/",
    ):
        with pytest.raises(ValueError):
            endpoint.check_document_url(url)


def test_a_report_document_elsewhere_is_never_fetched(adapter, emulator):
    report_id, _document = done_report(adapter, emulator)
    emulator.faults.add("getReportDocument", "foreign_url")
    with pytest.raises(SpApiDocumentError) as refused:
        adapter.read_report(report_id)
    assert "document URL refused" in str(refused.value)
    assert "169.254.169.254" in str(refused.value)
    assert adapter.stats.calls["downloadReportDocument"] == 0
    (answer,) = emulator.calls_for("getReportDocument")
    assert answer.response["url"] == FOREIGN_DOCUMENT_URL


def test_a_feed_document_is_never_uploaded_elsewhere(adapter, emulator):
    """The invoice PDF or the listings feed holds the seller's data: it goes
    to Amazon's storage or nowhere."""
    emulator.faults.add("createFeedDocument", "foreign_url")
    with pytest.raises(SpApiDocumentError):
        adapter.submit_vat_invoice(DE, b"%PDF-1.4 invoice", {"metadata:orderid": "302-1"})
    assert adapter.stats.calls["uploadFeedDocument"] == 0
    assert not emulator.calls_for("createFeed")


def test_a_decompression_bomb_is_refused_within_the_cap(adapter, emulator):
    """400 MiB of zeros in a 400 KB gzip (the review's bomb, 1 GiB, took a
    worker to 2.3 GB): refused once the default cap of decompressed bytes is
    passed, with memory never far above that cap."""
    report_id, document = done_report(adapter, emulator)
    document.content = gzip_of_zeros(400 * MIB)
    assert len(document.content) < MIB
    tracemalloc.start()
    try:
        with pytest.raises(SpApiDocumentError) as refused:
            adapter.read_report(report_id)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "once decompressed" in str(refused.value)
    # The cap, a bytearray's growth margin and a MiB of inflating: not 2.3 GB.
    assert peak < adapter.max_document_size * 1.25, f"peak {peak / MIB:.0f} MiB"


def test_decompression_cap_and_broken_gzip(make_adapter, emulator):
    adapter = make_adapter(max_document_size=MIB)
    report_id, document = done_report(adapter, emulator)
    text = adapter.read_report(report_id)[1]
    assert "302-1" in text  # a real report passes
    document.content = gzip_of_zeros(2 * MIB)
    with pytest.raises(SpApiDocumentError, match="once decompressed"):
        adapter.read_report(report_id)
    document.content = gzip_of_zeros(MIB)[:-20]  # cut short
    with pytest.raises(SpApiDocumentError, match="ends early"):
        adapter.read_report(report_id)
    document.content = b"\x1f\x8bnot gzip at all"
    with pytest.raises(SpApiDocumentError, match="not valid gzip"):
        adapter.read_report(report_id)


def test_downloaded_bytes_are_capped(make_adapter, emulator):
    adapter = make_adapter(max_document_bytes=1000)
    report_id, document = done_report(adapter, emulator)
    document.content = os.urandom(10_000)  # more than the cap, whatever it holds
    with pytest.raises(SpApiDocumentError, match="more than 1000"):
        adapter.read_report(report_id)


class _Hostile(http.server.BaseHTTPRequestHandler):
    """A document server that trickles its body without end, or redirects."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for _ in range(200):  # bounded: 20 s at most, the client leaves first
                self.wfile.write(b"1\r\nx\r\n")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass


class _QuietServer(socketserver.ThreadingTCPServer):
    # The client leaves mid-body on purpose: that broken pipe is no news.
    def handle_error(self, request, client_address):
        pass


@pytest.fixture
def hostile_server():
    server = _QuietServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_trickling_document_is_cut_at_the_deadline(make_adapter, hostile_server):
    """Each read comes within the timeout, the whole never does: the overall
    deadline stops it."""
    adapter = make_adapter(endpoint=Endpoint.custom(hostile_server), document_timeout=0.5)
    began = time.monotonic()
    with pytest.raises(SpApiDocumentError, match="not read within"):
        adapter._transfer("downloadReportDocument", "GET", f"{hostile_server}/doc")
    assert time.monotonic() - began < 5


def test_a_redirect_is_not_followed(make_adapter, hostile_server):
    adapter = make_adapter(endpoint=Endpoint.custom(hostile_server))
    with pytest.raises(SpApiRequestError) as refused:
        adapter._transfer("downloadReportDocument", "GET", f"{hostile_server}/redirect")
    assert refused.value.status == 302
