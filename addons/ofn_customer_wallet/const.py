"""Constants of the customer wallet (docs/ARCHITECTURE.md §5)."""

CONSENT_STATES = [
    ("pending", "Waiting for authentication"),
    ("active", "Allowed"),
    ("failed", "Failed"),
    ("revoked", "Revoked"),
]
