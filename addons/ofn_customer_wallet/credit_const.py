"""Constants of the customer credit ledger (ARCHITECTURE.md §2, ``ofn.wallet.transaction``)."""

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

# Skips the automatic use of customer credit when an invoice is posted.
CONTEXT_NO_CREDIT_APPLY = "ofn_no_credit_apply"
