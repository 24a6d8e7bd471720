/** @odoo-module **/

import { registry } from "@web/core/registry";

// Driven by tests/test_tour.py (TestAmazonRoleTours): one FBM order, imported,
// due to ship today. Each tour is what its role does with it.

// A salesman: the dashboard, the orders to ship today, an offer.
registry.category("web_tour.tours").add("sale_amazon_connector_salesman_tour", {
    url: "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
    steps: () => [
        {
            content: "The dashboard shows the account and what is due today",
            trigger: ".o_kanban_record:contains(Role seller):contains(1 to ship today)",
        },
        {
            content: "Open the deliveries to ship today",
            trigger: ".o_kanban_record:contains(Role seller) a:contains(to ship today)",
            run: "click",
        },
        {
            content: "The order's delivery is listed",
            trigger: ".o_list_view .o_data_row:contains(Erika Mustermann)",
        },
        {
            content: "Open the Amazon menu of Sales",
            trigger: ".o_main_navbar .dropdown-toggle:contains(Amazon)",
            run: "click",
        },
        {
            content: "Open the offers",
            trigger: ".dropdown-item:contains(Offers)",
            run: "click",
        },
        {
            content: "Open the offer of the SKU sold",
            trigger: ".o_list_view .o_data_row:contains(MUG-01) .o_data_cell:first",
            run: "click",
        },
        {
            content: "The offer shows its listing on amazon.de",
            trigger: ".o_form_view .o_field_widget[name=listing_ids] .o_data_row:contains(Amazon.de)",
        },
    ],
});

// A warehouse user: the dashboard (Inventory's Amazon Dashboard), the
// deliveries due today, one validated with its tracking number and confirmed
// to Amazon.
registry.category("web_tour.tours").add("sale_amazon_connector_warehouse_tour", {
    url: "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
    steps: () => [
        {
            content: "The dashboard shows what is due today",
            trigger: ".o_kanban_record:contains(Role seller):contains(1 to ship today)",
        },
        {
            content: "The orders are counted, not opened: no customers nor totals for the warehouse",
            trigger: ".o_kanban_record:contains(Role seller):contains(orders placed today):not(:has(a[name=action_view_orders]))",
        },
        {
            content: "Open the deliveries to ship today",
            trigger: ".o_kanban_record:contains(Role seller) a:contains(to ship today)",
            run: "click",
        },
        {
            content: "The list says whose deliveries and why they are listed",
            trigger: ".o_breadcrumb:contains(Amazon Deliveries of Role seller)",
        },
        {
            content: "The filter applied is shown",
            trigger: ".o_searchview .o_facet_value:contains(Amazon: Ship Today)",
        },
        {
            content: "Open the delivery due today",
            trigger: ".o_list_view .o_data_row:contains(Erika Mustermann) .o_data_cell:first",
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
            run: "edit 1ZROLE0001",
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

// A billing user (Community's invoicing role, without Accounting's read-only
// group): Invoicing > Customers > Amazon Payouts, one booked with its journal
// items, its transactions, the refund's credit note, never emailed.
registry.category("web_tour.tours").add("sale_amazon_connector_accountant_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open Invoicing",
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            content: "Open the Customers menu of Invoicing",
            trigger: ".o_main_navbar .dropdown-toggle:contains(Customers)",
            run: "click",
        },
        {
            content: "Open Amazon's payouts",
            trigger: ".dropdown-item:contains(Amazon Payouts)",
            run: "click",
        },
        {
            content: "The payout is listed, booked",
            trigger: ".o_list_view .o_data_row:contains(Role seller):contains(Booked)",
        },
        {
            content: "Open it",
            trigger: ".o_list_view .o_data_row:contains(Role seller) .o_data_cell:first",
            run: "click",
        },
        {
            content: "It shows its journal entry and what Amazon transferred",
            trigger: ".o_form_view .o_field_widget[name=move_id]:contains(AMZP)",
        },
        {
            content: "Its journal items are on the payout",
            trigger: ".o_form_view .o_field_widget[name=move_line_ids] .o_data_row:contains(Amazon Clearing)",
        },
        {
            content: "Open its transactions",
            trigger: ".o_form_view button[name=action_view_transactions]",
            run: "click",
        },
        {
            content: "The payout's transactions are listed",
            trigger: ".o_breadcrumb:contains(Amazon Transactions)",
        },
        {
            content: "Open the refund",
            trigger: ".o_list_view .o_data_row:contains(Credit Note Posted) .o_data_cell:first",
            run: "click",
        },
        {
            content: "The refund shows its credit note",
            trigger: ".o_form_view .o_field_widget[name=credit_note_id]:contains(/)",
        },
        {
            content: "Open the credit note",
            trigger: ".o_form_view .o_field_widget[name=credit_note_id] a",
            run: "click",
        },
        {
            content: "Try to send it by email",
            trigger: ".o_form_view .o_statusbar_buttons button:contains(Send)",
            run: "click",
        },
        {
            content: "Odoo says why an Amazon buyer is never emailed; no email wizard opens",
            trigger: ".modal:contains(never emailed):not(:has(.o_mail_composer_form_view))",
        },
    ],
});

registry.category("web_tour.tours").add("sale_amazon_connector_invoice_upload_tour", {
    steps: () => [
        {
            content: "The invoice says Amazon did not take it, and why",
            trigger: ".o_form_view .alert-danger:contains(Amazon did not take this document):contains(does not match)",
        },
        {
            content: "Upload it again",
            trigger: ".o_form_view button[name=action_amazon_upload_again]",
            run: "click",
        },
        {
            content: "The refusal is gone: it waits for the next upload",
            trigger: ".o_form_view:not(:has(.alert-danger:contains(Amazon did not take this document)))",
        },
        {
            content: "Its Amazon status is in Other Info",
            trigger: ".o_notebook .nav-link[name=other_info]",
            run: "click",
        },
        {
            content: "To Upload, for the order's marketplace",
            trigger: ".o_form_view .o_field_widget[name=amazon_upload_state]:contains(To Upload)",
        },
    ],
});

// A salesman cancels the order (issue #35): Odoo's Cancel asks Amazon's
// reason, cancels here and queues the cancellation for Amazon.
registry.category("web_tour.tours").add("sale_amazon_connector_cancel_tour", {
    steps: () => [
        {
            content: "The imported order is confirmed",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Sales Order)",
        },
        {
            content: "Cancel it, as for any order",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_cancel]",
            run: "click",
        },
        {
            content: "Amazon's reason is asked",
            trigger: ".modal .o_field_widget[name=reason] select",
            run: `select "ShippingAddressUndeliverable"`,
        },
        {
            content: "Every item is chosen",
            trigger: ".modal .o_field_widget[name=line_ids] .o_tag:contains(Mug)",
        },
        {
            content: "Confirm",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The order is cancelled in Odoo",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Cancelled)",
        },
        {
            content: "Open its Amazon tab",
            trigger: ".o_notebook a.nav-link:contains(Amazon)",
            run: "click",
        },
        {
            content: "The cancellation waits to be sent to Amazon",
            trigger: ".o_field_widget[name=amazon_cancellation_ids] .o_data_row:contains(To Send)",
        },
    ],
});
