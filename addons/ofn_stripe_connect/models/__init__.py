from . import ofn_stripe_account
