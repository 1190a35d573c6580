/** @odoo-module */

import publicWidget from "@web/legacy/js/public/public_widget";
import { formatFloat } from "@web/core/utils/numbers";

/**
 * "Change products" of a standing order (/my/standing_orders/<id>/change): the estimate of each
 * offered product and of the whole cycle follow the quantities typed (the server shows the same
 * on the page; it checks the quantities when the form is sent).
 */
publicWidget.registry.OfnStandingOrderEstimate = publicWidget.Widget.extend({
    selector: ".o_ofn_offer_lines",
    events: { "input input[type=number]": "_onQuantity" },

    _onQuantity() {
        const digits = [69, parseInt(this.el.dataset.decimals || "2", 10)];
        let total = 0;
        for (const row of this.el.querySelectorAll("tr[data-price]")) {
            const quantity = parseFloat(row.querySelector("input").value) || 0;
            const amount = Math.max(quantity, 0) * parseFloat(row.dataset.price);
            row.querySelector(".o_ofn_row_estimate .oe_currency_value").textContent = formatFloat(
                amount,
                { digits }
            );
            total += amount;
        }
        this.el.querySelector(".o_ofn_change_estimate .oe_currency_value").textContent =
            formatFloat(total, { digits });
    },
});
