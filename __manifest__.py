{
    "name": "Amazon Connector (SP-API)",
    "summary": "Synchronize Amazon Seller Central orders, shipments and stock "
    "with Odoo through the Selling Partner API",
    "version": "18.0.0.1.0",
    "category": "Sales",
    "license": "LGPL-3",
    "author": "Amazon Connector for Odoo contributors",
    "website": "https://github.com/sale-amazon-connector/sale_amazon_connector",
    "depends": [
        "sale_management",
        "sale_stock",
        "stock_delivery",
        "mail",
    ],
    "external_dependencies": {
        "python": ["python-amazon-sp-api"],
    },
    "data": [
        "security/amazon_security.xml",
        "security/ir.model.access.csv",
        "views/amazon_marketplace_views.xml",
        "views/amazon_account_views.xml",
        "views/amazon_offer_views.xml",
        "views/amazon_menus.xml",
    ],
}
