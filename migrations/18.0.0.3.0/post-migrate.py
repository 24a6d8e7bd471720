"""18.0.0.3.0: channel and stock move from the offer to its listings, one per
marketplace (amazon.listing). Each offer gets a listing in the marketplace it
was first sold on (else its account's), carrying its channel and stock state,
and one in every other marketplace where its SKU sold, FBA when an FBA order
says so. The old columns stay in amazon_offer, unused.

Also: the buyers' contacts the import made lose the phone it copied onto them
(Amazon forbids contacting buyers outside Amazon); their delivery addresses
keep it, for the carrier."""

LISTING_COLUMNS = (
    "channel",
    "stock_sync_state",
    "last_quantity_sent",
    "last_quantity_date",
    "stock_sync_error",
    "attempted_quantity",
    "feed_ref",
    "feed_message_ref",
    "feed_date",
    "fba_zero_pending",
)


def _offer_columns(cr):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'amazon_offer'"
    )
    return {row[0] for row in cr.fetchall()}


def migrate(cr, version):
    if not version or not {"marketplace_id", *LISTING_COLUMNS} <= _offer_columns(cr):
        return
    columns = ", ".join(LISTING_COLUMNS)
    old = ", ".join(f"o.{column}" for column in LISTING_COLUMNS)
    cr.execute(
        f"""
        INSERT INTO amazon_listing (offer_id, marketplace_id, account_id, company_id,
                                    {columns}, create_uid, create_date, write_uid, write_date)
        SELECT o.id, COALESCE(o.marketplace_id, a.signup_marketplace_id), o.account_id,
               o.company_id, {old}, o.create_uid, o.create_date, o.write_uid, o.write_date
          FROM amazon_offer o
          JOIN amazon_account a ON a.id = o.account_id
         WHERE COALESCE(o.marketplace_id, a.signup_marketplace_id) IS NOT NULL
        ON CONFLICT (offer_id, marketplace_id) DO NOTHING
        """
    )
    cr.execute(
        """
        INSERT INTO amazon_listing (offer_id, marketplace_id, account_id, company_id, channel,
                                    stock_sync_state, create_date, write_date)
        SELECT o.id, so.amazon_marketplace_id, o.account_id, o.company_id,
               CASE WHEN bool_or(so.amazon_channel = 'fba') THEN 'fba' ELSE 'fbm' END,
               'never', now() at time zone 'UTC', now() at time zone 'UTC'
          FROM sale_order_line sol
          JOIN sale_order so ON so.id = sol.order_id
          JOIN amazon_offer o ON o.id = sol.amazon_offer_id
         WHERE so.amazon_marketplace_id IS NOT NULL
         GROUP BY o.id, so.amazon_marketplace_id
        ON CONFLICT (offer_id, marketplace_id) DO NOTHING
        """
    )
    cr.execute(
        """
        UPDATE res_partner SET phone = NULL
         WHERE amazon_buyer AND parent_id IS NULL AND type = 'contact' AND phone IS NOT NULL
        """
    )
