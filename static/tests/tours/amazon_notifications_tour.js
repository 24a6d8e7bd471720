/** @odoo-module **/

import { registry } from "@web/core/registry";

// Driven by tests/test_tour.py (TestNotificationTours): a sales manager
// subscribes an account to Amazon's notifications, then sees on the
// dashboard that its orders arrive in seconds.
registry.category("web_tour.tours").add("sale_amazon_connector_subscribe_tour", {
    steps: () => [
        {
            content: "Open the account's Notifications tab",
            trigger: ".o_form_view .o_notebook a.nav-link:contains(Notifications)",
            run: "click",
        },
        {
            content: "Polling only, for now",
            trigger: ".o_field_widget[name=notifications_state]:contains(Polling Only)",
        },
        {
            content: "Subscribe",
            trigger: ".o_form_view button[name=action_subscribe_notifications]:contains(Subscribe to Notifications)",
            run: "click",
        },
        {
            content: "Amazon sends the account's order changes to the queue",
            trigger: ".o_field_widget[name=notification_subscription_ids] .o_data_row:contains(Order Changes)",
        },
        {
            content: "They can be removed again",
            trigger: ".o_form_view button[name=action_unsubscribe_notifications]",
        },
    ],
});

registry.category("web_tour.tours").add("sale_amazon_connector_notified_dashboard_tour", {
    steps: () => [
        {
            content: "The account's card says its orders arrive in seconds",
            trigger: ".o_kanban_record:contains(Emulated seller) .badge:contains(orders in seconds)",
        },
    ],
});
