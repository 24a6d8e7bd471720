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
        "data/amazon_marketplace_data.xml",
        "data/amazon_data.xml",
        "data/ir_cron_data.xml",
        "views/amazon_marketplace_views.xml",
        "views/amazon_account_views.xml",
        "views/amazon_offer_views.xml",
        "views/amazon_order_failure_views.xml",
        "views/sale_order_views.xml",
        "views/stock_picking_views.xml",
        "views/amazon_sync_log_views.xml",
        "views/amazon_dashboard_views.xml",
        "views/sale_report_views.xml",
        "views/amazon_menus.xml",
        "views/res_config_settings_views.xml",
        "wizards/amazon_token_wizard_views.xml",
        "wizards/amazon_recover_order_wizard_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "sale_amazon_connector/static/tests/tours/*.js",
        ],
    },
}
