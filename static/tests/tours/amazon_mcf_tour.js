/** @odoo-module **/

import { registry } from "@web/core/registry";

// Driven by tests/test_tour.py (TestMcfTours): a webshop order shipped by
// Amazon from the FBA stock (Multi-Channel Fulfillment).

// The salesman who confirmed it sees what Amazon promised on the order.
registry.category("web_tour.tours").add("sale_amazon_connector_mcf_salesman_tour", {
    steps: () => [
        {
            content: "Amazon's tab on the order",
            trigger: ".o_notebook a.nav-link:contains(Fulfilled by Amazon)",
            run: "click",
        },
        {
            content: "Each shipping speed with Amazon's fees and dates",
            trigger: ".o_field_widget[name=amazon_mcf_preview_ids] .o_data_row:contains(Standard):contains(€)",
        },
        {
            content: "The fastest speed too",
            trigger: ".o_field_widget[name=amazon_mcf_preview_ids] .o_data_row:contains(Priority)",
        },
    ],
});

// The warehouse follows the delivery Amazon ships.
registry.category("web_tour.tours").add("sale_amazon_connector_mcf_warehouse_tour", {
    steps: () => [
        {
            content: "The delivery's Amazon tab",
            trigger: ".o_notebook a.nav-link:contains(Fulfilled by Amazon)",
            run: "click",
        },
        {
            content: "Amazon has the order",
            trigger: ".o_field_widget[name=amazon_mcf_state]:contains(At Amazon)",
        },
        {
            content: "Under the delivery's reference",
            trigger: ".o_field_widget[name=amazon_mcf_ref]:contains(WH-MCF-)",
        },
        {
            content: "Ask Amazon's preview again",
            trigger: "button[name=action_amazon_mcf_preview]",
            run: "click",
        },
        {
            content: "The previews are there",
            trigger: ".o_field_widget[name=amazon_mcf_preview_ids] .o_data_row:contains(Expedited)",
        },
    ],
});
