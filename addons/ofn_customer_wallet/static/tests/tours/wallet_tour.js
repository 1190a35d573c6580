/** @odoo-module */

import { registry } from "@web/core/registry";

/**
 * A customer allows a hub to charge their card, and their bank asks for 3-D Secure: the Wallet
 * page completes it with Stripe.js (the sandbox's shim). tests/test_wallet_tour.py.
 */

function allowAndAnswer(button) {
    return [
        {
            content: "Allow the hub to charge the card",
            trigger: ".o_ofn_wallet_consents tr:contains(Tour Hub) .o_ofn_consent_grant",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The bank asks to confirm the card",
            trigger: ".o_ofn_consent_pending",
        },
        {
            content: "Answer the bank's 3-D Secure page",
            trigger: button,
            run: "click",
            expectUnloadPage: true,
        },
    ];
}

registry.category("web_tour.tours").add("ofn_wallet_consent_3ds", {
    steps: () => [
        ...allowAndAnswer("#ofn-shim-3ds-complete"),
        {
            content: "The hub may now charge the card",
            trigger: ".o_ofn_wallet_message:contains(may now charge your card)",
        },
        {
            content: "The consent shows as allowed",
            trigger: ".o_ofn_wallet_consents .badge:contains(Allowed)",
        },
    ],
});

registry.category("web_tour.tours").add("ofn_wallet_consent_3ds_failed", {
    steps: () => [
        ...allowAndAnswer("#ofn-shim-3ds-fail"),
        {
            content: "The failure is said plainly",
            trigger: ".o_ofn_wallet_error",
        },
        {
            content: "The consent is off",
            trigger: ".o_ofn_wallet_consents .badge:contains(Failed)",
        },
    ],
});

registry.category("web_tour.tours").add("ofn_wallet_add_card", {
    steps: () => [
        { content: "Add a card", trigger: ".o_ofn_add_card", run: "click" },
        {
            content: "Type the card number (in Stripe.js)",
            trigger: 'input[name="ofn-shim-card-number"]',
            run: "edit 4242 4242 4242 4242",
        },
        { content: "Expiry", trigger: 'input[name="ofn-shim-card-expiry"]', run: "edit 12 / 34" },
        { content: "Security code", trigger: 'input[name="ofn-shim-card-cvc"]', run: "edit 123" },
        {
            content: "Save the card",
            trigger: ".o_ofn_save_card",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The card is in the wallet",
            trigger: ".o_ofn_wallet_message:contains(Your card was saved)",
        },
        { content: "As the default card", trigger: ".o_ofn_wallet_cards .badge:contains(Default)" },
    ],
});

registry.category("web_tour.tours").add("ofn_wallet_authenticate_payment", {
    steps: () => [
        {
            content: "A payment waits for the customer",
            trigger: ".o_ofn_wallet_awaiting .o_ofn_authenticate",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Confirm with the bank",
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

registry.category("web_tour.tours").add("ofn_checkout_save_card_to_wallet", {
    steps: () => [
        {
            content: "At the hub's checkout, save a new card to the wallet",
            trigger: ".o_ofn_checkout_wallet .o_ofn_add_card",
            run: "click",
        },
        {
            content: "Type the card number (in Stripe.js, on the platform)",
            trigger: '.o_ofn_checkout_wallet input[name="ofn-shim-card-number"]',
            run: "edit 4242 4242 4242 4242",
        },
        {
            content: "Expiry",
            trigger: '.o_ofn_checkout_wallet input[name="ofn-shim-card-expiry"]',
            run: "edit 12 / 34",
        },
        {
            content: "Security code",
            trigger: '.o_ofn_checkout_wallet input[name="ofn-shim-card-cvc"]',
            run: "edit 123",
        },
        {
            content: "Save it to the wallet",
            trigger: ".o_ofn_checkout_wallet .o_ofn_save_card",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back at the checkout, the new card is offered",
            trigger: 'input[name="o_payment_radio"][data-payment-option-type="token"]:checked',
        },
        {
            content: "Pay with it",
            trigger: 'button[name="o_payment_submit_button"]:enabled',
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Paid",
            trigger: 'div[name="o_payment_status_alert"].alert-success:contains("Thank you!")',
        },
    ],
});
