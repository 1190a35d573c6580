from . import test_platform_settings
from . import test_stripe_account_rules
from . import test_connect_hub
from . import test_oauth_connect
from . import test_hub_payment
