from datetime import timedelta

from odoo import _, api, fields, models
from odoo.osv import expression

from ..mapping import address_key

ANONYMIZE_PARAM = "sale_amazon_connector.anonymize"
ANONYMIZE_DAYS_PARAM = "sale_amazon_connector.anonymize_days"


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The order import finds its customers by the email Amazon sends, one search
    # per page of orders: without an index that search scans every partner (54 ms
    # a page at 200,000 partners, growing with the table). Most partners of a
    # large database have no email, hence the partial index.
    email = fields.Char(index="btree_not_null")
    # Only what the import created is ever anonymized: a customer who was in Odoo
    # before an Amazon order matched them by email is the seller's own.
    amazon_buyer = fields.Boolean(
        string="Created by the Amazon Import",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    amazon_anonymized = fields.Boolean(readonly=True, copy=False)

    # --- Amazon's data protection policy ----------------------------------------------------------
    @api.model
    def _amazon_flag_imported_buyers(self):
        """Flag the partners an earlier version's import created (for the
        upgrade). The import creates a buyer in the transaction that creates
        the order, and Odoo stamps both with the transaction's time: a partner
        created at the very time of an Amazon order that uses it is the
        import's; a customer who existed before was created earlier."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            UPDATE res_partner p SET amazon_buyer = TRUE
             WHERE p.amazon_buyer IS NOT TRUE
               AND p.ref IS DISTINCT FROM 'AMAZON-CUSTOMER'
               AND EXISTS (
                   SELECT 1 FROM sale_order so
                    WHERE so.amazon_order_ref IS NOT NULL
                      AND so.create_date = p.create_date
                      AND p.id IN (so.partner_id, so.partner_invoice_id, so.partner_shipping_id))
            """
        )
        flagged = self.env.cr.rowcount
        self.invalidate_model(["amazon_buyer"])
        return flagged

    @api.model
    def _amazon_anonymize_settings(self):
        """(enabled, days) from Settings."""
        params = self.env["ir.config_parameter"].sudo()
        enabled = params.get_param(ANONYMIZE_PARAM, "True") == "True"
        return enabled, int(params.get_param(ANONYMIZE_DAYS_PARAM, 30) or 30)

    @api.model
    def _cron_amazon_anonymize(self, limit=1000):
        """Buyers' personal data is kept only as long as the orders need it.

        A partner the import created is anonymized once every order that uses
        it (as customer, invoice or delivery address) is an Amazon order that is
        done: delivered or cancelled, nothing left to invoice, and its last
        delivery more than N days ago (Settings). Gift messages of such orders
        and failed orders' payloads of that age are erased too."""
        enabled, days = self._amazon_anonymize_settings()
        if not enabled:
            return False
        before = fields.Datetime.now() - timedelta(days=days)
        partners = self.browse(self._amazon_partners_to_anonymize(before, limit))
        partners._amazon_anonymize()
        self._amazon_erase_gift_messages(before, limit)
        self.env["amazon.order.failure"]._erase_old_payloads(before)
        return True

    @api.model
    def _amazon_partners_to_anonymize(self, before, limit):
        # One query: "no order that still needs this partner" is a NOT EXISTS
        # over sale orders, which the ORM can't say without loading every order.
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT p.id FROM res_partner p
             WHERE p.amazon_buyer AND p.amazon_anonymized IS NOT TRUE
               AND p.create_date < %(before)s
               AND NOT EXISTS (
                   SELECT 1 FROM sale_order so
                    WHERE (so.partner_id = p.id OR so.partner_invoice_id = p.id
                           OR so.partner_shipping_id = p.id)
                      AND (so.amazon_order_ref IS NULL      -- the seller's own customer now
                           OR so.state IN ('draft', 'sent') -- not confirmed yet
                           OR so.date_order >= %(before)s
                           OR (so.state = 'sale' AND so.invoice_status = 'to invoice')
                           OR EXISTS (
                               SELECT 1 FROM stock_picking sp
                                WHERE sp.sale_id = so.id
                                  AND (sp.state NOT IN ('done', 'cancel')
                                       OR sp.date_done >= %(before)s))))
             ORDER BY p.id
             LIMIT %(limit)s
            """,
            {"before": before, "limit": limit},
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _amazon_anonymize(self):
        """Erase names, streets, phones and emails; the city, postal code, state
        and country stay (taxes, statistics). A partner on a posted customer
        invoice or credit note keeps the name and address the document shows
        (invoices are kept for years by law); its phone and email go."""
        if not self:
            return
        moves = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("state", "=", "posted"),
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    "|",
                    ("partner_id", "in", self.ids),
                    ("partner_shipping_id", "in", self.ids),
                ]
            )
        )
        invoiced = moves.partner_id | moves.partner_shipping_id
        contact = {"phone": False, "mobile": False, "email": False, "amazon_anonymized": True}
        (self & invoiced).write(contact)
        erased = self - invoiced
        erased.write(
            {
                **contact,
                "name": self.env._("Amazon Customer"),
                "street": False,
                "street2": False,
            }
        )
        # A person's tax number goes with them; a business's is not personal data.
        erased.filtered(lambda partner: not partner.is_company and partner.vat).vat = False

    @api.model
    def _amazon_erase_gift_messages(self, before, limit):
        """Gift messages of orders delivered (or cancelled) before ``before``."""
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("amazon_gift_message", "!=", False),
                    ("state", "in", ("sale", "cancel")),
                    ("date_order", "<", before),
                    (
                        "picking_ids",
                        "not any",
                        ["|", ("state", "not in", ("done", "cancel")), ("date_done", ">=", before)],
                    ),
                ],
                limit=limit,
            )
        )
        orders.amazon_gift_message = False

    # --- Amazon's buyers (the orders flow; ``run``: its OrderRun, caches included) --------------
    @api.model
    def _amazon_prefetch_buyers(self, run, orders):
        """The contacts and delivery addresses of the page's buyers, in two
        queries, into ``run.partners``."""
        emails = {order.buyer_email for order in orders if order.buyer_email}
        contacts = (
            # The import runs as the system: only contacts the order's company may
            # use (its own and shared ones), never another company's customer.
            self.search(
                [
                    ("email", "in", list(emails)),
                    ("parent_id", "=", False),
                    ("type", "=", "contact"),
                    ("company_id", "in", [run.company.id, False]),
                ]
            )
            if emails
            else self.browse()
        )
        for contact in contacts:
            run.partners.setdefault(("contact", contact.email), contact)
        # The delivery addresses the page may reuse, in one query: all those of the
        # buyers found, and, since buyers without personal data (FBA) all share one
        # customer whose addresses pile up, only those of it in the page's postal codes.
        anonymous_zips = {
            order.address.zip or False
            for order in orders
            if not order.buyer_email and order.address
        }
        parents = [("parent_id", "in", contacts.ids)]
        if anonymous_zips:
            anonymous = [
                ("parent_id", "=", self._amazon_anonymous_customer(run).id),
                ("zip", "in", list(anonymous_zips)),
            ]
            parents = expression.OR([parents, anonymous])
        if contacts or anonymous_zips:
            for delivery in self.search(expression.AND([[("type", "=", "delivery")], parents])):
                key = ("delivery", delivery.parent_id.id, delivery._amazon_address_key())
                run.partners.setdefault(key, delivery)

    def _amazon_address_key(self):
        """What makes two delivery addresses of a customer the same one."""
        self.ensure_one()
        return address_key(
            self.name, self.street, self.street2, self.city, self.zip, self.country_id.code
        )

    @api.model
    def _amazon_customer(self, run, order):
        """(contact, delivery address) of the order, found again or created."""
        address = order.address
        if order.buyer_email:
            key = ("contact", order.buyer_email)
            contact = run.partners.get(key)
            if contact is None:
                contact = self.create(self._prepare_amazon_contact_values(run, order))
                run.partners[key] = contact
            if order.vat and not contact.vat:
                contact.vat = order.vat
        else:
            contact = self._amazon_anonymous_customer(run)
        if not address:
            return contact, contact
        name = address.name or (contact.name if order.buyer_email else _("Amazon Customer"))
        key = (
            "delivery",
            contact.id,
            address_key(
                name,
                address.street,
                address.street2,
                address.city,
                address.zip,
                address.country_code,
            ),
        )
        delivery = run.partners.get(key)
        if delivery is None:
            delivery = self.create(self._prepare_amazon_delivery_values(run, order, contact, name))
        run.partners[key] = delivery
        return contact, delivery

    @api.model
    def _amazon_anonymous_customer(self, run):
        """The company's shared customer of the orders without the buyer's data."""
        key = ("anonymous",)
        if key not in run.partners:
            run.partners[key] = self.search(
                [("ref", "=", "AMAZON-CUSTOMER"), ("company_id", "in", [run.company.id, False])],
                limit=1,
            ) or self.create(
                {
                    "name": _("Amazon Customer"),
                    "ref": "AMAZON-CUSTOMER",
                    "company_id": run.company.id,
                }
            )
        return run.partners[key]

    @api.model
    def _prepare_amazon_contact_values(self, run, order):
        """A new buyer's contact (orders with the buyer's email only)."""
        address = order.address
        name = order.buyer_company or order.buyer_name or (address and address.name)
        values = {
            "name": name or order.buyer_email,
            "email": order.buyer_email,
            "is_company": bool(order.buyer_company),
            "company_id": run.company.id,
            "lang": False,
            "amazon_buyer": True,
        }
        if address:
            values.update(self._prepare_amazon_address_values(run, address))
            # The phone is for the carrier: on the delivery address only, never
            # on the contact (Amazon forbids contacting buyers outside Amazon).
            values.pop("phone", None)
        return values

    @api.model
    def _prepare_amazon_delivery_values(self, run, order, contact, name):
        """A new delivery address of ``contact``."""
        return {
            "name": name,
            "parent_id": contact.id,
            "type": "delivery",
            "company_id": run.company.id,
            "amazon_buyer": True,
            **self._prepare_amazon_address_values(run, order.address),
        }

    @api.model
    def _prepare_amazon_address_values(self, run, address):
        country = run.countries.get(address.country_code)
        values = {
            "street": address.street or False,
            "street2": address.street2 or False,
            "city": address.city or False,
            "zip": address.zip or False,
            "country_id": country.id if country else False,
            "phone": address.phone or False,
        }
        if country and address.state_code:
            values["state_id"] = self._amazon_state(run, country, address.state_code).id or False
        return values

    @api.model
    def _amazon_state(self, run, country, code):
        """The state of ``code`` (Amazon sends a code or a name), looked up once
        per run: buyers of one region share a handful of states."""
        key = (country.id, code.strip().lower())
        if key not in run.states:
            run.states[key] = self.env["res.country.state"].search(
                [
                    ("country_id", "=", country.id),
                    "|",
                    ("code", "=ilike", code.strip()),
                    ("name", "=ilike", code.strip()),
                ],
                limit=1,
            )
        return run.states[key]
