"""Stripe's test card numbers: which ones decline (and how) and which ones ask for 3-D Secure.

localstripe knows a few numbers; this table adds the decline codes Stripe documents and decides
*when* a card fails. Declining cards can be saved (attached, set up, cloned) and decline when
charged, so that a saved card can fail at an order cycle's close; lost and stolen cards are refused
already when saved. Stripe refuses most declining cards when they are saved; its 4000000000000341
(which the sandbox also knows) is the one saved card that declines.
"""

from dataclasses import dataclass

from .state import STATE


@dataclass(frozen=True)
class Decline:
    code: str
    decline_code: str
    message: str
    when_saved: bool = False


GENERIC_DECLINE = Decline("card_declined", "generic_decline", "Your card was declined.")
_INSUFFICIENT_FUNDS = Decline(
    "card_declined", "insufficient_funds", "Your card has insufficient funds."
)

DECLINES = {
    "4000000000000002": GENERIC_DECLINE,
    "4000000000000341": GENERIC_DECLINE,
    "4000000000009995": _INSUFFICIENT_FUNDS,
    "4000000000000069": Decline("expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": Decline(
        "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."
    ),
    "4100000000000019": Decline("card_declined", "fraudulent", "Your card was declined."),
    "4000000000009987": Decline(
        "card_declined", "lost_card", "Your card was declined.", when_saved=True
    ),
    "4000000000009979": Decline(
        "card_declined", "stolen_card", "Your card was declined.", when_saved=True
    ),
    # These two first ask for 3-D Secure, then decline:
    "4000008260003178": _INSUFFICIENT_FUNDS,
    "4000008400001629": GENERIC_DECLINE,
}

#: Cards that ask for authentication on every payment, on or off session, set up or not.
ALWAYS_AUTHENTICATE = frozenset(
    {
        "4000002760003184",
        "4000000000003220",
        "4000000000003063",
        "4000008260003178",
        "4000008400001629",
    }
)
#: Cards that ask for authentication, unless set up for off-session use and charged off session.
AUTHENTICATE_UNLESS_SET_UP = frozenset({"4000002500003155"})

_BRANDS = {"2": "mastercard", "4": "visa", "5": "mastercard", "6": "discover"}


def card_number(payment_method):
    """The hidden card number of a localstripe PaymentMethod or Card (``None`` for other kinds)."""
    return getattr(payment_method, "_card_number", None)


def brand(number):
    return _BRANDS.get(number[:1], "visa")


def lineage(payment_method):
    """The saved card a PaymentMethod is (itself, or the one it was cloned from)."""
    return getattr(payment_method, "_cloned_from", None) or payment_method.id


def is_blocked(payment_method):
    return lineage(payment_method) in STATE.blocked_cards


def block(payment_method, decline_code="lost_card"):
    """From now on this saved card (and every clone of it, on every account) is declined when
    set up, attached or charged, as a card its holder reported lost: what a card that was fine
    when saved does later. Tests and the demo use it through ``POST /_sandbox/cards/block``."""
    STATE.blocked_cards[lineage(payment_method)] = decline_code


def _declines(payment_method):
    if is_blocked(payment_method):
        code = STATE.blocked_cards[lineage(payment_method)]
        return Decline("card_declined", code, "Your card was declined.", when_saved=True)
    return DECLINES.get(card_number(payment_method))


def decline_of(payment_method):
    """How a charge on this payment method declines (generic for cards outside the table)."""
    return _declines(payment_method) or GENERIC_DECLINE


def declines_when_charged(payment_method):
    return _declines(payment_method) is not None


def declines_when_saved(payment_method):
    decline = _declines(payment_method)
    return decline is not None and decline.when_saved


def needs_authentication(payment_method, off_session):
    number = card_number(payment_method)
    if number in AUTHENTICATE_UNLESS_SET_UP:
        return not (off_session and getattr(payment_method, "_set_up_off_session", False))
    return number in ALWAYS_AUTHENTICATE
