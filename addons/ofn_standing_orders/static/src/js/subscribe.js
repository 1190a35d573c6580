/** @odoo-module */

import publicWidget from "@web/legacy/js/public/public_widget";
import { rpc } from "@web/core/network/rpc";

/**
 * A schedule's subscription page (/standing_orders/subscribe/<id>): the estimate per cycle
 * follows the quantities; a new card is entered with the wallet's own entry, which comes back
 * here with what the customer chose (the return link follows the form); when the bank asks for
 * 3-D Secure to allow the hub to charge the card, the customer answers it with Stripe.js on the
 * hub's account, then the server makes the standing order with the same choices.
 */
publicWidget.registry.OfnStandingOrderSubscribe = publicWidget.Widget.extend({
    selector: ".o_ofn_subscribe",
    events: {
        "input .o_ofn_subscribe_form": "_onChange",
        "change .o_ofn_subscribe_form": "_onChange",
        "submit .o_ofn_subscribe_form": "_onSubmit",
    },

    async start() {
        await this._super(...arguments);
        this.form = this.el.querySelector(".o_ofn_subscribe_form");
        if (!this.form) {
            return; // a visitor, or the schedule is not offered
        }
        this._onChange();
        const pending = this.el.querySelector(".o_ofn_subscribe_pending");
        if (pending) {
            await this._authenticate(pending);
        }
    },

    /** What the form holds, without its CSRF token. */
    _choices() {
        const data = Object.fromEntries(new FormData(this.form).entries());
        delete data.csrf_token;
        return data;
    },

    _onChange() {
        let total = 0;
        for (const input of this.form.querySelectorAll(".o_ofn_subscribe_qty")) {
            total += (parseFloat(input.value) || 0) * parseFloat(input.dataset.price);
        }
        const estimate = this.el.querySelector(".o_ofn_subscribe_estimate");
        estimate.textContent = new Intl.NumberFormat(document.documentElement.lang || undefined, {
            style: "currency",
            currency: estimate.dataset.currency,
        }).format(total);
        // back from the new card's entry with these choices, the new card chosen
        const wallet = this.el.querySelector(".o_ofn_subscribe_new_card");
        if (wallet) {
            const query = new URLSearchParams({ ...this._choices(), new_card: 1 });
            query.delete("card_id");
            wallet.dataset.returnUrl = `${this.form.getAttribute("action")}?${query}`;
        }
    },

    _onSubmit() {
        // one standing order per form: the button waits for the answer (the server checks too)
        this.form.querySelector(".o_ofn_subscribe_submit").disabled = true;
    },

    async _authenticate(pending) {
        const data = pending.dataset;
        const stripe = Stripe(data.publishableKey, { stripeAccount: data.stripeAccount });
        const { error } = await stripe.handleNextAction({ clientSecret: data.clientSecret });
        const result = await rpc(`${this.form.getAttribute("action")}/confirm`, {
            consent_id: parseInt(data.consentId),
            form: this._choices(),
        });
        if (result.redirect) {
            window.location.assign(result.redirect);
            return;
        }
        pending.classList.replace("alert-warning", "alert-danger");
        pending.classList.add("o_ofn_subscribe_error");
        pending.textContent = result.error || (error && error.message);
    },
});
