/** @odoo-module */

import publicWidget from "@web/legacy/js/public/public_widget";
import { rpc } from "@web/core/network/rpc";

/**
 * "Pay now" of a standing order's order (/my/standing_orders/occurrence/<id>/pay): when the bank
 * asks for 3-D Secure, the customer answers it with Stripe.js on the hub's account, then the
 * server reads the outcome and says where to go.
 */
publicWidget.registry.OfnStandingOrderPayNow = publicWidget.Widget.extend({
    selector: ".o_ofn_pay_pending",

    async start() {
        await this._super(...arguments);
        const data = this.el.dataset;
        const stripe = Stripe(data.publishableKey, { stripeAccount: data.stripeAccount });
        const { error } = await stripe.handleNextAction({ clientSecret: data.clientSecret });
        const result = await rpc(data.doneUrl, {});
        if (error && result.state !== "paid") {
            this.el.classList.replace("alert-warning", "alert-danger");
            this.el.textContent = error.message;
        }
        window.location.assign(result.redirect);
    },
});
