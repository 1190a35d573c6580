from odoo import api, fields, models

from .. import const


class OfnStripeBalanceLine(models.Model):
    """One balance transaction of a hub's Stripe account (a charge, a refund, a fee, a payout...)
    as synced from Stripe, with the payout that settled it and, for customer payments, the Odoo
    ``payment.transaction`` (and through it the invoices and the customer) it belongs to, which
    the line finds itself (:meth:`match_transactions`).

    Amounts are in major units of ``currency_id``: ``amount`` is the gross, ``fee`` what Stripe
    kept (``stripe_fee`` + ``application_fee``), ``net`` = ``amount`` - ``fee``."""

    _name = "ofn.stripe.balance.line"
    _description = "Stripe balance transaction of a hub"
    _rec_name = "stripe_balance_transaction_id"
    _order = "created_at desc, id desc"

    account_id = fields.Many2one(
        "ofn.stripe.account",
        string="Stripe account",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    payout_id = fields.Many2one(
        "ofn.stripe.payout", readonly=True, ondelete="set null", index="btree_not_null"
    )
    stripe_balance_transaction_id = fields.Char(
        string="Balance transaction", required=True, readonly=True, help="The txn_... id."
    )
    kind = fields.Selection(const.BALANCE_LINE_KINDS, string="Type", readonly=True)
    stripe_type = fields.Char(string="Stripe type", readonly=True)
    stripe_source_id = fields.Char(string="Source", readonly=True, help="ch_, re_, po_... id.")
    stripe_charge_id = fields.Char(string="Charge", readonly=True, index="btree_not_null")
    stripe_payment_intent_id = fields.Char(
        string="PaymentIntent", readonly=True, index="btree_not_null"
    )
    description = fields.Char(readonly=True)
    created_at = fields.Datetime(string="Date", readonly=True)
    available_on = fields.Date(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(string="Gross", readonly=True)
    fee = fields.Monetary(string="Fees", readonly=True)
    stripe_fee = fields.Monetary(readonly=True)
    application_fee = fields.Monetary(readonly=True)
    net = fields.Monetary(readonly=True)
    transaction_id = fields.Many2one(
        "payment.transaction",
        string="Payment transaction",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True)
    invoice_ids = fields.Many2many(
        "account.move", string="Invoices", compute="_compute_invoice_ids"
    )
    match_state = fields.Selection(
        const.MATCH_STATES,
        string="Matching",
        compute="_compute_match_state",
        store=True,
        index=True,
    )
    statement_line_ids = fields.One2many(
        "account.bank.statement.line", "ofn_balance_line_id", string="Statement lines"
    )

    _sql_constraints = [
        (
            "stripe_balance_transaction_unique",
            "UNIQUE(account_id, stripe_balance_transaction_id)",
            "A Stripe balance transaction is synced once per account.",
        ),
    ]

    @api.depends("transaction_id.invoice_ids", "transaction_id.source_transaction_id.invoice_ids")
    def _compute_invoice_ids(self):
        for line in self:
            tx = line.transaction_id
            line.invoice_ids = tx.invoice_ids or tx.source_transaction_id.invoice_ids

    @api.depends("kind", "transaction_id")
    def _compute_match_state(self):
        for line in self:
            if line.transaction_id:
                line.match_state = "matched"
            elif line.kind in const.MATCHABLE_KINDS:
                line.match_state = "unmatched"
            else:
                line.match_state = "not_applicable"

    def filter_settled(self):
        """The lines whose money a payout moved: all but the payouts' own transactions."""
        return self.filtered(lambda line: line.kind != "payout")

    # === MATCHING === #

    def match_transactions(self):
        """Link these lines that have no transaction yet to the Odoo ``payment.transaction``
        they come from, and through it to the customer (and the invoices, see
        :attr:`invoice_ids`).

        Odoo's ``payment_stripe`` keeps the PaymentIntent id as a payment's
        ``provider_reference`` and the refund id as a refund's: a charge is found by its
        PaymentIntent, a refund by its own id or else by its charge's PaymentIntent (the
        refunded payment). Only transactions of the hub's own Stripe providers are candidates.
        Lines without a transaction stay ``unmatched``.

        :return: the lines matched now
        :raise AccessError: the user may not change the lines (only the platform's sync may)
        """
        self.check_access("write")
        lines = self.sudo().filtered(lambda line: not line.transaction_id)
        matched = lines.browse()
        for account in lines.account_id:
            account_lines = lines.filtered(lambda line, acc=account: line.account_id == acc)
            found = account_lines._transactions_by_reference(account)
            for line in account_lines:
                tx = found.get((line.kind, line.stripe_source_id)) or found.get(
                    ("charge", line.stripe_payment_intent_id)
                )
                if tx:
                    line.write({"transaction_id": tx.id, "partner_id": tx.partner_id.id})
                    matched |= line
        return matched.with_env(self.env)

    def _transactions_by_reference(self, account):
        """``{(kind, provider_reference): payment.transaction}`` for these lines' payments and
        refunds on the account's providers (a done transaction wins over others)."""
        providers = (
            self.env["payment.provider"]
            .sudo()
            .with_context(active_test=False)
            .search([("ofn_stripe_account_id", "=", account.id)])
        )
        intents = {ref for ref in self.mapped("stripe_payment_intent_id") if ref}
        refunds = set(self.filtered(lambda line: line.kind == "refund").mapped("stripe_source_id"))
        if not providers or not (intents or refunds):
            return {}
        transactions = (
            self.env["payment.transaction"]
            .sudo()
            .search(
                [
                    ("provider_id", "in", providers.ids),
                    ("provider_reference", "in", list(intents | refunds)),
                    ("operation", "!=", "validation"),
                ],
                order="id",
            )
        )
        found = {}
        for tx in transactions.sorted(lambda tx: tx.state == "done"):
            kind = "refund" if tx.operation == "refund" else "charge"
            found[(kind, tx.provider_reference)] = tx
        return found
