from . import ofn_standing_order_stop
from . import ofn_occurrence_paid_elsewhere
from . import ofn_standing_order_refuse
