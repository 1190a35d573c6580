from . import stripe_utils_hooks
from . import controllers
from . import models
from . import wizard
