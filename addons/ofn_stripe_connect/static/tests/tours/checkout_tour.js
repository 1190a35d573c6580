/** @odoo-module */

import { waitFor } from "@odoo/hoot-dom";
import { registry } from "@web/core/registry";

/**
 * A customer pays a hub on Odoo's payment page (/payment/pay) with a new card, typed into the
 * Stripe.js shim of the sandbox (OFN_STRIPE_JS_URL): tests/test_checkout_tour.py.
 */

function typeCard(number) {
    return [
        {
            content: "Type the card number",
            trigger: 'input[name="ofn-shim-card-number"]',
            run: `edit ${number}`,
        },
        {
            content: "Type the expiry date",
            trigger: 'input[name="ofn-shim-card-expiry"]',
            run: "edit 12 / 34",
        },
        {
            content: "Type the security code",
            trigger: 'input[name="ofn-shim-card-cvc"]',
            run: "edit 123",
        },
    ];
}

function pay({ expectUnloadPage = false } = {}) {
    return {
        content: "Pay",
        trigger: 'button[name="o_payment_submit_button"]:enabled',
        run: "click",
        expectUnloadPage,
    };
}

const paid = {
    content: "The confirmation page says the payment is done",
    trigger: 'div[name="o_payment_status_alert"].alert-success:contains("Thank you!")',
};

registry.category("web_tour.tours").add("ofn_stripe_checkout_card", {
    steps: () => [...typeCard("4242 4242 4242 4242"), pay({ expectUnloadPage: true }), paid],
});

registry.category("web_tour.tours").add("ofn_stripe_checkout_3ds", {
    steps: () => [
        ...typeCard("4000 0027 6000 3184"),
        {
            ...pay({ expectUnloadPage: true }),
            content: "Pay, then complete 3-D Secure in the shim's dialog",
            // The dialog shows while Odoo's payment form blocks the UI (as Stripe's 3-D Secure
            // frame does), when tour triggers wait: the step's own run() answers it.
            async run(helpers) {
                await helpers.click();
                await helpers.click(await waitFor("#ofn-shim-3ds-complete", { timeout: 10000 }));
            },
        },
        paid,
    ],
});

registry.category("web_tour.tours").add("ofn_stripe_checkout_declined", {
    steps: () => [
        ...typeCard("4000 0000 0000 0002"),
        pay(),
        {
            content: "Odoo shows Stripe's decline message",
            trigger: '.modal-body:contains("Your card was declined.")',
        },
    ],
});
