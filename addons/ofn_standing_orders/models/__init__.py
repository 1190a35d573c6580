from . import ofn_schedule
from . import ofn_order_cycle
from . import ofn_cycle_generator
from . import ofn_standing_order
from . import ofn_standing_order_occurrence
from . import ofn_occurrence_syncer
from . import res_partner
from . import ofn_cycle_placer
