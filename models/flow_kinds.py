"""The flows' kinds, each defined once: a flow's ``_flow_kind``, its sync
logs' kind, its lock's name (``flow_run.lock_namespace``) and the dashboard's
figures all name a flow by these; the sync logs' search panel reads them from
the selection, so no view spells them."""

ORDERS = "orders"
SHIPMENTS = "shipments"
STOCK = "stock"
LISTINGS = "listings"
FBA_STOCK = "fba_stock"
RETURNS = "returns"
INVOICES = "invoices"
INVOICE_UPLOADS = "invoice_uploads"
FEE_INVOICES = "fee_invoices"
FINANCES = "finances"
CANCELLATIONS = "cancellations"
MCF = "mcf"

# amazon.sync.log.kind: the values and what people read (translated by Odoo).
SELECTION = [
    (ORDERS, "Orders"),
    (SHIPMENTS, "Shipments"),
    (STOCK, "Stock"),
    (LISTINGS, "Listings"),
    (FBA_STOCK, "FBA Stock"),
    (RETURNS, "Returns"),
    (INVOICES, "Invoices"),
    (INVOICE_UPLOADS, "Invoice Uploads"),
    (FEE_INVOICES, "Amazon Invoices"),
    (FINANCES, "Transactions"),
    (CANCELLATIONS, "Cancellations"),
    (MCF, "Multi-Channel Fulfillment"),
]
