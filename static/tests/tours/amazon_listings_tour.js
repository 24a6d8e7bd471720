/** @odoo-module **/

import { registry } from "@web/core/registry";

// Driven by tests/test_tour.py: the seller lists MUG-01 FBM on amazon.de and
// FBA on amazon.com, and has never sold it.
registry.category("web_tour.tours").add("sale_amazon_connector_listings_tour", {
    url: "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
    steps: () => [
        {
            content: "Open the account",
            trigger: ".o_kanban_record:contains(Tour seller) span:contains(Tour seller)",
            run: "click",
        },
        {
            content: "Its synchronization tab holds the buttons of each flow",
            trigger: ".o_notebook a.nav-link:contains(Synchronization)",
            run: "click",
        },
        {
            content: "Import its listings",
            trigger: ".o_form_view button[name=action_import_listings]",
            run: "click",
        },
        {
            content: "One offer, two listings",
            trigger: ".o_notification:contains(1 offers created):contains(2 listings added)",
        },
        {
            content: "Push the stock",
            trigger: ".o_form_view button[name=action_push_stock]",
            run: "click",
        },
        {
            content: "One quantity sent: the FBM listing's",
            trigger: ".o_notification:contains(1 quantities sent)",
        },
        {
            content: "Open the offers",
            trigger: ".o_form_view button[name=action_view_offers]",
            run: "click",
        },
        {
            content: "Open the mug's offer",
            trigger: ".o_list_view .o_data_row:contains(MUG-01) .o_data_cell:first",
            run: "click",
        },
        {
            content: "amazon.de: merchant-fulfilled, buyable, 10 accepted",
            trigger:
                ".o_field_widget[name=listing_ids] .o_data_row:contains(Amazon.de):contains(Fulfilled by Merchant):contains(Buyable):contains(Synchronized)",
        },
        {
            content: "amazon.com: fulfilled by Amazon, no stock status of ours",
            trigger:
                ".o_field_widget[name=listing_ids] .o_data_row:contains(Amazon.com):contains(Fulfilled by Amazon):not(:contains(Synchronized))",
        },
    ],
});
