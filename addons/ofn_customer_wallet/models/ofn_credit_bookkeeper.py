from odoo import Command, api, fields, models


class OfnCreditBookkeeper(models.AbstractModel):
    """Books a movement of customer credit: a posted entry between the hub's customer credit
    account and a counterpart account, both with the customer as partner, in the hub's
    miscellaneous journal.

    Hub staff need no accounting rights to move credit: the entry is the consequence of an act
    the caller was allowed to do, so it is made as superuser.
    """

    _name = "ofn.credit.bookkeeper"
    _description = "Customer credit bookkeeping"

    @api.model
    def book(self, partner, hub, amount, counterpart_account, label):
        """Books ``amount`` (hub currency) of credit for ``partner``: positive, the credit
        account is credited (the hub owes more) and the counterpart debited; negative, the
        reverse. Returns the posted entry."""
        partner = partner.commercial_partner_id
        entry = (
            self.env["account.move"]
            .sudo()
            .with_company(hub)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": hub._ofn_credit_journal().id,
                    "date": fields.Date.context_today(self),
                    "ref": label,
                    "line_ids": [
                        Command.create(
                            {
                                "name": label,
                                "account_id": hub._ofn_credit_account().id,
                                "partner_id": partner.id,
                                "balance": -amount,
                            }
                        ),
                        Command.create(
                            {
                                "name": label,
                                "account_id": counterpart_account.id,
                                "partner_id": partner.id,
                                "balance": amount,
                            }
                        ),
                    ],
                }
            )
        )
        entry.action_post()
        return entry
