"""Take the README's screenshots from the running demo (scripts/run.sh).

    python3 scripts/screenshots.py [--url http://localhost:8069] [--db amazon_demo]
                                   [--out static/description]

Logs in as admin through Odoo's JSON-RPC, then drives a headless Chromium
through the DevTools protocol (the same way Odoo's own browser tests do):
each page is opened, waited for, and captured as a PNG. Needs Debian's
``chromium`` and the ``websocket-client`` and ``requests`` packages (both
come with Odoo).
"""

import argparse
import base64
import itertools
import json
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import requests
import websocket

# (file name, path under the web client, JavaScript true once the page is ready)
PAGES = [
    (
        "screenshot_dashboard.png",
        "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
        "!!document.querySelector('.o_kanban_record a[name=action_view_to_ship]')",
    ),
    (
        # The dashboard's "Sales, 30 days": the account's orders by day and marketplace.
        "screenshot_sales_graph.png",
        "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
        "(a => (a && !window.sacClicked && (window.sacClicked = true, a.click()),"
        " !!document.querySelector('.o_graph_renderer canvas')))"
        "(document.querySelector('.o_kanban_record a[name=action_view_sales_graph]'))",
    ),
    (
        "screenshot_deliveries.png",
        "/odoo/action-sale_amazon_connector.amazon_picking_action",
        "!!document.querySelector('.o_list_view .o_data_row')",
    ),
    (
        "screenshot_order.png",
        "/odoo/action-sale_amazon_connector.amazon_sale_order_action/{order_id}",
        "!!document.querySelector('.o_form_view .o_field_widget[name=order_line] .o_data_row')",
    ),
    (
        "screenshot_offer.png",
        "/odoo/action-sale_amazon_connector.amazon_offer_action/{offer_id}",
        "!!document.querySelector('.o_field_widget[name=listing_ids] .o_data_row')",
    ),
    (
        "screenshot_settings.png",
        "/odoo/action-sale.action_sale_config_settings",
        "(e => !!e && (e.scrollIntoView({block: 'center'}), true))"
        "(document.querySelector('[name=amazon_stock_allocation]'))",
    ),
]


class Odoo:
    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self._ids = itertools.count(1)
        self.call("/web/session/authenticate", db=db, login=login, password=password)

    def call(self, path, **params):
        response = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "id": next(self._ids), "params": params},
            timeout=60,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            raise RuntimeError(body["error"].get("data", {}).get("message") or body["error"])
        return body["result"]

    def search(self, model, domain, order):
        return self.call(
            "/web/dataset/call_kw",
            model=model,
            method="search",
            args=[domain],
            kwargs={"limit": 1, "order": order},
        )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Chromium:
    """A headless Chromium spoken to over the DevTools protocol."""

    def __init__(self):
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if not binary:
            raise SystemExit("Chromium is needed: apt-get install chromium")
        self.profile = tempfile.mkdtemp(prefix="sac-shots-")
        port = free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1366,768",
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={port}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/json", timeout=1).json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except (requests.RequestException, StopIteration):
                time.sleep(0.2)
        else:
            raise SystemExit("Chromium did not start")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self._ids = itertools.count(1)

    def send(self, method, **params):
        request_id = next(self._ids)
        self.ws.send(json.dumps({"id": request_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == request_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def capture(self, url, ready, path, timeout=60):
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while not self.evaluate(ready):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} was not ready within {timeout}s")
            time.sleep(0.5)
        time.sleep(1.5)  # animations and late renders settle
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="amazon_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument(
        "--out", default=str(pathlib.Path(__file__).parent.parent / "static/description")
    )
    args = parser.parse_args()
    odoo = Odoo(args.url, args.db, args.login, args.password)
    # The demo's busiest FBM order still to ship, and the offer sold the most.
    order = odoo.search(
        "sale.order",
        [("amazon_channel", "=", "fbm"), ("state", "=", "sale"), ("amazon_order_ref", "!=", False)],
        "amount_total desc",
    )
    offer = odoo.search("amazon.offer", [("needs_review", "=", False)], "id")
    ids = {"order_id": order[0] if order else 0, "offer_id": offer[0] if offer else 0}
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    browser = Chromium()
    try:
        browser.send("Network.enable")
        host = args.url.split("://", 1)[1].split("/", 1)[0].split(":")[0]
        browser.send(
            "Network.setCookie",
            name="session_id",
            value=odoo.session.cookies["session_id"],
            domain=host,
            path="/",
        )
        for name, path, ready in PAGES:
            browser.capture(args.url.rstrip("/") + path.format(**ids), ready, out / name)
            print(f"{out / name}")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
