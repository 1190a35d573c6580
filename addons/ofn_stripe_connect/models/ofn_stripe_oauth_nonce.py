from odoo import api, fields, models


class OfnStripeOauthNonce(models.Model):
    """OAuth ``state`` nonces already used: a state is good for one callback only."""

    _name = "ofn.stripe.oauth.nonce"
    _description = "Used Stripe OAuth state"
    _log_access = False

    nonce = fields.Char(required=True, index=True)
    expires_at = fields.Datetime(required=True)

    _sql_constraints = [("nonce_unique", "UNIQUE(nonce)", "This OAuth state was already used.")]

    @api.autovacuum
    def _gc_expired(self):
        self.search([("expires_at", "<", fields.Datetime.now())]).unlink()
