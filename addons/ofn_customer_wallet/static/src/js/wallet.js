/** @odoo-module */

import publicWidget from "@web/legacy/js/public/public_widget";
import { rpc } from "@web/core/network/rpc";

/**
 * The Wallet page: card entry with Stripe.js (the server only ever receives a SetupIntent id),
 * and 3-D Secure when a bank asks for it while the customer allows a hub to charge the card.
 */
publicWidget.registry.OfnWallet = publicWidget.Widget.extend({
    selector: ".o_ofn_wallet",
    events: {
        "click .o_ofn_add_card": "_onAddCard",
        "click .o_ofn_save_card": "_onSaveCard",
    },

    async start() {
        await this._super(...arguments);
        const pending = this.el.querySelector(".o_ofn_consent_pending");
        if (pending) {
            await this._authenticateConsent(pending.dataset);
        }
    },

    async _onAddCard(ev) {
        ev.currentTarget.classList.add("d-none");
        const setup = await rpc("/my/wallet/cards/setup", {});
        this.clientSecret = setup.client_secret;
        this.stripe = Stripe(this.el.dataset.publishableKey);
        // deferred intent, as payment_stripe's form: the SetupIntent is confirmed on save
        this.elements = this.stripe.elements({
            mode: "setup",
            currency: setup.currency || "eur",
            setupFutureUsage: "off_session",
            paymentMethodCreation: "manual",
        });
        this.elements.create("payment").mount(this.el.querySelector(".o_ofn_card_element"));
        this.el.querySelector(".o_ofn_card_entry").classList.remove("d-none");
    },

    async _onSaveCard() {
        const submitted = await this.elements.submit();
        if (submitted.error) {
            this._showError(submitted.error.message);
            return;
        }
        const { error } = await this.stripe.confirmSetup({
            elements: this.elements,
            clientSecret: this.clientSecret,
            confirmParams: { return_url: this._savedUrl() },
        });
        if (error) {
            this._showError(error.message);
        }
    },

    /** Back to the Wallet after saving, or to the checkout the card was entered on. */
    _savedUrl() {
        const url = new URL("/my/wallet/cards/saved", window.location.origin);
        if (this.el.dataset.returnUrl) {
            url.searchParams.set("return_url", this.el.dataset.returnUrl);
        }
        return url.toString();
    },

    async _authenticateConsent(data) {
        const stripe = Stripe(this.el.dataset.publishableKey, { stripeAccount: data.stripeAccount });
        const { error } = await stripe.handleNextAction({ clientSecret: data.clientSecret });
        const result = await rpc(`/my/wallet/consents/${data.consentId}/confirm`, {});
        const query = new URLSearchParams(
            result.state === "active"
                ? { message: "The hub may now charge your card." }
                : { error: (error && error.message) || result.reason || "The card was not confirmed." }
        );
        window.location.assign(`/my/wallet?${query}`);
    },

    _showError(message) {
        let box = this.el.querySelector(".o_ofn_wallet_error");
        if (!box) {
            box = document.createElement("div");
            box.className = "alert alert-danger o_ofn_wallet_error";
            box.setAttribute("role", "alert");
            this.el.prepend(box);
        }
        box.textContent = message;
    },
});

/**
 * A payment awaiting 3-D Secure (/my/wallet/authenticate/<tx>): the customer answers their bank
 * with Stripe.js, on the hub's account, then the server reads the outcome.
 */
publicWidget.registry.OfnWalletAuthenticate = publicWidget.Widget.extend({
    selector: ".o_ofn_authenticate",
    events: { "click .o_ofn_authenticate_confirm": "_onConfirm" },

    async _onConfirm(ev) {
        ev.currentTarget.disabled = true;
        const data = this.el.dataset;
        const stripe = Stripe(data.publishableKey, { stripeAccount: data.stripeAccount });
        const { error } = await stripe.handleNextAction({ clientSecret: data.clientSecret });
        const result = await rpc(`/my/wallet/authenticate/${data.txId}/done`, {
            access_token: data.accessToken,
        });
        if (result.state === "done" || result.state === "authorized") {
            window.location.assign(
                `/my/wallet?${new URLSearchParams({ message: "Thank you: your payment is confirmed." })}`
            );
            return;
        }
        const box = this.el.querySelector(".o_ofn_authenticate_error");
        box.textContent = (error && error.message) || result.message || "The payment was not confirmed.";
        box.classList.remove("d-none");
        ev.currentTarget.disabled = false;
    },
});
