from . import test_order_cycles
