"""Constants of the customer wallet (ARCHITECTURE.md §5)."""

CONSENT_STATES = [
    ("pending", "Waiting for authentication"),
    ("active", "Allowed"),
    ("failed", "Failed"),
    ("revoked", "Revoked"),
]
