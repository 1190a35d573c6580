from collections import Counter, defaultdict

from odoo import models

from ..lookups import once


class AccountMove(models.Model):
    _inherit = "account.move"

    def _invoice_paid_hook(self):
        """Override of `account`: when the engine books a standing order's payment, `sale`'s
        "Invoice ... paid" note on the order is left out: the engine's message to the customer,
        on the same order, says it (see `sale.order.message_post`)."""
        moves = self
        if self.env.context.get("ofn_engine"):
            moves = self.with_context(ofn_invoice_paid_hook=True)
        return super(AccountMove, moves)._invoice_paid_hook()

    def _search_default_journal(self):
        """Override of `account`, which searches the default journal for each new entry: in a
        batch (``lookups.looked_up_once``: the invoices a cycle's close makes), once per
        company, kind of entry and currency."""
        if self.statement_line_ids:
            return super()._search_default_journal()
        currency = self.env.cache.contains(self, self._fields["currency_id"]) and (
            self.currency_id.id or self.env.context.get("default_currency_id")
        )
        key = (
            "default journal",
            (self.company_id or self.env.company).id,
            tuple(self._get_valid_journal_types()),
            currency or None,
        )
        return once(self.env, key, super()._search_default_journal)

    def _post(self, soft=True):
        """Override of `account`, which raises each customer's rank by a locked update of its
        own: the invoices the engine posts together raise their customers' ranks together, one
        update per field and step (see `res.partner._increase_rank`)."""
        if not self.env.context.get("ofn_engine") or len(self) < 2:
            return super()._post(soft)
        # field: {partner id: steps}, kept on the cursor (a context holds no mutable value)
        ranks: defaultdict[str, Counter[int]] = defaultdict(Counter)
        self.env.cr.cache["ofn_ranks"] = ranks
        try:
            posted = super(AccountMove, self.with_context(ofn_defer_ranks=True))._post(soft)
        finally:
            del self.env.cr.cache["ofn_ranks"]
        Partner = self.env["res.partner"]
        for field, steps in ranks.items():
            by_step = defaultdict(list)
            for partner_id, step in steps.items():
                by_step[step].append(partner_id)
            for step, partner_ids in by_step.items():
                Partner.browse(partner_ids)._increase_rank(field, step)
        return posted.with_env(self.env)
