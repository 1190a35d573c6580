from . import ofn_schedule
from . import ofn_order_cycle
from . import ofn_cycle_generator
