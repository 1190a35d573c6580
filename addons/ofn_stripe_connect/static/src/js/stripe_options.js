/** @odoo-module */

import { patch } from "@web/core/utils/patch";
import { StripeOptions } from "@payment_stripe/js/stripe_options";

/**
 * payment_stripe's Stripe Connect hook: on a hub's checkout, Stripe.js acts on the hub's connected
 * account (`stripeAccount`), so the client secrets of the intents created there are accepted.
 * The hub's account id comes with the inline form values (`stripe_account`).
 */
patch(StripeOptions.prototype, {
    _prepareStripeOptions(processingValues) {
        const options = super._prepareStripeOptions(...arguments);
        let values = processingValues || {};
        if (values.stripeInlineFormValues) {
            values = JSON.parse(values.stripeInlineFormValues);
        }
        const account = values.stripe_account || values.stripeAccount;
        if (account) {
            options.stripeAccount = account;
        }
        return options;
    },
});
