from . import ofn_stripe_connect_wizard
