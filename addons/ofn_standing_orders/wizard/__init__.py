from . import ofn_standing_order_stop
