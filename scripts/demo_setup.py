"""Prepare the demo database (run by scripts/run.sh inside `odoo shell`).

Idempotent: a second run finds what the first made and only synchronizes
again. Reads SAC_EMULATOR_URL; ``env`` is given by `odoo shell`.
"""
# ruff: noqa: F821 - `env` is injected by `odoo shell`

import os
from datetime import timedelta

from odoo import fields
from odoo.addons.sale_amazon_connector.spapi_emulator.seed import (
    DEMO_APP_ID,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PRODUCTS,
    DEMO_REFRESH_TOKEN,
    DEMO_SELLER_ID,
    DEMO_UNSOLD,
)

EMULATOR_URL = os.environ["SAC_EMULATOR_URL"]
ACCOUNT_NAME = "Demo Amazon account (emulator)"

company = env.company
for code in ("USD", "EUR", "GBP"):
    currency = env.ref(f"base.{code}")
    currency.active = True
    if not env["product.pricelist"].search([("currency_id", "=", currency.id)], limit=1):
        env["product.pricelist"].create({"name": f"Amazon {code}", "currency_id": currency.id})

# Demo exchange rates (a month old), so that reports in the company's currency
# convert euros and pounds instead of adding them to dollars one to one.
if company.currency_id.name == "USD":
    rate_day = fields.Date.today() - timedelta(days=31)
    for code, rate in (("EUR", 0.92), ("GBP", 0.79)):
        currency = env.ref(f"base.{code}")
        if not env["res.currency.rate"].search_count(
            [("currency_id", "=", currency.id), ("company_id", "in", [company.id, False])]
        ):
            env["res.currency.rate"].create(
                {
                    "name": rate_day,
                    "rate": rate,
                    "currency_id": currency.id,
                    "company_id": company.id,
                }
            )

# One user per role README names (login = password), to try the demo as each.
DEMO_USERS = (
    ("amazon_sales", "Sam Sales (salesman)", "sales_team.group_sale_salesman"),
    ("amazon_manager", "Morgan Manager (sales manager)", "sales_team.group_sale_manager"),
    ("amazon_warehouse", "Wes Warehouse (inventory user)", "stock.group_stock_user"),
    ("amazon_billing", "Bea Billing (invoicing)", "account.group_account_invoice"),
)
users = {}
for login, name, group in DEMO_USERS:
    user = env["res.users"].with_context(active_test=False).search([("login", "=", login)])
    if not user:
        user = env["res.users"].create(
            {
                "login": login,
                "password": login,
                "name": name,
                "company_id": company.id,
                "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, [env.ref("base.group_user").id, env.ref(group).id])],
            }
        )
    users[login] = user

company.write(
    {
        "amazon_app_ref": DEMO_APP_ID,
        "amazon_lwa_client_id": DEMO_CLIENT_ID,
        "amazon_lwa_client_secret": DEMO_CLIENT_SECRET,
    }
)

# Taxes as README.md ("Taxes per marketplace") tells a seller to set them up:
# on amazon.de and amazon.co.uk the destination's VAT, price-included, through
# a fiscal position applied by the delivery country; on amazon.com Amazon
# collects the sales tax as marketplace facilitator, nothing to set up.
sale_tax = company.account_sale_tax_id
# The default products (unknown SKUs, shipping, gift wrap, promotions) are
# taxed like any product: shipping carries the VAT of the goods it ships.
for kind in ("sale", "shipping", "giftwrap", "promotion"):
    product = company._amazon_get_default_product(kind)
    if sale_tax and not product.taxes_id:
        product.taxes_id = sale_tax
# The demo seller is registered for VAT in Germany and the UK: Odoo invoices a
# foreign country's taxes only under a fiscal position with that VAT number.
for country_code, rate, marketplace_xmlid, vat_number in (
    ("DE", 19.0, "marketplace_de", "DE123456788"),
    ("GB", 20.0, "marketplace_gb", "GB123456782"),
):
    country = env["res.country"].search([("code", "=", country_code)], limit=1)
    name = f"{country_code} VAT {rate:g}% (included)"
    tax = env["account.tax"].search([("name", "=", name), ("company_id", "=", company.id)])
    if not tax:
        # A foreign tax needs a tax group of its country (Odoo's foreign-tax
        # and OSS set-ups make one the same way).
        group = env["account.tax.group"].search(
            [("country_id", "=", country.id), ("company_id", "=", company.id)], limit=1
        ) or env["account.tax.group"].create(
            {"name": f"{country_code} VAT", "country_id": country.id, "company_id": company.id}
        )
        tax = env["account.tax"].create(
            {
                "name": name,
                "tax_group_id": group.id,
                "amount": rate,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
                "country_id": country.id,
                "company_id": company.id,
            }
        )
    position_name = f"Amazon buyers in {country.name}"
    position = env["account.fiscal.position"].search(
        [("name", "=", position_name), ("company_id", "=", company.id)]
    )
    if not position:
        position = env["account.fiscal.position"].create(
            {
                "name": position_name,
                "auto_apply": True,
                "country_id": country.id,
                "company_id": company.id,
                "tax_ids": [(0, 0, {"tax_src_id": sale_tax.id, "tax_dest_id": tax.id})]
                if sale_tax
                else [],
            }
        )
    if not position.foreign_vat:
        position.foreign_vat = vat_number
    # Orders Odoo finds no position for (no delivery country) take the marketplace's.
    env.ref(f"sale_amazon_connector.{marketplace_xmlid}").with_company(
        company
    ).fiscal_position_id = position

warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
for sku, title, price in DEMO_PRODUCTS + DEMO_UNSOLD:
    if sku == "DEMO-UNKNOWN-SKU":
        continue  # left unknown: its orders show the default product and an offer to review
    product = env["product.product"].search([("default_code", "=", sku)], limit=1)
    if not product:
        product = env["product.product"].create(
            {"name": title, "default_code": sku, "is_storable": True, "list_price": price}
        )
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 100)

account = env["amazon.account"].search([("name", "=", ACCOUNT_NAME)], limit=1)
if not account:
    account = env["amazon.account"].create(
        {
            "name": ACCOUNT_NAME,
            "signup_marketplace_id": env.ref("sale_amazon_connector.marketplace_us").id,
            "environment": "custom",
            "custom_api_url": EMULATOR_URL,
            "seller_ref": DEMO_SELLER_ID,
            # Sam sells for this account: the orders are Sam's (and the manager's).
            "user_id": users["amazon_sales"].id,
            # The demo orders reach back a week.
            "last_orders_sync": fields.Datetime.now() - timedelta(days=8),
        }
    )
account.write({"custom_api_url": EMULATOR_URL, "refresh_token": DEMO_REFRESH_TOKEN})
account.action_update_marketplaces()
account.marketplace_ids = account.available_marketplace_ids
env.cr.commit()

total = {"fetched": 0, "created": 0, "updated": 0, "skipped": 0, "failed": 0}
while True:
    result = account._sync_orders(max_pages=5)
    for key, value in result.as_dict().items():
        total[key] += value
    env.cr.commit()
    if result.done:
        break
orders = env["sale.order"].search_count([("amazon_account_id", "=", account.id)])
differing = env["sale.order"].search_count(
    [("amazon_account_id", "=", account.id), ("amazon_total_difference", "!=", 0)]
)
print(
    f"Demo account synchronized: {total['created']} orders created, {total['updated']} updated, "
    f"{total['skipped']} skipped, {total['failed']} failed; {orders} Amazon orders in Odoo, "
    f"{differing} of them with a total that differs from Amazon's."
)

# The seller's whole catalogue, sold or not, with its channel per marketplace.
listings = env["amazon.listing.import"]._run(account)
env.cr.commit()
print(
    f"Demo listings imported: {listings.fetched} listings read, "
    f"{listings.extra['offers_created']} offers created ({listings.extra['to_review']} to review), "
    f"{listings.created} listings added."
)

# What Amazon holds (FBA) reconciled with Odoo's Amazon location, and the
# customer returns of the last days (Amazon writes the report between two looks).
reconciliation = env["amazon.fba.inventory"]._run(account).extra["reconciliation"]
env.cr.commit()
returns = None
for _look in range(2):
    returns = env["amazon.return.import"]._run(account)
    env.cr.commit()
print(
    f"Demo FBA stock: {reconciliation.product_count if reconciliation else 0} SKUs reconciled, "
    f"{returns.created if returns else 0} customer returns booked."
)

# Amazon's money: FBA orders invoiced when shipped, the transactions and the
# payouts read (the closed one booked), Amazon's invoice as a vendor bill.
account.write({"invoice_fba": True, "import_fee_invoices": True})
env["amazon.invoicing"]._invoice(account)
env.cr.commit()
account.last_finances_sync = fields.Datetime.now() - timedelta(days=10)
money = env["amazon.finance.import"]._run(account)
env.cr.commit()
env["amazon.fee.invoice.import"]._run(account)
env.cr.commit()
payouts = env["amazon.payout"].search([("account_id", "=", account.id)])
bills = env["account.move"].search_count([("amazon_fee_invoice_ref", "!=", False)])
print(
    f"Demo money: {money.fetched} transactions read, "
    f"{len(payouts.filtered(lambda p: p.state == 'booked'))} of {len(payouts)} payouts booked, "
    f"{bills} Amazon invoice(s) as vendor bills."
)

# Orders in seconds: the company reads the demo's SQS queue (moto's, on this
# machine), and the account subscribes to Amazon's notifications. The
# emulator places a new order every minute; the running Odoo's cron reads it.
SQS_URL = os.environ.get("SAC_SQS_URL")
if SQS_URL:
    from odoo.addons.sale_amazon_connector.spapi_emulator.sqs_server import (
        ACCESS_KEY,
        REGION,
        SECRET_KEY,
        SqsServer,
    )

    server = SqsServer(port=int(SQS_URL.rsplit(":", 1)[1]))  # already running: its client
    queue_url, _arn = server.create_queue("amazon-notifications")
    company.write(
        {
            "amazon_sqs_queue_url": queue_url,
            "amazon_sqs_region": REGION,
            "amazon_sqs_access_key": ACCESS_KEY,
            "amazon_sqs_secret_key": SECRET_KEY,
        }
    )
    account.action_subscribe_notifications()
    env.cr.commit()
    print(
        "Demo notifications: subscribed; a new order arrives every minute without a sync "
        "(Sales > Amazon > Orders, or Sales > Configuration > Amazon > Notifications)."
    )
