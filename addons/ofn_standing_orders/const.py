"""Constants of standing orders (DESIGN.md §2, §4)."""

SCHEDULE_INTERVALS = [
    ("weekly", "Every week"),
    ("weeks", "Every N weeks"),
    ("monthly", "Every month"),
]

WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]

CYCLE_STATES = [("upcoming", "Upcoming"), ("open", "Open"), ("closed", "Closed")]

STANDING_ORDER_STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("paused", "Paused"),
    ("cancelled", "Cancelled"),
    ("ended", "Ended"),
]

PAYMENT_MODES = [("card", "Customer's card (automatic charge)"), ("invoice", "Pay on invoice")]

OCCURRENCE_STATES = [
    ("planned", "Planned"),
    ("skipped", "Skipped"),
    ("empty", "Nothing to order"),
    ("placed", "Placed"),
    ("confirmed", "Confirmed"),
    ("paid", "Paid"),
    ("failed", "Failed"),
]
