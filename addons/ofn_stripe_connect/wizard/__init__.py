from . import ofn_stripe_connect_wizard
from . import ofn_payout_export_wizard
