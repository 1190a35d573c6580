"""Constants of the payouts sync, accounting and export (ARCHITECTURE.md §2: payout)."""

# Status of a payout on Stripe. "paid" is final once Stripe lists the transactions it settled.
PAYOUT_STATUSES = [
    ("pending", "Pending"),
    ("in_transit", "In transit"),
    ("paid", "Paid"),
    ("failed", "Failed"),
    ("canceled", "Canceled"),
]
PAYOUT_FINAL_STATUSES = frozenset({"paid", "failed", "canceled"})
PAYOUT_METHODS = [("standard", "Standard"), ("instant", "Instant")]

# What a balance transaction is for the accountant, from Stripe's ``type``.
BALANCE_LINE_KINDS = [
    ("charge", "Charge"),
    ("refund", "Refund"),
    ("application_fee", "Application fee"),
    ("stripe_fee", "Stripe fee"),
    ("adjustment", "Adjustment"),
    ("payout", "Payout"),
    ("other", "Other"),
]
STRIPE_TYPE_TO_KIND = {
    "charge": "charge",
    "payment": "charge",
    "refund": "refund",
    "payment_refund": "refund",
    "payment_failure_refund": "refund",
    "application_fee": "application_fee",
    "application_fee_refund": "application_fee",
    "stripe_fee": "stripe_fee",
    "stripe_fx_fee": "stripe_fee",
    "tax_fee": "stripe_fee",
    "adjustment": "adjustment",
    "reserve_transaction": "adjustment",
    "reserved_funds": "adjustment",
    "payout": "payout",
    "payout_cancel": "payout",
    "payout_failure": "payout",
}
# Kinds that come from a customer's payment: an Odoo payment.transaction should exist for them.
MATCHABLE_KINDS = frozenset({"charge", "refund"})

MATCH_STATES = [
    ("matched", "Matched"),
    ("unmatched", "Unmatched"),
    ("not_applicable", "No customer payment"),
]

# The ``fee_details`` type of the platform's share of a charge; every other fee type is Stripe's.
APPLICATION_FEE_DETAIL = "application_fee"

# The parts of a balance transaction that become bank statement lines.
STATEMENT_PARTS = [
    ("gross", "Gross amount"),
    ("stripe_fee", "Stripe fee"),
    ("application_fee", "Application fee"),
]

# The hub's Stripe bank journal (account.journal codes have at most 5 characters).
JOURNAL_NAME = "Stripe"
JOURNAL_CODE = "STRP"

# The longest period an accountant's export may cover.
EXPORT_MAX_YEARS = 1
