/** @odoo-module */

/**
 * The steps of entering a new card in the wallet's card entry (Stripe.js: the sandbox's shim)
 * inside ``container`` (a CSS selector), saving it and answering the bank's 3-D Secure: the
 * page then reloads with the new card chosen. Shared by the tours of the pages that take a new
 * card (Pay now, the subscription page).
 *
 * @param {string} container the card entry's block
 * @param {string} number the test card's number
 */
export function newCardSteps(container, number) {
    return [
        { content: "Pay with a new card", trigger: `${container} .o_ofn_add_card`, run: "click" },
        {
            content: "Type the card number (in Stripe.js)",
            trigger: `${container} input[name="ofn-shim-card-number"]`,
            run: `edit ${number}`,
        },
        {
            content: "Expiry",
            trigger: `${container} input[name="ofn-shim-card-expiry"]`,
            run: "edit 12 / 34",
        },
        {
            content: "Security code",
            trigger: `${container} input[name="ofn-shim-card-cvc"]`,
            run: "edit 123",
        },
        { content: "Save it", trigger: `${container} .o_ofn_save_card`, run: "click" },
        {
            content: "The bank asks to confirm the card",
            trigger: "#ofn-shim-3ds-complete",
            run: "click",
            expectUnloadPage: true,
        },
    ];
}
