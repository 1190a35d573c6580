"""Constants of the customer wallet: consents and the customer credit ledger (ARCHITECTURE.md
§2, §5)."""

# === CONSENTS === #

CONSENT_STATES = [
    ("pending", "Waiting for authentication"),
    ("active", "Allowed"),
    ("failed", "Failed"),
    ("revoked", "Revoked"),
]

# === CUSTOMER CREDIT (``ofn.wallet.transaction``) === #

TRANSACTION_KINDS = [
    ("manual_credit", "Credit by the hub"),
    ("manual_debit", "Debit by the hub"),
    ("refund_to_credit", "Refund to credit"),
    ("applied_to_invoice", "Applied to an invoice"),
    ("reversal", "Given back (invoice reset)"),
]

# The sign each kind of posting must have: credits add to the balance, debits take from it.
CREDIT_KINDS = ("manual_credit", "refund_to_credit", "reversal")
DEBIT_KINDS = ("manual_debit", "applied_to_invoice")

# Postings made by hub staff by hand always say why.
MANUAL_KINDS = ("manual_credit", "manual_debit")

# Posting invoices with this context key leaves their customer credit to the caller, who
# applies it after posting a whole batch (``account.move.ofn_apply_credit``).
CONTEXT_NO_CREDIT_APPLY = "ofn_no_credit_apply"
