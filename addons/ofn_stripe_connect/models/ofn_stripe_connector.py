import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..exceptions import StripeGatewayError

_logger = logging.getLogger(__name__)


class OfnStripeConnector(models.AbstractModel):
    """Links a hub to a Stripe account the platform can act for (after OAuth, or when the platform
    created the account for Account Link onboarding): stores ``ofn.stripe.account``, fetches its
    status and creates or re-enables the hub's Stripe provider."""

    _name = "ofn.stripe.connector"
    _description = "Connect a hub to its Stripe account"

    @api.model
    def connect(self, company, stripe_account_id, method, livemode=False):
        """Link ``company`` to ``stripe_account_id``; returns the ``ofn.stripe.account``.

        :param str method: ``oauth`` or ``account_link``
        :raise AccessError: the current user does not manage ``company``
        """
        if not company._ofn_user_manages():
            raise AccessError(_("You do not manage %(hub)s.", hub=company.name))
        Account = self.env["ofn.stripe.account"].sudo()
        account = Account.search([("company_id", "=", company.id)])
        values = {
            "stripe_account_id": stripe_account_id,
            "connection_method": method,
            "livemode": livemode,
            "state": "onboarding",
            "connected_by_id": self.env.uid,
            "connected_at": fields.Datetime.now(),
        }
        if account:
            account.write(values)
        else:
            account = Account.create({"company_id": company.id, **values})
        account._ensure_provider()
        account.action_refresh_status()
        account.provider_id._ofn_follow_account_status(enable=True)
        _logger.info(
            "Company %s connected to Stripe account %s (%s) by user %s",
            company.id,
            stripe_account_id,
            method,
            self.env.uid,
        )
        return account


class OfnStripeDisconnector(models.AbstractModel):
    """Ends a hub's connection: deauthorizes the platform on Stripe (OAuth accounts), or only
    unlinks when another hub still uses the same Stripe account, as OFN does; then the hub's
    provider is disabled."""

    _name = "ofn.stripe.disconnector"
    _description = "Disconnect a hub from its Stripe account"

    @api.model
    def disconnect(self, account):
        account = account.sudo()
        if not account or account.state == "revoked":
            return account
        shared = (
            self.env["ofn.stripe.account"]
            .sudo()
            .search_count(
                [
                    ("stripe_account_id", "=", account.stripe_account_id),
                    ("id", "!=", account.id),
                    ("state", "!=", "revoked"),
                ]
            )
        )
        if not shared and account.connection_method == "oauth":
            gateway = self.env["ofn.stripe.gateway"]
            try:
                gateway.oauth_deauthorize(account.stripe_account_id)
            except StripeGatewayError as error:
                # already revoked on Stripe: nothing is left to undo there
                if not (error.account_unreachable or _is_oauth_error(error)):
                    raise
        account._mark_revoked(_("disconnected by %(user)s", user=self.env.user.name))
        return account


def _is_oauth_error(error):
    return getattr(error, "error_type", "") in ("InvalidClientError", "InvalidRequestError")
