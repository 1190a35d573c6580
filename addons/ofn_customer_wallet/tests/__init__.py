from . import test_wallet_cards
from . import test_wallet_portal
