"""Constants of the customer wallet (DESIGN.md §5)."""

CONSENT_STATES = [
    ("pending", "Waiting for authentication"),
    ("active", "Allowed"),
    ("failed", "Failed"),
    ("revoked", "Revoked"),
]
