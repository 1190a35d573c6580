/*
 * Stripe.js for the stripe_sandbox (GPL-3.0-or-later, like the rest of tools/stripe_sandbox).
 *
 * The sandbox serves this file at /js.stripe.com/v3/ in place of https://js.stripe.com/v3/, and
 * OFN_STRIPE_JS_URL points Odoo's pages at it, so that payment pages work without internet. It
 * implements the part of Stripe.js that Odoo's payment_stripe and the OFN pages call:
 *
 * - Stripe(publishableKey, {stripeAccount, apiVersion}): every call goes to the sandbox (the origin
 *   this script came from) with the publishable key, and `Stripe-Account` when set;
 * - elements(options).create('payment' | 'card', options): plain card number, expiry and CVC
 *   inputs (named ofn-shim-card-number, ofn-shim-card-expiry, ofn-shim-card-cvc) with mount, on /
 *   off ('ready', 'change'), update, unmount, destroy; elements.submit();
 * - confirmPayment / confirmSetup (redirect to return_url as Stripe does, or redirect:
 *   'if_required'), confirmCardPayment / confirmCardSetup, handleNextAction,
 *   retrievePaymentIntent / retrieveSetupIntent;
 * - paymentRequest(): never available (canMakePayment() resolves to null), so express checkout
 *   buttons hide themselves;
 * - 3-D Secure: a dialog over the page (buttons #ofn-shim-3ds-complete and #ofn-shim-3ds-fail) in
 *   place of the bank's page, answered through the sandbox's _authenticate routes.
 *
 * Not implemented: payment methods other than cards, wallets, Link, iframes, appearance options,
 * localisation, card brands other than 16-digit ones. Like Stripe.js, it sends card numbers only to
 * its own server (the sandbox) and never logs them.
 */
(function () {
    "use strict";

    // This script is served at <sandbox>/js.stripe.com/v3/: API calls go to <sandbox>.
    const API_BASE = document.currentScript.src.replace(/\/js\.stripe\.com\/v3\/?(\?.*)?$/, "");

    const INTENTS = {
        payment: {prefix: "pi", path: "/v1/payment_intents", result: "paymentIntent"},
        setup: {prefix: "seti", path: "/v1/setup_intents", result: "setupIntent"},
    };
    // The `redirect_status` Stripe adds to return_url, by intent status (anything else: failed).
    const REDIRECT_STATUS = {
        succeeded: "succeeded",
        requires_capture: "succeeded",
        processing: "processing",
    };
    const CARD_FIELDS = [
        // [field, label, placeholder, autocomplete]
        ["number", "Card number", "1234 1234 1234 1234", "cc-number"],
        ["expiry", "Expiration date", "MM / YY", "cc-exp"],
        ["cvc", "Security code", "CVC", "cc-csc"],
    ];

    /** What Stripe.js throws when it is called wrongly (as opposed to errors it resolves to). */
    class IntegrationError extends Error {
        name = "IntegrationError";
    }

    function validationError(code, message) {
        return {type: "validation_error", code, message};
    }

    /**
     * Stripe's form encoding: nested objects become `a[b][c]=value`. Empty values are left out, as
     * Stripe.js leaves them out: the API reads `a=` as "unset a" and refuses it for most
     * parameters (Odoo's billing details have '' for the address lines a customer has not got).
     */
    function formEncode(params, prefix = "", form = new URLSearchParams()) {
        for (const [name, value] of Object.entries(params)) {
            const key = prefix ? `${prefix}[${name}]` : name;
            if (value === undefined || value === null || value === "") {
                continue;
            } else if (typeof value === "object") {
                formEncode(value, key, form);
            } else {
                form.append(key, String(value));
            }
        }
        return form;
    }

    /** `{kind, id}` of the intent a client secret (`pi_..._secret_...`) belongs to. */
    function parseClientSecret(clientSecret, expectedKind = null) {
        const match = /^((pi|seti)_[A-Za-z0-9]+)_secret_/.exec(clientSecret || "");
        const kind = match && (match[2] === "pi" ? "payment" : "setup");
        if (!kind || (expectedKind && kind !== expectedKind)) {
            const prefix = expectedKind ? INTENTS[expectedKind].prefix : "pi or seti";
            throw new IntegrationError(
                `Invalid value for clientSecret: expected the client secret of a ${prefix}_ ` +
                    "intent, of the form ${id}_secret_${secret}."
            );
        }
        return {kind, id: match[1]};
    }

    function luhnValid(digits) {
        let sum = 0;
        for (let i = 0; i < digits.length; i++) {
            let digit = Number(digits[digits.length - 1 - i]);
            if (i % 2 === 1) {
                digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
            }
            sum += digit;
        }
        return sum % 10 === 0;
    }

    /** The typed card as the API takes it, or the first problem with it in Stripe.js's words. */
    function readCard({number, expiry, cvc}) {
        const digits = number.replace(/\D/g, "");
        if (digits.length < 16) {
            return {error: validationError("incomplete_number", "Your card number is incomplete.")};
        }
        if (digits.length > 16 || !luhnValid(digits)) {
            return {error: validationError("invalid_number", "Your card number is invalid.")};
        }
        const date = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(expiry);
        if (!date) {
            return {
                error: validationError(
                    "incomplete_expiry",
                    "Your card's expiration date is incomplete."
                ),
            };
        }
        const month = Number(date[1]);
        const year = date[2].length === 2 ? 2000 + Number(date[2]) : Number(date[2]);
        const now = new Date();
        if (month < 1 || month > 12) {
            return {
                error: validationError(
                    "invalid_expiry_month",
                    "Your card's expiration date is invalid."
                ),
            };
        }
        if (year < now.getFullYear()) {
            return {
                error: validationError(
                    "invalid_expiry_year_past",
                    "Your card's expiration year is in the past."
                ),
            };
        }
        if (year === now.getFullYear() && month < now.getMonth() + 1) {
            return {
                error: validationError(
                    "invalid_expiry_month_past",
                    "Your card's expiration date is in the past."
                ),
            };
        }
        if (!/^\s*\d{3}\s*$/.test(cvc)) {
            return {
                error: validationError(
                    "incomplete_cvc",
                    "Your card's security code is incomplete."
                ),
            };
        }
        return {card: {number: digits, exp_month: month, exp_year: year, cvc: cvc.trim()}};
    }

    /**
     * In place of the bank's 3-D Secure page: a dialog over the page (above Odoo's UI blocker).
     * Resolves to whether the customer completed the authentication.
     */
    function authenticationDialog() {
        return new Promise((resolve) => {
            const overlay = document.createElement("div");
            overlay.className = "ofn-shim-3ds";
            overlay.setAttribute("role", "dialog");
            overlay.setAttribute("aria-modal", "true");
            Object.assign(overlay.style, {
                position: "fixed",
                inset: "0",
                zIndex: "2147483647",
                display: "flex",
                alignItems: "center",
                justifyContent: "center",
                background: "rgba(0, 0, 0, 0.5)",
            });
            const box = document.createElement("div");
            Object.assign(box.style, {
                background: "#fff",
                color: "#222",
                padding: "1.5rem",
                borderRadius: "0.5rem",
                maxWidth: "24rem",
                textAlign: "center",
            });
            const title = document.createElement("h2");
            title.textContent = "3-D Secure authentication";
            const text = document.createElement("p");
            text.textContent = "Stripe sandbox: the card's bank asks the customer to authenticate.";
            box.append(title, text);
            const choose = (success) => {
                overlay.remove();
                resolve(success);
            };
            for (const [id, label, success] of [
                ["ofn-shim-3ds-complete", "Complete authentication", true],
                ["ofn-shim-3ds-fail", "Fail authentication", false],
            ]) {
                const button = document.createElement("button");
                Object.assign(button, {type: "button", id, textContent: label});
                button.style.margin = "0 0.25rem";
                button.addEventListener("click", () => choose(success));
                box.append(button);
            }
            overlay.append(box);
            document.body.append(overlay);
            box.querySelector("button").focus();
        });
    }

    /** An Element's events and life cycle; shown as nothing ('paymentRequestButton'). */
    class Element {
        constructor(elements, type, options) {
            this._elements = elements;
            this._type = type;
            this._options = {...options};
            this._handlers = {};
            this._root = null;
        }

        on(event, handler) {
            (this._handlers[event] ??= []).push(handler);
            return this;
        }

        off(event, handler) {
            this._handlers[event] = (this._handlers[event] || []).filter((h) => h !== handler);
            return this;
        }

        _emit(event, payload = {}) {
            for (const handler of this._handlers[event] || []) {
                handler({elementType: this._type, ...payload});
            }
        }

        mount(target) {
            const container = typeof target === "string" ? document.querySelector(target) : target;
            if (!(container instanceof window.Element)) {
                throw new IntegrationError(
                    "Invalid DOM element. Make sure to call mount() with a valid DOM element or " +
                        "selector."
                );
            }
            this.unmount();
            this._root = this._render();
            container.append(this._root);
            // Stripe.js reports 'ready' once the Element is shown, after mount() returned.
            setTimeout(() => this._emit("ready"));
        }

        _render() {
            return document.createElement("div");
        }

        update(options) {
            Object.assign(this._options, options);
        }

        unmount() {
            this._root?.remove();
            this._root = null;
        }

        destroy() {
            this.unmount();
            this._elements._forget(this);
        }
    }

    /** The card entry of the Payment Element and of the Card Element: three plain inputs. */
    class CardElement extends Element {
        _render() {
            const root = document.createElement("div");
            root.className = "ofn-shim-card";
            const row = document.createElement("div");
            Object.assign(row.style, {display: "flex", gap: "0.5rem"});
            this._inputs = {};
            for (const [field, label, placeholder, autocomplete] of CARD_FIELDS) {
                const input = document.createElement("input");
                Object.assign(input, {
                    type: "text",
                    name: `ofn-shim-card-${field}`,
                    className: "form-control",
                    inputMode: "numeric",
                    placeholder,
                    autocomplete,
                });
                input.setAttribute("aria-label", label);
                input.style.flex = field === "number" ? "3" : "1";
                input.addEventListener("input", () => this._changed());
                this._inputs[field] = input;
                row.append(input);
            }
            this._errorLine = document.createElement("div");
            this._errorLine.className = "ofn-shim-card-error text-danger small";
            this._errorLine.setAttribute("role", "alert");
            root.append(row, this._errorLine);
            return root;
        }

        _values() {
            const values = {};
            for (const [field] of CARD_FIELDS) {
                values[field] = this._root ? this._inputs[field].value : "";
            }
            return values;
        }

        /** Stripe.js's change event: `complete` once the card is valid, `empty` when blank. */
        _changed() {
            const values = this._values();
            this._showError(null);
            this._emit("change", {
                empty: Object.values(values).every((value) => !value.trim()),
                complete: !readCard(values).error,
                value: {type: "card"},
            });
        }

        _showError(error) {
            if (this._root) {
                this._errorLine.textContent = error ? error.message : "";
            }
        }

        /** The typed card, or its validation error (shown under the inputs too, as Stripe does). */
        _collect() {
            const result = readCard(this._values());
            this._showError(result.error);
            return result;
        }

        /** The Payment Element's `defaultValues.billingDetails`: the card's billing details. */
        _billingDetails() {
            return this._options.defaultValues?.billingDetails;
        }
    }

    const ELEMENT_TYPES = {payment: CardElement, card: CardElement, paymentRequestButton: Element};

    class Elements {
        constructor() {
            this._byType = {};
        }

        create(type, options = {}) {
            const ElementType = ELEMENT_TYPES[type];
            if (!ElementType) {
                throw new IntegrationError(
                    `The sandbox's Stripe.js does not implement Elements of type ${type}.`
                );
            }
            if (this._byType[type]) {
                throw new IntegrationError(`Can only create one Element of type ${type}.`);
            }
            return (this._byType[type] = new ElementType(this, type, options));
        }

        getElement(type) {
            return this._byType[type] || null;
        }

        /** Accepted and ignored, like elements()'s options: mode, amount, currency and
         * setupFutureUsage change what Stripe shows (wallets, mandates), not plain card inputs. */
        update() {}

        /** Stripe.js's validation before confirming: `{}`, or `{error}` when the card is not
         * complete. */
        async submit() {
            const {error} = this._cardElement()._collect();
            return error ? {error} : {};
        }

        _cardElement() {
            const element = this._byType.payment || this._byType.card;
            if (!element) {
                throw new IntegrationError("Create and mount a 'payment' or 'card' Element first.");
            }
            return element;
        }

        _forget(element) {
            delete this._byType[element._type];
        }
    }

    /** The Payment Request API (Apple Pay, Google Pay) is never available in the sandbox. */
    class PaymentRequest {
        async canMakePayment() {
            return null;
        }

        on() {}

        update() {}
    }

    class StripeShim {
        constructor(publishableKey, {stripeAccount, apiVersion} = {}) {
            if (typeof publishableKey !== "string" || !publishableKey.startsWith("pk_")) {
                throw new IntegrationError(
                    "Invalid API Key provided: Stripe.js takes a publishable key (pk_...)."
                );
            }
            this._key = publishableKey;
            this._stripeAccount = stripeAccount;
            this._apiVersion = apiVersion;
        }

        /**
         * One API call the way Stripe.js makes it: the publishable key as the `key` parameter,
         * `Stripe-Account` for a connected account. Resolves to `{object}`, or to Stripe's
         * `{error}`.
         */
        async _request(method, path, params = {}) {
            const form = formEncode({key: this._key, ...params});
            const headers = {};
            if (this._stripeAccount) {
                headers["Stripe-Account"] = this._stripeAccount;
            }
            if (this._apiVersion) {
                headers["Stripe-Version"] = this._apiVersion;
            }
            const get = method === "GET";
            let response;
            try {
                response = await fetch(API_BASE + path + (get ? `?${form}` : ""), {
                    method,
                    headers,
                    body: get ? undefined : form,
                });
            } catch {
                return {
                    error: {
                        type: "api_connection_error",
                        message: "The Stripe sandbox could not be reached.",
                    },
                };
            }
            const body = await response.json().catch(() => ({}));
            if (!response.ok || body.error) {
                return {
                    error: body.error || {
                        type: "api_error",
                        message: `The Stripe sandbox answered HTTP ${response.status}.`,
                    },
                };
            }
            return {object: body};
        }

        elements() {
            return new Elements();
        }

        paymentRequest() {
            return new PaymentRequest();
        }

        /** POST /v1/payment_methods with the card typed into `element`, as Stripe.js does. */
        async _createCard(element, billingDetails) {
            const {card, error} = element._collect();
            if (error) {
                return {error};
            }
            return this._request("POST", "/v1/payment_methods", {
                type: "card",
                card,
                billing_details: billingDetails ?? element._billingDetails(),
            });
        }

        /**
         * Confirm with the Payment Element (Odoo's payment form): create the card, confirm the
         * intent, authenticate if asked, then send the customer to return_url with the intent's
         * id, client secret and `redirect_status`, as Stripe.js does; with redirect: 'if_required'
         * resolve to the intent instead (cards never need a redirect). Errors resolve to `{error}`
         * without leaving the page.
         */
        async _confirm(kind, {elements, clientSecret, confirmParams = {}, redirect = "always"}) {
            const {id} = parseClientSecret(clientSecret, kind);
            const {payment_method_data: methodData, ...params} = confirmParams;
            if (redirect === "always" && !params.return_url) {
                throw new IntegrationError("confirmParams.return_url is required.");
            }
            if (!params.payment_method) {
                if (!elements) {
                    throw new IntegrationError("Pass `elements` or confirmParams.payment_method.");
                }
                const created = await this._createCard(
                    elements._cardElement(),
                    methodData?.billing_details
                );
                if (created.error) {
                    return {error: created.error};
                }
                params.payment_method = created.object.id;
            }
            const result = await this._confirmIntent(kind, id, clientSecret, params);
            if (result.error || redirect === "if_required") {
                return result;
            }
            const intent = result[INTENTS[kind].result];
            const target = new URL(params.return_url, window.location.href);
            target.searchParams.set(`${kind}_intent`, intent.id);
            target.searchParams.set(`${kind}_intent_client_secret`, clientSecret);
            target.searchParams.set("redirect_status", REDIRECT_STATUS[intent.status] || "failed");
            window.location.assign(target.href);
            return new Promise(() => {}); // the page is leaving, as after Stripe.js's redirect
        }

        confirmPayment(options) {
            return this._confirm("payment", options);
        }

        confirmSetup(options) {
            return this._confirm("setup", options);
        }

        /**
         * confirmCardPayment / confirmCardSetup: `payment_method` is a PaymentMethod id or
         * `{card: element, billing_details}`; without it the intent's own card is used.
         * No redirect: they resolve to `{paymentIntent}` / `{setupIntent}` or `{error}`.
         */
        async _confirmCard(kind, clientSecret, {payment_method: method, ...params} = {}) {
            const {id} = parseClientSecret(clientSecret, kind);
            if (typeof method === "object" && method !== null) {
                const created = await this._createCard(method.card, method.billing_details);
                if (created.error) {
                    return {error: created.error};
                }
                params.payment_method = created.object.id;
            } else if (method) {
                params.payment_method = method;
            }
            return this._confirmIntent(kind, id, clientSecret, params);
        }

        confirmCardPayment(clientSecret, data) {
            return this._confirmCard("payment", clientSecret, data);
        }

        confirmCardSetup(clientSecret, data) {
            return this._confirmCard("setup", clientSecret, data);
        }

        /** POST .../confirm with the client secret, then the 3-D Secure step if asked. */
        async _confirmIntent(kind, id, clientSecret, params) {
            const confirmed = await this._request("POST", `${INTENTS[kind].path}/${id}/confirm`, {
                ...params,
                client_secret: clientSecret,
            });
            if (confirmed.error) {
                return {error: confirmed.error};
            }
            return this._handleActions(kind, confirmed.object, clientSecret);
        }

        /**
         * An intent in `requires_action` waits for 3-D Secure: the customer answers the dialog and
         * the sandbox's _authenticate route records the answer. A failed authentication resolves
         * to `{error}` carrying the intent, as in Stripe.js.
         */
        async _handleActions(kind, intent, clientSecret) {
            const {path, result} = INTENTS[kind];
            if (intent.status === "requires_action") {
                const success = await authenticationDialog();
                const authenticated = await this._request(
                    "POST",
                    `${path}/${intent.id}/_authenticate`,
                    {client_secret: clientSecret, success}
                );
                if (authenticated.error) {
                    return {error: authenticated.error};
                }
                intent = authenticated.object;
            }
            const error = intent.last_payment_error || intent.last_setup_error;
            if (intent.status === "requires_payment_method" && error) {
                return {error: {...error, [`${kind}_intent`]: intent}};
            }
            return {[result]: intent};
        }

        /** Stripe.js's handleNextAction: fetch the intent and complete its 3-D Secure step. */
        async handleNextAction({clientSecret} = {}) {
            const {kind} = parseClientSecret(clientSecret);
            const retrieved = await this._retrieve(kind, clientSecret);
            if (retrieved.error) {
                return retrieved;
            }
            return this._handleActions(kind, retrieved[INTENTS[kind].result], clientSecret);
        }

        async _retrieve(kind, clientSecret) {
            const {id} = parseClientSecret(clientSecret, kind);
            const retrieved = await this._request("GET", `${INTENTS[kind].path}/${id}`, {
                client_secret: clientSecret,
            });
            return retrieved.error ? retrieved : {[INTENTS[kind].result]: retrieved.object};
        }

        retrievePaymentIntent(clientSecret) {
            return this._retrieve("payment", clientSecret);
        }

        retrieveSetupIntent(clientSecret) {
            return this._retrieve("setup", clientSecret);
        }
    }

    // Like Stripe.js's global: callable with or without `new`.
    window.Stripe = function Stripe(publishableKey, options) {
        return new StripeShim(publishableKey, options);
    };
})();
