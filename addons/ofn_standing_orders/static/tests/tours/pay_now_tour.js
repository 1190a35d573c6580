/** @odoo-module */

import { registry } from "@web/core/registry";

/**
 * A customer pays their failed order with a new card whose bank asks for 3-D Secure: entered
 * with Stripe.js (the sandbox's shim), saved to the wallet, chosen, paid, confirmed with the
 * bank. tests/test_customer_pays.py.
 */
registry.category("web_tour.tours").add("ofn_standing_order_pay_new_card", {
    steps: () => [
        { content: "The order to pay", trigger: ".o_ofn_pay_amount:contains(18.25)" },
        { content: "Pay with a new card", trigger: ".o_ofn_pay_new_card .o_ofn_add_card", run: "click" },
        {
            content: "Type the card number (in Stripe.js)",
            trigger: '.o_ofn_pay_new_card input[name="ofn-shim-card-number"]',
            run: "edit 4000 0027 6000 3184",
        },
        {
            content: "Expiry",
            trigger: '.o_ofn_pay_new_card input[name="ofn-shim-card-expiry"]',
            run: "edit 12 / 34",
        },
        {
            content: "Security code",
            trigger: '.o_ofn_pay_new_card input[name="ofn-shim-card-cvc"]',
            run: "edit 123",
        },
        { content: "Save it", trigger: ".o_ofn_pay_new_card .o_ofn_save_card", run: "click" },
        {
            content: "The bank asks to confirm the card",
            trigger: "#ofn-shim-3ds-complete",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the pay page, the new card is chosen",
            trigger: ".o_ofn_pay_card:contains(3184) input:checked",
        },
        {
            content: "Pay",
            trigger: ".o_ofn_pay_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The bank asks to confirm the payment",
            trigger: "#ofn-shim-3ds-complete",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Paid",
            trigger: ".o_ofn_standing_orders_message:contains(is paid)",
        },
    ],
});
