from . import res_partner
from . import payment_provider
from . import payment_token
from . import ofn_wallet_consent
from . import ofn_wallet_card_saver
from . import ofn_wallet_card_remover
from . import ofn_card_cloner
from . import ofn_consent_granter
