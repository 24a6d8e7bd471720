"""The Reports API (spapi_emulator/reports.py)."""

import gzip
import json
import time
from datetime import datetime, timedelta, timezone

import httpx
from conftest import (
    CLIENT_ID,
    DE,
    SELLER_ID,
    access_token,
    ago,
    error_of,
    iso,
)


def test_reports_follow_the_model(http, emulator):
    """What createReport, getReport and getReportDocument refuse, as the
    Reports API model says, and the states a report goes through."""
    store = emulator.store
    store.add_return(SELLER_ID, DE, "302-1", "MUG", 1, fulfilled_by="AMAZON")
    path = "/reports/2021-06-30/reports"
    base = {"reportType": "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA", "marketplaceIds": [DE]}
    future = iso(datetime.now(timezone.utc) + timedelta(hours=1))
    refused = [
        ({k: v for k, v in base.items() if k != "marketplaceIds"}, "marketplaceIds"),
        ({**base, "marketplaceIds": []}, "marketplaceIds"),  # minItems 1
        ({**base, "dataEndTime": future}, "prior to or equal to the current"),
        ({**base, "dataStartTime": ago(days=1), "dataEndTime": ago(days=2)}, "dataStartTime"),
        ({**base, "reportType": "GET_NO_SUCH_REPORT"}, "GET_NO_SUCH_REPORT"),
    ]
    for body, word in refused:
        response = http.post(path, json=body)
        assert response.status_code == 400, body
        assert word in json.dumps(error_of(response)), (body, error_of(response))
    created = http.post(path, json={**base, "dataStartTime": ago(days=2)})
    assert created.status_code == 202
    report_id = created.json()["reportId"]
    states = [http.get(f"{path}/{report_id}").json()["processingStatus"] for _ in range(3)]
    assert states == ["IN_PROGRESS", "DONE", "DONE"]
    report = http.get(f"{path}/{report_id}").json()
    document = http.get(f"/reports/2021-06-30/documents/{report['reportDocumentId']}").json()
    assert document["compressionAlgorithm"] == "GZIP"
    content = gzip.decompress(httpx.get(document["url"]).content).decode()
    header, row = content.splitlines()
    assert header.split("\t")[:3] == ["return-date", "order-id", "sku"]
    assert row.split("\t")[1:3] == ["302-1", "MUG"]
    # "This URL expires after 5 minutes."
    stale = document["url"].rsplit("=", 1)[0] + f"={time.time() - 1:.0f}"
    assert httpx.get(stale).status_code == 403
    # A report id is "unique only in combination with a seller ID".
    store.add_seller("AOTHERSELLER", [DE], client_id=CLIENT_ID, refresh_token="Atzr|other-seller")
    other = httpx.Client(
        base_url=emulator.url,
        headers={
            "x-amz-access-token": access_token(emulator.url, refresh_token="Atzr|other-seller")
        },
    )
    assert other.get(f"{path}/{report_id}").status_code == 404
    assert (
        other.get(f"/reports/2021-06-30/documents/{report['reportDocumentId']}").status_code == 404
    )
    # Nothing to report: "an automatic cancellation if there is no data to return".
    empty = http.post(path, json={**base, "dataStartTime": ago(days=9), "dataEndTime": ago(days=8)})
    report_id = empty.json()["reportId"]
    states = [http.get(f"{path}/{report_id}").json() for _ in range(2)]
    assert [s["processingStatus"] for s in states] == ["IN_PROGRESS", "CANCELLED"]
    assert "reportDocumentId" not in states[-1]


REPORTS = "/reports/2021-06-30/reports"


def _returns_report_from(http, start):
    """The id of a returns report whose data start at ``start`` (accepted)."""
    body = {
        "reportType": "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA",
        "marketplaceIds": [DE],
        "dataStartTime": start,
    }
    created = http.post(REPORTS, json=body)
    assert created.status_code == 202
    return created.json()["reportId"]


def test_a_date_before_year_1000_keeps_its_four_digits(http):
    """RFC 3339's date-time has a four-digit year: a report whose data start in
    year 135 answers "0135-...", a valid date-time (strftime printed "135-...")."""
    report = http.get(f"{REPORTS}/{_returns_report_from(http, '0135-03-19T20:18:13Z')}")
    assert report.status_code == 200
    # (the emulator fixture checks every answer against Amazon's model)
    assert report.json()["dataStartTime"] == "0135-03-19T20:18:13Z"


def test_an_unexpected_error_is_a_500_in_amazons_shape_and_a_log_line(http, caplog):
    """A start in year 1 an hour east of UTC is year 0 in UTC, which Python
    cannot hold: getReport's OverflowError used to close the connection
    without an answer. Now it is Amazon's answer to its own failures, the
    trace is in the emulator's log, and the next request is served."""
    report_id = _returns_report_from(http, "0001-01-01T00:00:00+01:00")
    with caplog.at_level("ERROR", logger="spapi_emulator"):
        failed = http.get(f"{REPORTS}/{report_id}")
    assert failed.status_code == 500
    assert error_of(failed)["code"] == "InternalFailure"
    assert "OverflowError" in caplog.text
    assert "getReport" in caplog.text
    assert http.get("/sellers/v1/marketplaceParticipations").status_code == 200
