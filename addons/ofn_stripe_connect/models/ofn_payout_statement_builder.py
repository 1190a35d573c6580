from odoo import Command, _, api, models
from odoo.exceptions import AccessError, UserError

from .. import const


class OfnPayoutStatementBuilder(models.AbstractModel):
    """Books a paid payout as a bank statement of the hub's "Stripe" bank journal (the journal of
    the money held by Stripe), one statement line per amount of each balance transaction:

    - the gross of a charge or refund, reconciled with the customer payment (``account.payment``
      of the matched transaction) when there is one with that amount, else left in the suspense
      account for the accountant;
    - its Stripe fee and its application fee, each on its own line, booked to the hub's fee
      account (``res.company.ofn_stripe_fee_account_id``);
    - the payout itself, money leaving for the hub's bank, booked to the liquidity transfer
      account (the bank statement of the hub's bank account then clears it).

    The lines sum to zero, so the statement ends where it started. A payout is booked once: it
    keeps its statement, and each part of a balance transaction is unique among statement lines.
    """

    _name = "ofn.payout.statement.builder"
    _description = "Book Stripe payouts as bank statements"

    @api.model
    def build(self, payouts):
        """Create the bank statements of ``payouts`` (``ofn.stripe.payout``); payouts already on
        a statement are left as they are.

        :return: the statements created (``account.bank.statement``)
        :raise AccessError: the user is not an accountant of a payout's hub
        :raise UserError: a payout is not complete yet, or the hub's accounting is not set up
        """
        self._check_access(payouts)
        statements = self.env["account.bank.statement"].sudo()
        for payout in payouts.sudo().sorted(lambda p: (p.arrival_date, p.id)):
            builder = self.sudo().with_company(payout.company_id)
            builder._lock(payout)
            if not payout.statement_id:
                statements |= builder._book(payout.with_env(builder.env))
        return statements

    def _book(self, payout):
        self._check_complete(payout)
        fee_account, transfer_account = self._accounts(payout.company_id)
        journal = self._journal(payout)
        StatementLine = self.env["account.bank.statement.line"]
        st_lines = StatementLine
        to_reconcile = []
        for line in payout.balance_line_ids.sorted(lambda bl: (bl.created_at, bl.id)):
            for part, amount in self._parts(line):
                if payout.currency_id.is_zero(amount):
                    continue
                payment_line = self.env["account.move.line"]
                if line.kind == "payout":
                    counterpart = transfer_account
                elif part == "gross":
                    payment_line = self._payment_line(line, amount)
                    counterpart = payment_line.account_id  # none: the suspense account
                else:
                    counterpart = fee_account
                values = {
                    "journal_id": journal.id,
                    "date": line.created_at.date(),
                    "amount": amount,
                    "payment_ref": self._label(line, part),
                    "partner_id": line.partner_id.id,
                    "ofn_balance_line_id": line.id,
                    "ofn_balance_part": part,
                }
                if counterpart:
                    values["counterpart_account_id"] = counterpart.id
                st_line = StatementLine.create(values)
                st_lines |= st_line
                if payment_line:
                    to_reconcile.append((st_line, payment_line))
        statement = self.env["account.bank.statement"].create(
            {
                "name": _(
                    "Stripe payout %(payout)s of %(date)s",
                    payout=payout.stripe_payout_id,
                    date=payout.arrival_date,
                ),
                "reference": payout.stripe_payout_id,
                "line_ids": [Command.set(st_lines.ids)],
            }
        )
        for st_line, payment_line in to_reconcile:
            _liquidity, _suspense, counterpart_lines = st_line._seek_for_lines()
            (counterpart_lines + payment_line).reconcile()
        payout.statement_id = statement
        return statement

    @staticmethod
    def _parts(line):
        """The signed amounts of a balance transaction that become statement lines."""
        if line.kind == "payout":
            return [("gross", line.amount)]
        return [
            ("gross", line.amount),
            ("stripe_fee", -line.stripe_fee),
            ("application_fee", -line.application_fee),
        ]

    # ------------------------------------------------------------------ what to book against
    def _payment_line(self, line, amount):
        """The customer payment's outstanding line this gross amount settles, when the line's
        transaction has a posted payment of exactly that amount not reconciled yet."""
        payment = line.transaction_id.payment_id
        if not payment or payment.state in ("draft", "canceled", "rejected"):
            return self.env["account.move.line"]
        signed = payment.amount if payment.payment_type == "inbound" else -payment.amount
        if payment.currency_id != line.currency_id or line.currency_id.compare_amounts(
            signed, amount
        ):
            return self.env["account.move.line"]
        liquidity, _counterpart, _writeoff = payment._seek_for_lines()
        return liquidity.filtered(lambda aml: not aml.reconciled and aml.account_id.reconcile)[:1]

    def _label(self, line, part):
        what = {
            "gross": dict(line._fields["kind"]._description_selection(self.env))[line.kind],
            "stripe_fee": _("Stripe fee"),
            "application_fee": _("Application fee"),
        }[part]
        invoices = ", ".join(line.invoice_ids.mapped("name"))
        return " - ".join(
            filter(
                None, [what, line.stripe_source_id or line.stripe_balance_transaction_id, invoices]
            )
        )

    def _accounts(self, company):
        fee_account = company.ofn_stripe_fee_account_id
        if not fee_account:
            raise UserError(
                _(
                    "Set the Stripe fees account of %(hub)s (its Stripe tab) before booking its "
                    "payouts.",
                    hub=company.name,
                )
            )
        if not company.transfer_account_id:
            raise UserError(
                _(
                    "%(hub)s has no liquidity transfer account: set up its accounting first.",
                    hub=company.name,
                )
            )
        return fee_account, company.transfer_account_id

    def _journal(self, payout):
        """The hub's "Stripe" bank journal, created at its first payout; the hub's Stripe
        provider then records its customer payments in it."""
        account = payout.account_id
        journal = account.ofn_payout_journal_id
        company = payout.company_id
        if not journal:
            if not company.chart_template:
                raise UserError(
                    _(
                        "%(hub)s has no chart of accounts: install one before booking payouts.",
                        hub=company.name,
                    )
                )
            journal = self.env["account.journal"].create(
                {
                    "name": const.JOURNAL_NAME,
                    "code": self._free_journal_code(company),
                    "type": "bank",
                    "company_id": company.id,
                }
            )
            account.ofn_payout_journal_id = journal
            if account.provider_id:
                account.provider_id.journal_id = journal
        if (journal.currency_id or company.currency_id) != payout.currency_id:
            raise UserError(
                _(
                    "Payout %(payout)s is in %(currency)s but the Stripe journal of %(hub)s is "
                    "not: book it by hand.",
                    payout=payout.stripe_payout_id,
                    currency=payout.currency_id.name,
                    hub=company.name,
                )
            )
        return journal

    def _free_journal_code(self, company):
        Journal = self.env["account.journal"].with_context(active_test=False)
        code = const.JOURNAL_CODE
        candidates = [code] + [f"{code[:3]}{n}" for n in range(1, 10)]
        for candidate in candidates:
            if not Journal.search_count(
                [("company_id", "=", company.id), ("code", "=", candidate)], limit=1
            ):
                return candidate
        raise UserError(
            _("No free journal code for the Stripe journal of %(hub)s.", hub=company.name)
        )

    # ------------------------------------------------------------------ guards
    def _check_complete(self, payout):
        if payout.status != "paid" or not payout.lines_synced:
            raise UserError(
                _(
                    "Payout %(payout)s is not paid yet or its transactions are not all synced: "
                    "sync the hub's payouts first.",
                    payout=payout.stripe_payout_id,
                )
            )
        if not payout.is_balanced:
            raise UserError(
                _(
                    "The transactions of payout %(payout)s do not add up to its amount: sync the "
                    "hub's payouts again.",
                    payout=payout.stripe_payout_id,
                )
            )

    def _check_access(self, payouts):
        user = self.env.user
        if self.env.su or user.has_group("base.group_system"):
            return
        if not user.has_group("ofn_stripe_connect.group_ofn_payout_accountant") or (
            payouts.sudo().company_id - user.company_ids
        ):
            raise AccessError(_("Only the hub's accountants can book its Stripe payouts."))

    def _lock(self, payout):
        """Two bookings of one payout wait for each other; the second then finds it booked."""
        self.env.cr.execute(
            "SELECT id FROM ofn_stripe_payout WHERE id = %s FOR NO KEY UPDATE", [payout.id]
        )
        payout.invalidate_recordset(["statement_id"])
