"""The files one FBM order runs through, from the cron to its confirmed sale
order, are the ones docs/development.md lists (issue #34): a step added
elsewhere is a decision, taken in that table too."""

import os
import re
import sys

from odoo.tests import tagged

from .test_orders import DE, OrderSyncCase

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
DOC = os.path.join(ROOT, "docs", "development.md")
SECTION = "### One FBM order, from the cron to its confirmed sale order"


def documented_path():
    """The files named in the section's table, in models/, mapping/ and spapi/."""
    with open(DOC, encoding="utf-8") as doc:
        text = doc.read()
    section = text[text.index(SECTION) :].split("\n#", 1)[0]
    return set(re.findall(r"`((?:models|mapping|spapi)/[a-z_]+\.py)`", section))


@tagged("post_install", "-at_install")
class TestOrderPath(OrderSyncCase):
    def test_an_fbm_order_runs_through_the_documented_files(self):
        # The path of one order as Amazon serves it at once: buckets the other
        # tests spent would add the rate-limit wait's path (spapi/errors.py),
        # as it did in CI once the process-kill tests stopped spacing them.
        self.forget_rate_limits()
        amazon = self.add_order(DE)
        crossed = set()

        def profile(frame, event, _arg):
            # Calls in this thread only: the emulator answers in its own.
            if event == "call":
                path = os.path.relpath(os.path.realpath(frame.f_code.co_filename), ROOT)
                if path.split("/", 1)[0] in ("models", "mapping", "spapi"):
                    crossed.add(path)

        cron = self.env.ref("sale_amazon_connector.ir_cron_amazon_sync_orders")
        sys.setprofile(profile)
        try:
            cron.method_direct_trigger()
        finally:
            sys.setprofile(None)
        self.assertEqual(self.sale_of(amazon).state, "sale")
        self.assertEqual(crossed, documented_path())
