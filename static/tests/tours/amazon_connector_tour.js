/** @odoo-module **/

import { registry } from "@web/core/registry";

// Driven by tests/test_tour.py, which seeds the emulator with one FBM order.
registry.category("web_tour.tours").add("sale_amazon_connector_tour", {
    url: "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
    steps: () => [
        {
            content: "The dashboard shows the account",
            trigger: ".o_kanban_record:contains(Tour seller)",
        },
        {
            content: "Open the account",
            trigger: ".o_kanban_record:contains(Tour seller) span:contains(Tour seller)",
            run: "click",
        },
        {
            content: "Synchronize its orders",
            trigger: ".o_form_view button[name=action_sync_orders]",
            run: "click",
        },
        {
            content: "Amazon's order was imported",
            trigger: ".o_notification:contains(1 created)",
        },
        {
            content: "Open the account's orders",
            trigger: ".o_form_view button[name=action_view_orders]",
            run: "click",
        },
        {
            content: "Open the imported order",
            trigger: ".o_list_view .o_data_row:first .o_data_cell:first",
            run: "click",
        },
        {
            content: "Its lines are there",
            trigger: ".o_field_widget[name=order_line] .o_data_row:contains(Mug)",
        },
        {
            content: "Open its delivery",
            trigger: ".o_form_view button[name=action_view_delivery]",
            run: "click",
        },
        {
            content: "Go to the additional info",
            trigger: ".o_notebook a.nav-link:contains(Additional Info)",
            run: "click",
        },
        {
            content: "Enter the tracking number",
            trigger: ".o_field_widget[name=carrier_tracking_ref] input",
            run: "edit 1ZTOUR0001",
        },
        {
            content: "Validate the delivery",
            trigger: ".o_form_view button[name=button_validate]",
            run: "click",
        },
        {
            content: "The confirmation waits to be sent",
            trigger: ".o_field_widget[name=amazon_sync_state]:contains(To Send)",
        },
        {
            content: "Send it to Amazon now",
            trigger: ".o_form_view button[name=action_amazon_retry]:contains(Send to Amazon Now)",
            run: "click",
        },
        {
            content: "Amazon has it",
            trigger: ".o_field_widget[name=amazon_sync_state]:contains(Sent)",
        },
    ],
});
