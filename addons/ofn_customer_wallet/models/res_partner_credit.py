from odoo import api, fields, models


class ResPartner(models.Model):
    """A customer's credit with the hubs, and what they owe them."""

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    ofn_credit = fields.Monetary(
        string="Credit",
        compute="_compute_ofn_credit",
        currency_field="currency_id",
        groups="ofn_stripe_connect.group_ofn_hub_manager",
        help="The customer's credit with the current hub.",
    )

    @api.depends_context("company")
    def _compute_ofn_credit(self):
        heads = self.env["ofn.credit.balance"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        balances = {head.partner_id: head.balance for head in heads}
        for partner in self:
            partner.ofn_credit = balances.get(partner.commercial_partner_id, 0.0)

    def action_ofn_open_credit(self):
        """Smart button: the customer's credit with each hub the user works for."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ofn_customer_wallet.ofn_credit_balance_action"
        )
        partner = self.commercial_partner_id
        action["domain"] = [("partner_id", "=", partner.id)]
        action["context"] = {"default_partner_id": partner.id}
        return action

    def _ofn_hub_balances(self):
        """Per hub the customer deals with: their credit there and what they owe it (open
        receivable items of posted entries: invoices less payments and credit notes; negative
        when the hub owes them), for the portal's Wallet page. Reads as superuser: call it for
        the signed-in customer's own partner only.

        Returns a list, by hub name, of dicts ``hub`` (``res.company``), ``currency``,
        ``credit``, ``owed``.
        """
        partner = self.commercial_partner_id
        credits = {
            head.company_id: head.balance
            for head in self.env["ofn.credit.balance"]
            .sudo()
            .search([("partner_id", "=", partner.id)])
        }
        owed = dict(
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "=", partner.id),
                    ("account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                ],
                groupby=["company_id"],
                aggregates=["amount_residual:sum"],
            )
        )
        return [
            {
                "hub": hub,
                "currency": hub.currency_id,
                "credit": credits.get(hub, 0.0),
                "owed": hub.currency_id.round(owed.get(hub, 0.0)),
            }
            for hub in sorted(set(credits) | set(owed), key=lambda hub: hub.name)
        ]
