/** @odoo-module */

import { registry } from "@web/core/registry";
import { newCardSteps } from "@ofn_standing_orders/../tests/tours/new_card_steps";

/**
 * A customer pays their failed order with a new card whose bank asks for 3-D Secure: entered
 * with Stripe.js (the sandbox's shim), saved to the wallet, chosen, paid, confirmed with the
 * bank. tests/test_customer_pays.py.
 */
registry.category("web_tour.tours").add("ofn_standing_order_pay_new_card", {
    steps: () => [
        { content: "The order to pay", trigger: ".o_ofn_pay_amount:contains(18.25)" },
        ...newCardSteps(".o_ofn_pay_new_card", "4000 0027 6000 3184"),
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
