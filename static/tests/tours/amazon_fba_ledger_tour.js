/** @odoo-module **/

import { registry } from "@web/core/registry";

// Driven by tests/test_tour.py (TestFbaLedgerTour): the warehouse reads an
// FBA reconciliation's drift explained by Amazon's ledger, then what Amazon owes.
registry.category("web_tour.tours").add("sale_amazon_connector_fba_ledger_tour", {
    steps: () => [
        {
            content: "Amazon's ledger explained every unit",
            trigger: ".o_field_widget[name=ledger_state]:contains(Every Unit Explained)",
        },
        {
            content: "The drifted product's line, with its explanation",
            trigger: ".o_field_widget[name=line_ids] .o_data_row:contains(TXN-DMG) td[name=product_id]",
            run: "click",
        },
        {
            content: "Amazon's damaged unit, with its reference",
            trigger: ".modal .o_field_widget[name=explanation]:contains(TXN-DMG)",
        },
        {
            content: "Amazon's ledger events of the product",
            trigger: ".modal .o_field_widget[name=ledger_event_ids] .o_data_row:contains(Damaged)",
        },
        {
            content: "The adjustment Odoo booked for it",
            trigger: ".modal .o_notebook a.nav-link:contains(Adjustments Booked)",
            run: "click",
        },
        {
            content: "One adjustment, from the Amazon location",
            trigger: ".modal .o_field_widget[name=move_ids] .o_data_row",
        },
    ],
});

registry.category("web_tour.tours").add("sale_amazon_connector_fba_claims_tour", {
    steps: () => [
        {
            content: "The damaged unit is Amazon's to pay, with the policy's dates",
            trigger: ".o_data_row:contains(TXN-DMG):contains(Claimable)",
        },
    ],
});
