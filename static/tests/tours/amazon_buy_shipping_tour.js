/** @odoo-module **/

import { registry } from "@web/core/registry";

// Driven by tests/test_tour.py (TestBuyShippingTour): a warehouse user opens
// the FBM delivery of an order shipped with Amazon Buy Shipping, chooses a
// rate among Amazon's, buys the label, and finds it on the delivery.
registry.category("web_tour.tours").add("sale_amazon_connector_buy_shipping_tour", {
    steps: () => [
        {
            content: "Ask Amazon for its rates",
            trigger: ".o_form_view button[name=action_amazon_choose_rate]",
            run: "click",
        },
        {
            content: "Amazon's rates: carrier, service, price, promised delivery",
            trigger: ".modal .o_data_row:contains(DHL Paket):contains(€)",
        },
        {
            content: "The account's rule chose the cheapest first",
            trigger: ".modal .o_data_row:contains(Amazon Shipping Standard) button[name=action_choose]:contains(Chosen)",
        },
        {
            content: "Choose DHL instead",
            trigger: ".modal .o_data_row:contains(DHL Paket) button[name=action_choose]:contains(Choose)",
            run: "click",
        },
        {
            content: "DHL is chosen",
            trigger: ".modal .o_data_row:contains(DHL Paket) button[name=action_choose]:contains(Chosen)",
        },
        {
            content: "Buy the label",
            trigger: ".modal footer button[name=action_buy]",
            run: "click",
        },
        {
            content: "The delivery is done and sent to Amazon by its label",
            trigger: ".o_form_view .o_field_widget[name=amazon_sync_state]:contains(Sent)",
        },
        {
            content: "The labels' tab",
            trigger: ".o_notebook a.nav-link:contains(Amazon Labels)",
            run: "click",
        },
        {
            content: "The label: DHL Paket with its tracking number",
            trigger: ".o_field_widget[name=amazon_label_ids] .o_data_row:contains(DHL Paket):contains(DHL)",
        },
        {
            content: "The label is printable from the delivery",
            trigger: ".o_form_view button[name=action_amazon_print_labels]",
        },
    ],
});
