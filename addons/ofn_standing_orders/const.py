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
