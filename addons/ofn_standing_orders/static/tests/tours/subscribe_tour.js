/** @odoo-module */

import { registry } from "@web/core/registry";
import { newCardSteps } from "@ofn_standing_orders/../tests/tours/new_card_steps";

/**
 * A new visitor opens a hub's subscription page, signs up (Odoo's sign-up form), comes back,
 * chooses a weekly box, enters a new card whose bank asks for 3-D Secure (the sandbox's
 * Stripe.js shim), subscribes (3-D Secure again: the hub may charge the card) and sees the
 * standing order. tests/test_self_subscribe.py.
 */
registry.category("web_tour.tours").add("ofn_standing_order_subscribe", {
    steps: () => [
        { content: "The offer", trigger: ".o_ofn_subscribe_offer:contains(Vegetable box)" },
        {
            content: "Create an account",
            trigger: ".o_ofn_subscribe_signup",
            run: "click",
            expectUnloadPage: true,
        },
        { content: "Name", trigger: 'input[name="name"]', run: "edit Vera Visitor" },
        { content: "E-mail", trigger: 'input[name="login"]', run: "edit vera.visitor@customer.example" },
        { content: "Password", trigger: 'input[name="password"]', run: "edit vera-visitor-2026" },
        {
            content: "Password again",
            trigger: 'input[name="confirm_password"]',
            run: "edit vera-visitor-2026",
        },
        {
            content: "Sign up",
            trigger: ".oe_signup_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the subscription page: two vegetable boxes",
            trigger: ".o_ofn_subscribe_line:contains(Vegetable box) .o_ofn_subscribe_qty",
            run: "edit 2",
        },
        {
            content: "and three dozen eggs",
            trigger: ".o_ofn_subscribe_line:contains(Eggs) .o_ofn_subscribe_qty",
            run: "edit 3",
        },
        { content: "The estimate per cycle", trigger: ".o_ofn_subscribe_estimate:contains(50.00)" },
        { content: "No card yet", trigger: ".o_ofn_no_cards" },
        ...newCardSteps(".o_ofn_subscribe_new_card", "4000 0025 0000 3155"),
        {
            content: "Back on the page, the new card is chosen",
            trigger: ".o_ofn_subscribe_card:contains(3155) input:checked",
        },
        {
            content: "and the choices are kept",
            trigger: ".o_ofn_subscribe_estimate:contains(50.00)",
        },
        {
            content: "Subscribing allows the hub to charge the card",
            trigger: ".o_ofn_subscribe_consent:contains(Subscribe Hub)",
        },
        {
            content: "Subscribe",
            trigger: ".o_ofn_subscribe_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The bank asks to confirm that the hub may charge the card",
            trigger: "#ofn-shim-3ds-complete",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The standing order is active",
            trigger: ".o_ofn_standing_orders_message:contains(is active)",
        },
        {
            content: "and listed",
            trigger: ".o_ofn_standing_order:contains(Vegetable box):contains(Eggs)",
        },
    ],
});
