import base64
import hashlib
import json
import secrets
import time
from datetime import UTC, datetime

from odoo import _, api, fields, models
from odoo.exceptions import AccessDenied
from odoo.tools.misc import hmac as odoo_hmac

from .. import const


class OfnStripeOauthNonce(models.Model):
    """The OAuth ``state`` parameter, and the nonces of the states already used.

    A state is signed with the database secret, bound to the user, the company and a nonce,
    valid for 15 minutes and for one callback only: its nonce is stored when it is used.
    """

    _name = "ofn.stripe.oauth.nonce"
    _description = "Used Stripe OAuth state"
    _log_access = False

    nonce = fields.Char(required=True, index=True)
    expires_at = fields.Datetime(required=True)

    _sql_constraints = [("nonce_unique", "UNIQUE(nonce)", "This OAuth state was already used.")]

    @api.autovacuum
    def _gc_expired(self):
        self.search([("expires_at", "<", fields.Datetime.now())]).unlink()

    # === THE OAUTH STATE === #

    @api.model
    def issue_state(self, company):
        """A new state for the current user connecting ``company``.

        :param company: the hub (``res.company``)
        :return: the signed state (``<payload>.<signature>``)
        """
        payload = {
            "uid": self.env.uid,
            "company_id": company.id,
            "nonce": secrets.token_urlsafe(16),
            "exp": int(time.time()) + const.OAUTH_STATE_TTL_SECONDS,
        }
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._sign(body)}"

    @api.model
    def consume_state(self, state):
        """Verify ``state`` for the current user and burn its nonce; returns the company.

        :raise AccessDenied: forged, malformed, expired, replayed or another user's state
        """
        try:
            body, signature = (state or "").split(".", 1)
            valid = secrets.compare_digest(signature, self._sign(body))
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, TypeError):
            valid = False
        if not valid:
            raise AccessDenied(_("The Stripe connection request is invalid (forged state)."))
        if payload["exp"] < time.time():
            raise AccessDenied(_("The Stripe connection request expired: start again."))
        if payload["uid"] != self.env.uid:
            raise AccessDenied(_("This Stripe connection was started by another user."))
        self.env.cr.execute(
            "INSERT INTO ofn_stripe_oauth_nonce (nonce, expires_at) VALUES (%s, %s) "
            "ON CONFLICT (nonce) DO NOTHING RETURNING id",
            [payload["nonce"], datetime.fromtimestamp(payload["exp"], UTC).replace(tzinfo=None)],
        )
        if not self.env.cr.fetchone():
            raise AccessDenied(_("This Stripe connection request was already used."))
        return self.env["res.company"].browse(payload["company_id"])

    def _sign(self, body):
        return odoo_hmac(self.env(su=True), const.OAUTH_STATE_SCOPE, body, hashlib.sha256)


def _b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
