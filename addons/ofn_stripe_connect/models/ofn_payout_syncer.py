"""Brings a hub's Stripe money into Odoo: payouts and balance transactions (ARCHITECTURE.md §2)."""

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.payment.utils import to_major_currency_units

from .. import payout_const

if TYPE_CHECKING:
    from stripe.params import BalanceTransactionListParams

_logger = logging.getLogger(__name__)

# Objects per page of Stripe's list endpoints (100 is Stripe's maximum).
PAGE_SIZE = 100


class OfnPayoutSyncer(models.AbstractModel):
    """Syncs one connected account: every balance transaction created since the last complete
    sync, the payouts among them (and the earlier ones not final yet), and for each paid payout
    the transactions it settled (``?payout=po_``). Then links the customer payments to Odoo's
    transactions (``ofn.balance.line.matcher``).

    Incremental and idempotent: records are keyed by their Stripe id, so a re-run adds nothing;
    the starting point (``ofn_balance_synced_until``) only moves once a sync completed, so a sync
    stopped by an error (mid-pagination too) is resumed by running it again, without duplicates.
    """

    _name = "ofn.payout.syncer"
    _description = "Sync a hub's payouts from Stripe"

    @api.model
    def sync(self, account):
        """Sync the payouts and balance transactions of ``account`` (``ofn.stripe.account``).

        :return: ``{'lines': n, 'payouts': n}``, how many records the sync created
        :raise AccessError: the user is not an accountant (or admin) of the account's hub
        :raise UserError: the account is not connected, or another sync of it is running
        :raise StripeGatewayError: Stripe refused a request (nothing is lost: run it again)
        """
        account.ensure_one()
        self._check_access(account)
        account = account.sudo()
        if account.state == "revoked":
            raise UserError(
                _(
                    "%(hub)s is disconnected from Stripe: connect it again to sync its payouts.",
                    hub=account.company_id.name,
                )
            )
        self._lock(account)
        before = self._counts(account)
        started = fields.Datetime.now()
        newest, seen_payouts = self._sync_balance_transactions(account)
        self._sync_payouts(account, seen_payouts)
        self.env["ofn.balance.line.matcher"].match(
            account.env["ofn.stripe.balance.line"].search(
                [("account_id", "=", account.id), ("match_state", "=", "unmatched")]
            )
        )
        account.write(
            {
                "ofn_balance_synced_until": max(newest, account.ofn_balance_synced_until),
                "ofn_payouts_synced_at": started,
            }
        )
        after = self._counts(account)
        created = {key: after[key] - before[key] for key in after}
        _logger.info(
            "Stripe payouts of company %s synced: %s new lines, %s new payouts",
            account.company_id.id,
            created["lines"],
            created["payouts"],
        )
        return created

    # ------------------------------------------------------------------ steps
    def _sync_balance_transactions(self, account):
        """Every balance transaction created since the last complete sync (Stripe lists the
        newest first); returns the newest creation time seen and the payouts' ids among them."""
        newest = account.ofn_balance_synced_until
        seen_payouts = []
        params: BalanceTransactionListParams = {"expand": ["data.source"]}
        if account.ofn_balance_synced_until:
            params["created"] = {"gte": account.ofn_balance_synced_until}
        for page in self._balance_transaction_pages(account, params):
            self._upsert_lines(account, page)
            newest = max([newest] + [bt["created"] for bt in page])
            seen_payouts += [
                _expanded_source(bt)["id"]
                for bt in page
                if bt["type"] in ("payout", "payout_failure")
            ]
        return newest, seen_payouts

    def _sync_payouts(self, account, new_payout_ids):
        """Fetch the payouts seen now and those not final yet; link each paid payout's lines."""
        Payout = account.env["ofn.stripe.payout"]
        open_payouts = Payout.search(
            [
                ("account_id", "=", account.id),
                "|",
                ("status", "not in", list(payout_const.PAYOUT_FINAL_STATUSES)),
                "&",
                ("status", "=", "paid"),
                ("lines_synced", "=", False),
            ]
        )
        stripe_ids = list(dict.fromkeys(new_payout_ids + open_payouts.mapped("stripe_payout_id")))
        for stripe_id in stripe_ids:
            data = self.env["ofn.stripe.gateway"].retrieve_payout(
                stripe_id, {"expand": ["destination"]}, account=account.stripe_account_id
            )
            payout = self._upsert_payout(account, data)
            if payout.status == "paid" and not payout.lines_synced:
                for page in self._balance_transaction_pages(
                    account, {"payout": stripe_id, "expand": ["data.source"]}
                ):
                    self._upsert_lines(account, page, payout=payout)
                payout.lines_synced = True

    # ------------------------------------------------------------------ Stripe lists
    def _balance_transaction_pages(self, account, params: "BalanceTransactionListParams"):
        """The pages of the account's balance transactions, followed with ``starting_after``."""
        params = {**params, "limit": PAGE_SIZE}  # a copy: the caller's stays as it is
        while True:
            page = self.env["ofn.stripe.gateway"].list_balance_transactions(
                params, account=account.stripe_account_id
            )
            data = page.get("data") or []
            if data:
                yield data
            if not (page.get("has_more") and data):
                return
            params["starting_after"] = data[-1]["id"]

    # ------------------------------------------------------------------ records
    def _upsert_lines(self, account, transactions, payout=None):
        """Create the balance lines not synced yet; link the existing ones to ``payout``."""
        Line = account.env["ofn.stripe.balance.line"]
        existing = Line.search(
            [
                ("account_id", "=", account.id),
                ("stripe_balance_transaction_id", "in", [bt["id"] for bt in transactions]),
            ]
        )
        known = {line.stripe_balance_transaction_id: line for line in existing}
        sources = [_expanded_source(bt) for bt in transactions]
        charge_intents = {
            source["id"]: source.get("payment_intent")
            for source in sources
            if source.get("object") == "charge"
        }
        new_values = []
        for bt, source in zip(transactions, sources, strict=True):
            line = known.get(bt["id"])
            if line is None:
                values = self._line_values(account, bt, source, charge_intents)
                if payout:
                    values["payout_id"] = payout.id
                new_values.append(values)
            elif payout and line.payout_id != payout:
                line.payout_id = payout
        return Line.create(new_values)

    def _line_values(self, account, bt, source, charge_intents):
        """The balance line of a Stripe balance transaction (amounts in minor units there)."""
        currency = _currency(self.env, bt["currency"])
        application_fee = sum(
            detail["amount"]
            for detail in bt.get("fee_details") or []
            if detail["type"] == payout_const.APPLICATION_FEE_DETAIL
        )
        charge_id, intent_id = self._payment_ids(account, source, charge_intents)
        return {
            "account_id": account.id,
            "stripe_balance_transaction_id": bt["id"],
            "kind": payout_const.STRIPE_TYPE_TO_KIND.get(bt["type"], "other"),
            "stripe_type": bt["type"],
            "stripe_source_id": source.get("id"),
            "stripe_charge_id": charge_id,
            "stripe_payment_intent_id": intent_id,
            "description": bt.get("description"),
            "created_at": _datetime(bt["created"]),
            "available_on": _datetime(bt.get("available_on") or bt["created"]).date(),
            "currency_id": currency.id,
            "amount": to_major_currency_units(bt["amount"], currency),
            "fee": to_major_currency_units(bt["fee"], currency),
            "stripe_fee": to_major_currency_units(bt["fee"] - application_fee, currency),
            "application_fee": to_major_currency_units(application_fee, currency),
            "net": to_major_currency_units(bt["net"], currency),
        }

    def _payment_ids(self, account, source, charge_intents):
        """The charge and PaymentIntent behind a charge or refund source; a refund's charge is
        looked for among ``charge_intents`` (``{ch_: pi_}`` of the same page), the synced
        lines, and last on Stripe."""
        if source.get("object") == "charge":
            return source["id"], source.get("payment_intent") or False
        if source.get("object") != "refund" or not source.get("charge"):
            return False, False
        charge_id = source["charge"]
        intent_id = source.get("payment_intent") or charge_intents.get(charge_id)
        if not intent_id:
            intent_id = (
                account.env["ofn.stripe.balance.line"]
                .search(
                    [
                        ("account_id", "=", account.id),
                        ("stripe_charge_id", "=", charge_id),
                        ("stripe_payment_intent_id", "!=", False),
                    ],
                    limit=1,
                )
                .stripe_payment_intent_id
            )
        if not intent_id:
            intent_id = (
                self.env["ofn.stripe.gateway"]
                .retrieve_charge(charge_id, account=account.stripe_account_id)
                .get("payment_intent")
            )
        return charge_id, intent_id or False

    def _upsert_payout(self, account, data):
        currency = _currency(self.env, data["currency"])
        destination = data.get("destination")
        values = {
            "amount": to_major_currency_units(data["amount"], currency),
            "currency_id": currency.id,
            "arrival_date": _datetime(data["arrival_date"]).date(),
            "created_at": _datetime(data["created"]),
            "status": data["status"],
            "method": data.get("method") or "standard",
            "destination_last4": destination.get("last4")
            if isinstance(destination, dict)
            else False,
            "description": data.get("description"),
        }
        Payout = account.env["ofn.stripe.payout"]
        payout = Payout.search(
            [("account_id", "=", account.id), ("stripe_payout_id", "=", data["id"])]
        )
        if payout:
            payout.write(values)
            return payout
        return Payout.create({"account_id": account.id, "stripe_payout_id": data["id"], **values})

    # ------------------------------------------------------------------ guards
    def _check_access(self, account):
        user = self.env.user
        if self.env.su or user.has_group("base.group_system"):
            return
        if not (
            user.has_group("ofn_stripe_connect.group_ofn_payout_accountant")
            and account.sudo().company_id in user.company_ids
        ):
            raise AccessError(
                _(
                    "Only the accountants of %(hub)s can sync its payouts.",
                    hub=account.sudo().company_id.name,
                )
            )

    def _lock(self, account):
        """One sync of an account at a time (the button and the daily cron may meet)."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM ofn_stripe_account WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                    [account.id],
                )
        except pg_errors.LockNotAvailable as error:
            raise UserError(
                _(
                    "The payouts of %(hub)s are being synced already. Try again in a minute.",
                    hub=account.company_id.name,
                )
            ) from error

    def _counts(self, account):
        return {
            "lines": self.env["ofn.stripe.balance.line"]
            .sudo()
            .search_count([("account_id", "=", account.id)]),
            "payouts": self.env["ofn.stripe.payout"]
            .sudo()
            .search_count([("account_id", "=", account.id)]),
        }

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_sync_payouts(self):
        """Daily: sync every connected hub, then book its paid payouts as bank statements when
        its fee account is set. One hub's error is logged and does not stop the others."""
        syncer = self.sudo()  # a platform job, across all hubs
        builder = syncer.env["ofn.payout.statement.builder"]
        for account in syncer.env["ofn.stripe.account"].search([("state", "=", "connected")]):
            if syncer._run_for_hub(account, "synced", syncer.sync):
                syncer._run_for_hub(
                    account, "booked", lambda acc: builder.build(acc._ofn_payouts_to_book())
                )

    def _run_for_hub(self, account, step, act):
        """``act(account)`` in a savepoint: a failure is logged, undone and reported (False)."""
        try:
            with self.env.cr.savepoint():
                act(account)
        except UserError as error:  # StripeGatewayError included
            _logger.warning(
                "Stripe payouts of company %s not %s: %s", account.company_id.id, step, error
            )
            return False
        return True


def _expanded_source(bt):
    """The transaction's source object (``expand[]=data.source``), or ``{'id': ...}``."""
    source = bt.get("source")
    return source if isinstance(source, dict) else {"id": source}


def _datetime(timestamp):
    """A Stripe Unix time as Odoo's naive UTC datetime."""
    return datetime.fromtimestamp(timestamp, tz=UTC).replace(tzinfo=None)


def _currency(env, code):
    currency = (
        env["res.currency"]
        .with_context(active_test=False)
        .search([("name", "=", code.upper())], limit=1)
    )
    if not currency:
        raise UserError(_("Stripe uses the currency %(code)s, unknown here.", code=code.upper()))
    return currency
