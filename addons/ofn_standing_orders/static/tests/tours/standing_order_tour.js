/** @odoo-module */

import { registry } from "@web/core/registry";

/**
 * The customer follows the link of their e-mail: their bank asks them to confirm the
 * off-session payment of a standing order (3-D Secure, the sandbox's Stripe.js shim).
 * tests/test_authentication.py.
 */
registry.category("web_tour.tours").add("ofn_standing_order_authenticate", {
    steps: () => [
        {
            content: "Confirm the payment with the bank",
            trigger: ".o_ofn_authenticate_confirm",
            run: "click",
        },
        {
            content: "Answer the bank's 3-D Secure page",
            trigger: "#ofn-shim-3ds-complete",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The payment is confirmed",
            trigger: ".o_ofn_wallet_message:contains(your payment is confirmed)",
        },
    ],
});
