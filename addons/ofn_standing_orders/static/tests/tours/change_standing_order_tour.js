/** @odoo-module */

import { registry } from "@web/core/registry";

/**
 * A customer changes their standing order's products (2 eggs and a vegetable box): the estimate
 * follows the quantities typed, then the change is saved. tests/test_portal_changes.py.
 */
registry.category("web_tour.tours").add("ofn_standing_order_change_products", {
    steps: () => [
        { content: "The estimate per cycle", trigger: ".o_ofn_change_estimate:contains(27.25)" },
        {
            content: "Three eggs",
            trigger: ".o_ofn_offer_lines tr:contains(Eggs) input",
            run: "edit 3",
        },
        {
            content: "No vegetable box",
            trigger: ".o_ofn_offer_lines tr:contains(Vegetable box) input",
            run: "edit 0",
        },
        { content: "The estimate follows", trigger: ".o_ofn_change_estimate:contains(13.50)" },
        {
            content: "Save",
            trigger: ".o_ofn_save_standing_order",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Changed",
            trigger: ".o_ofn_standing_orders_message:contains(Eggs (12) × 3)",
        },
    ],
});
