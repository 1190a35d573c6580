"""Constants of standing orders (ARCHITECTURE.md §2, §4)."""

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
    ("pending", "Waiting for the hub's approval"),
    ("refused", "Refused by the hub"),
    ("active", "Active"),
    ("paused", "Paused"),
    ("cancelled", "Cancelled"),
    ("ended", "Ended"),
]

# The standing orders that follow their schedule's cycles (one occurrence per cycle in their
# dates): a pending one too, so the customer sees its cycles, but only an active one is placed.
SCHEDULED_STANDING_ORDER_STATES = ("pending", "active", "paused")

# Who started a standing order: the hub's staff in the backend, or the customer on the portal's
# subscribe page of an offered schedule (/standing_orders/subscribe/<schedule>).
STANDING_ORDER_ORIGINS = [("hub", "Entered by the hub"), ("customer", "Subscribed by the customer")]

# The public page of an offered schedule, shared by the hub (followed by the schedule's id).
SUBSCRIBE_PATH = "/standing_orders/subscribe"

# How far ahead a customer may pause their standing order from the portal (days).
PAUSE_MAX_DAYS = 366

# What a customer may do to their own standing order on the portal (within what the hub allows:
# ``ofn.standing.order._ofn_portal_refusal``).
PORTAL_ACTIONS = ("change", "pause", "resume", "cancel")

PAYMENT_MODES = [("card", "Customer's card (automatic charge)"), ("invoice", "Pay on invoice")]

OCCURRENCE_STATES = [
    ("planned", "Planned"),
    ("skipped", "Skipped"),
    ("empty", "Nothing to order"),
    ("placed", "Placed"),
    ("confirmed", "Invoiced"),
    ("awaiting_authentication", "Waiting for the customer's authentication"),
    ("charged", "Charged, payment being booked"),
    ("paid", "Paid"),
    ("failed", "Payment failed"),
    ("cancelled", "Cancelled"),
]

# Occurrences whose order is placed and not yet closed by the confirmation: the customer may
# still change or skip them, a pause or cancellation asks whether they are kept.
OPEN_OCCURRENCE_STATES = ("placed",)

# what a customer may skip: a cycle not placed yet, one found empty, or a quotation placed
SKIPPABLE_STATES = ("planned", "empty", "placed")

# The charged card payments of a hub wait this long for the charges that follow, to be booked
# together (one job, one create, one reconciliation plan).
BOOKING_DELAY_SECONDS = 4

# A hub's summary of a stage waits for the stage's jobs: it looks again after a few seconds when
# little is left, after at most this long while much is.
SUMMARY_RECHECK_MAX_SECONDS = 30

# What the documents the engine creates (orders, deliveries, invoices, payments) do without:
# tracking messages nobody reads, "created from" notes (the document's origin field and smart
# buttons say it), and the customer as follower (the customer is told by the engine's own
# messages, addressed to them; the hub's messages on a document suggest its customer as
# recipient). The key "ofn_engine" is read by the override of mail.thread.
ENGINE_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "mail_create_nosubscribe": True,
    "ofn_engine": True,
}

# How many occurrences one job of a batch stage (place, confirm, book) takes, unless the system
# parameter ofn_standing_orders.chunk_size says otherwise.
DEFAULT_CHUNK_SIZE = 50

# Why a card payment of a standing order did not go through (ARCHITECTURE.md §4 step 4).
FAILURE_REASONS = [
    ("declined", "Card declined"),
    ("authentication_failed", "Authentication failed"),
    ("no_consent", "No consent to charge the card"),
    ("card_deleted", "Card deleted"),
    ("hub_disconnected", "Hub's Stripe account disconnected"),
    ("error", "Payment error"),
]

# What the check before a cycle closes finds that would make an occurrence's card payment fail
# and can still be fixed (by the customer, or by the hub for its own Stripe account).
RISK_REASONS = [
    ("card_expires", "The card expires before the cycle closes"),
    ("card_deleted", "The card was deleted from the wallet"),
    ("no_consent", "The hub may not charge the card"),
    ("clone_missing", "The hub's copy of the card is missing"),
    ("hub_disconnected", "The hub cannot take card payments"),
]
# the problems the customer can fix (the others are the hub's to fix)
CUSTOMER_RISKS = ("card_expires", "card_deleted", "no_consent", "clone_missing")

# How many hours before a cycle closes its card payments are checked, unless the hub says.
DEFAULT_PRE_CLOSE_CHECK_HOURS = 48

# Stripe's decline codes (https://docs.stripe.com/declines/codes), in groups that the customer's
# e-mail explains in the same plain words (``ofn.standing.order.occurrence.
# _payment_failed_advice``); any other code is "declined without a reason".
DECLINE_CODE_GROUPS = {
    # the card cannot be charged any more: lost, stolen, retained or blocked by the bank
    "lost_or_stolen": ("lost_card", "stolen_card", "pickup_card", "restricted_card"),
    "expired": ("expired_card", "invalid_expiry_month", "invalid_expiry_year"),
    # the stored details are wrong, or the account behind the card is closed or replaced
    "card_details": (
        "incorrect_number",
        "invalid_number",
        "incorrect_cvc",
        "invalid_cvc",
        "invalid_account",
        "new_account_information_available",
    ),
    # the issuer refuses this kind of payment, or payments to this merchant
    "refused": (
        "card_not_supported",
        "currency_not_supported",
        "transaction_not_allowed",
        "not_permitted",
        "service_not_allowed",
        "revocation_of_all_authorizations",
        "revocation_of_authorization",
        "stop_payment_order",
        "security_violation",
        "merchant_blacklist",
        "fraudulent",
        "do_not_try_again",
    ),
    # soft: the same card may pay later
    "funds": ("insufficient_funds", "card_velocity_exceeded", "withdrawal_count_limit_exceeded"),
    "temporary": (
        "try_again_later",
        "processing_error",
        "issuer_not_available",
        "reenter_transaction",
        "duplicate_transaction",
    ),
}

# The decline codes not worth retrying with the same card: the issuer will never approve it
# (lost, stolen, expired, closed or blocked card, payments to this merchant refused or revoked),
# or the card's stored details are wrong. Source: Stripe's "Decline codes" table
# (https://docs.stripe.com/declines/codes, its "Next steps" column: the customer should use
# another card or contact their card issuer, never "try again") and its retry guidance
# (https://docs.stripe.com/declines/card#retrying-issuer-declines; Smart Retries: "Stripe doesn't
# retry payments for failures where the issuer provided a non-retryable decline code"). Such a
# decline stops the retries: the customer is asked to act (another card, pay now), the hub told.
# Every other code (insufficient_funds, generic_decline, do_not_honor, try_again_later,
# processing_error, ...) is a soft decline and follows the hub's retry policy.
HARD_DECLINE_CODES = frozenset(
    code
    for group in ("lost_or_stolen", "expired", "card_details", "refused")
    for code in DECLINE_CODE_GROUPS[group]
)

# The states in which the hub settles an order whose card payment did not go through: marks it
# paid another way, or cancels it (a confirmed one only when no card payment is planned or
# under way: paid on invoice, or after the last attempt).
HUB_SETTLEABLE_STATES = ("confirmed", "failed", "awaiting_authentication")

# The default retry policy of a hub: retries after the first attempt, and the delay between them.
DEFAULT_CHARGE_RETRIES = 2
DEFAULT_CHARGE_RETRY_DELAY_HOURS = 24

# The reference of the charge of one occurrence, attempt by attempt: payment_stripe derives the
# idempotency key of the PaymentIntent from it, so a re-run after a crash never charges twice.
CHARGE_REFERENCE = "OFN-SO{occurrence}-{attempt}"

# queue_job's priority of a charge job (lower runs first; queue_job's default is 10).
CHARGE_JOB_PRIORITY = 5
# ... and of a booking job: the payments taken are booked before more orders are confirmed (a
# close's booking does not wait for every chunk of every hub)
BOOKING_JOB_PRIORITY = 7

# A card payment whose answer never came back (or that Stripe asked to slow down) is asked again,
# with the same idempotency key, this many minutes later...
CHARGE_UNANSWERED_RETRY_MINUTES = 15
# ... while Stripe still keeps the key's first answer (24 hours): past this many hours, the
# attempt's PaymentIntent is looked up on the hub's account instead (its description is the
# reference): found, it is the answer; not found, the attempt charged nothing and is sent again.
CHARGE_REPLAY_WINDOW_HOURS = 23

# The jobs of each stage of a cycle's close, by the hub summary they belong to.
STAGE_METHODS = {
    "placement": ("_place_chunk",),
    "confirmation": ("_confirm_chunk", "_charge"),
}
