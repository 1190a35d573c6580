from . import test_order_cycles
from . import test_standing_orders
from . import test_placement
from . import test_confirmation
from . import test_portal
from . import test_charge_failures
from . import test_authentication
from . import test_concurrent_confirmation
