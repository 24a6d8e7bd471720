"""A Buy Shipping purchase about to be sent to Amazon, written and committed
before the call, on a cursor of its own: a label bought by a transaction that
then fails or dies (a crash between Amazon's answer and Odoo's commit) is
bought again with the same request token, rate and idempotency key, which
Amazon answers with the first purchase: never a second label. It is deleted
once the label is recorded and committed; a label records its key, so a
purchase already recorded is never sent again."""

import json
import uuid
from contextlib import contextmanager
from functools import partial

from odoo import api, fields, models, sql_db


class AmazonShippingPurchase(models.Model):
    _name = "amazon.shipping.purchase"
    _description = "Amazon Buy Shipping Purchase in Flight"
    _log_access = False

    # No foreign keys: the row is committed by another cursor than the
    # delivery's, which may not be committed yet (and holds its row locks).
    picking_ref = fields.Integer(required=True, index=True)
    package_ref = fields.Char(required=True)
    request_token = fields.Char(required=True)
    rate_ref = fields.Char(required=True)
    idempotency_key = fields.Char(required=True)
    rate_values = fields.Json()  # what the label records of the rate

    @api.model
    @contextmanager
    def _committed_cursor(self):
        """A cursor outside the delivery's transaction, committed on exit
        (tests patch it to stay in theirs)."""
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            yield cr

    @api.model
    def _pending(self, picking, package_ref):
        """(request token, rate, idempotency key, rate values) of a purchase of
        this parcel sent before and never recorded, or None."""
        with self._committed_cursor() as cr:
            cr.execute(
                "SELECT request_token, rate_ref, idempotency_key, rate_values "
                "FROM amazon_shipping_purchase WHERE picking_ref = %s AND package_ref = %s "
                "ORDER BY id DESC LIMIT 1",
                [picking.id, package_ref],
            )
            return cr.fetchone()

    @api.model
    def _intend(self, picking, package_ref, request_token, rate_ref, rate_values):
        """Record the purchase before sending it; returns its idempotency key."""
        key = f"{picking.id}-{package_ref}-{uuid.uuid4()}"
        with self._committed_cursor() as cr:
            cr.execute(
                "INSERT INTO amazon_shipping_purchase (picking_ref, package_ref, request_token, "
                "rate_ref, idempotency_key, rate_values) VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    picking.id,
                    package_ref,
                    request_token,
                    rate_ref,
                    key,
                    json.dumps(rate_values),
                ],
            )
        return key

    @api.model
    def _forget(self, picking, package_ref, committed=False):
        """The purchase is recorded: forgotten once the delivery's transaction
        commits (rolled back, it is sent again). Amazon refused it
        (``committed``): forgotten at once."""
        if committed:
            self._delete(picking.id, package_ref)
        else:
            self.env.cr.postcommit.add(partial(self._delete, picking.id, package_ref))

    def _delete(self, picking_ref, package_ref):
        with self._committed_cursor() as cr:
            cr.execute(
                "DELETE FROM amazon_shipping_purchase WHERE picking_ref = %s AND package_ref = %s",
                [picking_ref, package_ref],
            )

    @api.autovacuum
    def _gc_recorded(self):
        """Purchases whose label is recorded, left by a process that died
        between its commit and forgetting them: done. (A purchase never
        recorded stays: the delivery's next validation sends it again.)"""
        self.env.cr.execute(
            "DELETE FROM amazon_shipping_purchase p USING amazon_shipping_label l "
            "WHERE l.purchase_key = p.idempotency_key"
        )
