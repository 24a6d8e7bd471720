import logging
from collections import defaultdict

import psycopg2
from markupsafe import Markup

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.modules.registry import Registry

from ..mapping.shipments import package_detail
from ..spapi import SpApiError, SpApiRequestError
from .amazon_shipment_export import SEND_LIMIT

_logger = logging.getLogger(__name__)


class StockPicking(models.Model):
    _inherit = "stock.picking"

    amazon_sync_state = fields.Selection(
        [("to_send", "To Send"), ("sent", "Sent"), ("failed", "Failed")],
        string="Amazon Status",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The shipment confirmation of this delivery to Amazon.",
    )
    amazon_sync_error = fields.Text(string="Amazon Error", copy=False, readonly=True)
    amazon_sync_date = fields.Datetime(string="Confirmed to Amazon", copy=False, readonly=True)
    # Packers need it, salesmen don't: the order's, read as the system.
    amazon_gift_message = fields.Text(
        related="sale_id.amazon_gift_message",
        string="Gift Message",
        groups="sales_team.group_sale_manager,stock.group_stock_user",
    )
    amazon_account_id = fields.Many2one(
        related="sale_id.amazon_account_id", string="Amazon Account"
    )
    # Stored: the warehouse filters and the dashboard count by it.
    amazon_ship_by_date = fields.Datetime(
        related="sale_id.amazon_ship_by_date", string="Amazon Ship By", store=True
    )

    @api.model_create_multi
    def create(self, vals_list):
        pickings = super().create(vals_list)
        # Deliveries Amazon ships from the FBA stock (stock_picking_mcf.py).
        mcf = pickings.filtered(
            lambda p: (
                p.amazon_mcf_account_id
                and not p.amazon_mcf_state
                and not p.backorder_id
                and p.picking_type_code == "outgoing"
            )
        )
        if mcf:
            mcf._amazon_mcf_mark_new()
        return pickings

    # --- which deliveries Amazon hears of ------------------------------------------------
    def _amazon_needs_confirmation(self):
        """Outgoing deliveries of merchant-fulfilled Amazon orders (never returns,
        never FBA orders, which have no delivery)."""
        self.ensure_one()
        if self.picking_type_code != "outgoing":
            return False
        # Read as the system: a stock user who may not read the sale order still
        # validates deliveries, Amazon's or not.
        sale = self.sudo().sale_id
        return sale.amazon_channel == "fbm" and bool(sale.amazon_order_ref)

    def message_post_with_source(self, source_ref, *args, **kwargs):
        # The delivery confirmation Odoo mails on validation (Settings: Email
        # Confirmation) never goes to an Amazon buyer.
        if (
            self.env.context.get("amazon_no_buyer_mail")
            and len(self) == 1
            and self._amazon_buyer_delivery()
            and isinstance(source_ref, models.BaseModel)  # also called with xmlids
            and source_ref == self.company_id.stock_mail_confirmation_template_id
        ):
            return self.env["mail.message"]
        return super().message_post_with_source(source_ref, *args, **kwargs)

    def _amazon_check_tracking(self):
        for picking in self:
            if not picking._amazon_needs_confirmation() or picking.carrier_tracking_ref:
                continue
            carrier = picking.carrier_id
            if carrier and (
                carrier._amazon_provides_tracking()
                or carrier.amazon_carrier_code == "Self Delivery"
            ):
                continue
            raise UserError(
                _(
                    "Amazon needs a tracking number to confirm the shipment of order "
                    "%(order)s: fill in the Tracking Reference of %(picking)s (Additional "
                    "Info tab) before validating it, or choose a carrier that provides one.",
                    order=picking.sudo().sale_id.amazon_order_ref,
                    picking=picking.name,
                )
            )

    def _amazon_buyer_delivery(self):
        """A delivery to an Amazon buyer (Amazon's own orders, read as the system)."""
        self.ensure_one()
        return self.picking_type_code == "outgoing" and bool(self.sudo().sale_id.amazon_order_ref)

    def _action_done(self):
        self._amazon_check_tracking()
        if any(picking._amazon_buyer_delivery() for picking in self):
            # Amazon forbids contacting its buyers outside its messaging: no
            # delivery SMS (stock_sms reads ``skip_sms``; the whole batch, to
            # be safe) and no delivery confirmation mail (message_post_with_source).
            quiet = self.with_context(skip_sms=True, amazon_no_buyer_mail=True)
            result = super(StockPicking, quiet)._action_done()
        else:
            result = super()._action_done()
        to_send = self.filtered(
            lambda p: (
                p.state == "done"
                and p._amazon_needs_confirmation()
                and not p._amazon_label_bought()
            )
        )
        if to_send:
            to_send.write({"amazon_sync_state": "to_send", "amazon_sync_error": False})
            # Sent after this transaction commits, never inside it: a network
            # error never blocks or rolls back the warehouse's work. One quick
            # attempt right after the commit; the cron takes whatever is left.
            to_send._amazon_send_after_commit()
            cron = self.env.ref(
                "sale_amazon_connector.ir_cron_amazon_send_shipments", raise_if_not_found=False
            )
            if cron:
                cron._trigger()
        return result

    def _amazon_send_after_commit(self):
        dbname, context, ids = self.env.cr.dbname, self.env.context, self.ids

        @self.env.cr.postcommit.add
        def send():
            with Registry(dbname).cursor() as cr:
                # System work the validation triggered: done as the system, whoever
                # validated (the user may not read the account or the order).
                env = api.Environment(cr, SUPERUSER_ID, context)
                pickings = env["stock.picking"].browse(ids)
                pickings = pickings.filtered(lambda p: p.amazon_sync_state == "to_send")
                try:
                    # No waiting on retries here: the user is waiting on the page.
                    pickings._amazon_send(max_retries=0, max_throttle_retries=0, timeout=10)
                except Exception:
                    _logger.exception("Immediate shipment confirmation failed; the cron retries")

    # --- what Amazon receives ---------------------------------------------------------------
    def _amazon_packages(self):
        """[(package reference, tracking number, [{orderItemId, quantity}])] of
        this delivery: one package, or one per destination package when the
        delivery was packed in several. The reference is numeric and derived
        from the delivery, so a re-send edits the same package on Amazon."""
        self.ensure_one()
        groups = defaultdict(lambda: defaultdict(float))
        for line in self.move_line_ids:
            item_ref = line.move_id.sale_line_id.amazon_item_ref
            if item_ref and line.quantity:
                quantity = line.product_uom_id._compute_quantity(
                    line.quantity, line.move_id.sale_line_id.product_uom
                )
                groups[line.result_package_id][item_ref] += quantity
        packages = sorted(groups, key=lambda package: package.id or 0)
        trackings = [t.strip() for t in (self.carrier_tracking_ref or "").split(",") if t.strip()]
        result = []
        for index, package in enumerate(packages):
            if len(trackings) == len(packages):
                tracking = trackings[index]
            else:
                tracking = self.carrier_tracking_ref or self.name
            items = [
                {"orderItemId": ref, "quantity": round(quantity)}
                for ref, quantity in sorted(groups[package].items())
                if round(quantity)
            ]
            result.append((str(self.id * 100 + index + 1), tracking, items))
        return result

    def _amazon_package_detail(self, reference, tracking, items):
        """The packageDetail Amazon receives for one package (a hook)."""
        if self.carrier_id:
            carrier_code, carrier_name = self.carrier_id._amazon_carrier()
        else:
            carrier_code, carrier_name = "Other", _("Self Delivery")
        return package_detail(
            reference,
            carrier_code,
            carrier_name,
            self.carrier_id.name or carrier_name,
            tracking,
            self.date_done or fields.Datetime.now(),
            items,
        )

    # --- sending ------------------------------------------------------------------------------
    def _amazon_send(self, **adapter_options):
        """Confirm these deliveries to Amazon, account by account (the flow:
        amazon.shipment.export). Amazon's refusals mark a delivery failed;
        throttling and network errors leave it to send, for the next run.
        Returns the deliveries Amazon refused."""
        flow = self.env["amazon.shipment.export"]
        refused = self.browse()
        for account in self.sale_id.amazon_account_id:
            pickings = self.filtered(lambda p, a=account: p.sale_id.amazon_account_id == a)
            try:
                result = flow._send(account, pickings, **adapter_options)
            except Exception:  # not linked, no credentials: said on the deliveries
                _logger.info("Shipment confirmations of account %s not sent", account.id)
                continue
            refused |= result.extra["refused"].with_env(self.env)
        return refused

    def _amazon_claim(self):
        """Take this delivery for sending, or say it is not ours to send. The
        post-commit send, the cron and Retry may each hold it in a batch read
        earlier: the database decides. The row lock lasts until this transaction
        commits (after the send); a delivery another sender holds is skipped, and
        one changed since this transaction began (already sent) makes PostgreSQL
        refuse the lock (REPEATABLE READ), which is a skip too."""
        self.ensure_one()
        self.flush_recordset(["amazon_sync_state"])
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT amazon_sync_state FROM stock_picking WHERE id = %s "
                    "FOR UPDATE SKIP LOCKED",
                    [self.id],
                )
                row = self.env.cr.fetchone()
        except psycopg2.errors.SerializationFailure:
            return False
        return bool(row) and row[0] == "to_send"

    def _amazon_send_one(self, adapter):
        """Send this delivery's packages; return it when Amazon refused it."""
        self.ensure_one()
        order = self.sale_id
        try:
            for reference, tracking, items in self._amazon_packages():
                if not items:
                    continue
                adapter.confirm_shipment(
                    order.amazon_order_ref,
                    order.amazon_marketplace_id.api_ref,
                    self._amazon_package_detail(reference, tracking, items),
                )
        except SpApiRequestError as error:
            self._amazon_mark_failed(str(error))
            return self
        except SpApiError as error:
            # Throttled, unreachable, an expired authorization: retried later.
            _logger.info("Shipment confirmation of %s postponed: %s", self.name, error)
            self.amazon_sync_error = _("Not sent yet: %(error)s", error=error)
            return self.browse()
        # Amazon accepted: the delivery is sent, whatever happens next.
        self.write(
            {
                "amazon_sync_state": "sent",
                "amazon_sync_error": False,
                "amazon_sync_date": fields.Datetime.now(),
            }
        )
        self._amazon_note(_("Shipment confirmed to Amazon."))
        return self.browse()

    def _amazon_mark_failed(self, reason):
        self.write({"amazon_sync_state": "failed", "amazon_sync_error": reason})
        self._amazon_note(_("Amazon refused the shipment confirmation: %(reason)s", reason=reason))

    def _amazon_note(self, body):
        """A note in the chatter from OdooBot: it must never fail for the user
        who triggered it (a warehouse login without an email address cannot be
        a message's author), and never undo what Amazon was told."""
        odoobot = self.env.ref("base.partner_root")
        for picking in self.sudo():
            try:
                with self.env.cr.savepoint():
                    picking.message_post(
                        body=body,
                        author_id=odoobot.id,
                        email_from=odoobot.email_formatted or False,
                        subtype_xmlid="mail.mt_note",
                    )
            except Exception:  # a note is never worth the state
                _logger.exception("Amazon note on %s not posted", picking.name)

    def action_amazon_retry(self):
        """Send these deliveries' confirmations (again) now. For the warehouse
        (stock users) and sales managers; the sending itself is system work."""
        if not (
            self.env.user.has_group("stock.group_stock_user")
            or self.env.user.has_group("sales_team.group_sale_manager")
        ):
            raise AccessError(_("Only inventory users can send shipments to Amazon."))
        self.check_access("write")
        pickings = self.filtered(
            lambda p: (
                p.state == "done"
                and p._amazon_needs_confirmation()
                and not p._amazon_label_bought()
            )
        ).sudo()
        pickings.write({"amazon_sync_state": "to_send"})
        failed = pickings._amazon_send()
        # A notification, not an error: the failure must be kept, not rolled back.
        if failed:
            message, kind = failed[0].amazon_sync_error, "danger"
        elif pickings.filtered(lambda p: p.amazon_sync_state == "to_send"):
            message, kind = pickings[0].amazon_sync_error, "warning"
        else:
            message, kind = _("Shipment confirmed to Amazon."), "success"
        return self.env["amazon.flow"]._notify(_("Amazon"), message, kind, reload=True)

    def _amazon_report_failures(self, account):
        """Once per batch: an activity and a message to the account's responsible
        listing these deliveries, which Amazon refused, and why."""
        # Markup's % escapes the values: Amazon's messages are not HTML.
        items = Markup("").join(
            Markup("<li>%s (%s): %s</li>")
            % (picking.name, picking.sale_id.amazon_order_ref, picking.amazon_sync_error)
            for picking in self
        )
        body = Markup("%s<ul>%s</ul>") % (
            _("Amazon refused these shipment confirmations:"),
            items,
        )
        responsible = account.responsible_id or self.env.user
        account.activity_schedule(
            "mail.mail_activity_data_warning",
            summary=_("%(count)s shipment confirmation(s) refused by Amazon", count=len(self)),
            note=body,
            user_id=responsible.id,
        )
        account.message_post(
            body=body,
            partner_ids=responsible.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
        )

    @api.model
    def _cron_send_shipments(self, limit=SEND_LIMIT):
        """Deliveries To Send, account by account in turns (see
        ``amazon.flow._cron_turns``), at most ``limit`` per account and turn."""
        return self.env["amazon.shipment.export"]._cron_run(limit=limit)

    @api.model
    def _amazon_to_send(self, account=None, limit=None):
        """Deliveries waiting to be confirmed to Amazon (of ``account``)."""
        domain = [("amazon_sync_state", "=", "to_send")]
        if account:
            domain.append(("sale_id.amazon_account_id", "=", account.id))
        return self.search(domain, limit=limit)
