from . import test_wallet_cards
from . import test_wallet_portal
from . import test_credit_ledger
from . import test_credit_concurrency
from . import test_credit_invoice
from . import test_credit_access
from . import test_wallet_tour
from . import test_wallet_authenticate
