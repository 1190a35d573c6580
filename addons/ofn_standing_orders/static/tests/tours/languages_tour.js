/** @odoo-module */

import { registry } from "@web/core/registry";

/**
 * A French-speaking customer's Wallet and Standing orders pages are served in French: the
 * tour checks the pages and their elements, tests/test_languages.py checks their texts
 * against the addons' fr.po.
 */
registry.category("web_tour.tours").add("ofn_portal_in_french", {
    steps: () => [
        { content: "The Wallet page, in French", trigger: ".o_ofn_wallet h3" },
        {
            content: "The wallet's card",
            trigger: '.o_ofn_wallet span:contains(4242)',
            run() {
                window.location.href = "/my/standing_orders";
            },
            expectUnloadPage: true,
        },
        {
            content: "The Standing orders page, in French",
            trigger: ".o_ofn_standing_orders h3",
        },
        {
            content: "The customer's standing order",
            trigger: ".o_ofn_standing_orders .o_ofn_occurrence[data-state]",
        },
    ],
});
