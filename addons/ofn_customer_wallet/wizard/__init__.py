from . import ofn_credit_adjust_wizard
