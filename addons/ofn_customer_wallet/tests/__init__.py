from . import test_wallet_cards
