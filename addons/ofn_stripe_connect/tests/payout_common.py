"""A hub's month on Stripe, for the payout tests: customers pay invoices by card (direct charges
with the platform's application fee), one payment is partly refunded, one charge has no Odoo
transaction, the whole balance is paid out, then one more customer pays (not paid out yet)."""

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.payment.utils import to_minor_currency_units

from .common import OfnStripeCase


class OfnPayoutCase(OfnStripeCase):
    @classmethod
    def _setup_hub_books(cls, name, accountant_login):
        """A hub with a chart of accounts, a fee account, an accountant, connected to Stripe."""
        hub, _manager = cls._create_hub(name)
        cls.env["account.chart.template"].try_loading("generic_coa", hub, install_demo=False)
        hub.currency_id = cls.env.ref("base.EUR")  # the generic chart comes in USD
        bank_fees = cls.env["account.chart.template"].with_company(hub).ref("expense_finance")
        hub.ofn_stripe_fee_account_id = bank_fees
        accountant = new_test_user(
            cls.env,
            login=accountant_login,
            groups="ofn_stripe_connect.group_ofn_payout_accountant",
            company_id=hub.id,
            company_ids=[Command.set(hub.ids)],
        )
        return hub, accountant, cls._connect_hub(hub)

    @classmethod
    def _charge(cls, account, amount, application_fee=0):
        """A confirmed direct charge of ``amount`` (major units) on the hub's Stripe account."""
        params = {
            "amount": to_minor_currency_units(amount, account.currency_id),
            "currency": account.currency_id.name.lower(),
            "confirm": True,
            "payment_method": "pm_card_visa",
        }
        if application_fee:
            params["application_fee_amount"] = to_minor_currency_units(
                application_fee, account.currency_id
            )
        return cls._sandbox_client(account.stripe_account_id).v1.payment_intents.create(params)

    @classmethod
    def _pay_invoice(cls, account, invoice, application_fee=0):
        """The customer pays ``invoice`` by card on the hub's checkout: the PaymentIntent on
        Stripe, and Odoo's transaction (``provider_reference`` = the PaymentIntent, as
        ``payment_stripe`` stores it) with its payment reconciled with the invoice."""
        intent = cls._charge(account, invoice.amount_total, application_fee)
        provider = account.provider_id
        tx = cls.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": cls.env.ref("payment.payment_method_card").id,
                "reference": f"{invoice.name}-card",
                "amount": invoice.amount_total,
                "currency_id": invoice.currency_id.id,
                "partner_id": invoice.partner_id.id,
                "operation": "online_direct",
                "provider_reference": intent.id,
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        tx._set_done()
        tx._post_process()
        return tx, intent

    @classmethod
    def _refund(cls, account, tx, intent, amount):
        """A refund made on Stripe for a charge, and Odoo's refund transaction and payment."""
        refund = cls._sandbox_client(account.stripe_account_id).v1.refunds.create(
            {
                "charge": intent.latest_charge,
                "amount": to_minor_currency_units(amount, account.currency_id),
            }
        )
        refund_tx = tx._create_child_transaction(amount, is_refund=True)
        refund_tx.provider_reference = refund.id
        refund_tx._set_done()
        refund_tx._post_process()
        return refund_tx, refund

    @classmethod
    def _pay_out(cls, account):
        """Pay out the hub's whole available balance (the sandbox's only kind of payout)."""
        client = cls._sandbox_client(account.stripe_account_id)
        currency = account.currency_id.name.lower()
        available = next(
            b.amount for b in client.v1.balance.retrieve().available if b.currency == currency
        )
        return client.v1.payouts.create({"amount": available, "currency": currency})

    @classmethod
    def _month_of_sales(cls, account):
        """The scenario of this module's docstring on ``account``'s hub; sets its records on the
        class (invoices, transactions, intents, the payout, the unmatched and the late charge)."""
        hub = account.company_id
        cls.invoice_1 = cls._invoice(
            hub, cls.env["res.partner"].create({"name": "Alice Martin"}), 40.0
        )
        cls.invoice_2 = cls._invoice(
            hub, cls.env["res.partner"].create({"name": "Bruno Petit"}), 25.0
        )
        cls.tx_1, cls.intent_1 = cls._pay_invoice(account, cls.invoice_1, application_fee=2.0)
        cls.tx_2, cls.intent_2 = cls._pay_invoice(account, cls.invoice_2, application_fee=1.0)
        cls.refund_tx, cls.refund = cls._refund(account, cls.tx_2, cls.intent_2, 5.0)
        cls.unmatched_intent = cls._charge(account, 10.0, application_fee=0.5)
        cls.stripe_payout = cls._pay_out(account)
        cls.invoice_3 = cls._invoice(
            hub, cls.env["res.partner"].create({"name": "Chloé Durand"}), 15.0
        )
        cls.tx_3, cls.intent_3 = cls._pay_invoice(account, cls.invoice_3, application_fee=0.75)

    @classmethod
    def _stripe_balance_transaction_ids(cls, account, **filters):
        """Every balance transaction id of the account, straight from the sandbox."""
        client = cls._sandbox_client(account.stripe_account_id)
        listing = client.v1.balance_transactions.list({"limit": 100, **filters})
        return {bt.id for bt in listing.data}
