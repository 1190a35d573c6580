"""Hub managers connect their hub's Stripe account (ARCHITECTURE.md §3, public routes fixed)."""

import logging

from werkzeug.exceptions import NotFound
from werkzeug.urls import url_encode

from odoo import _, http
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.http import request

_logger = logging.getLogger(__name__)

OAUTH_CALLBACK = "/ofn/stripe/oauth/callback"
ONBOARDING_RETURN = "/ofn/stripe/onboarding/return"
ONBOARDING_REFRESH = "/ofn/stripe/onboarding/refresh"


class StripeConnectController(http.Controller):
    # ------------------------------------------------------------------ start
    @http.route("/ofn/stripe/connect/<int:company_id>", type="http", auth="user", methods=["GET"])
    def connect(self, company_id, method=None, **kwargs):
        """Leave for Stripe: OAuth (Standard account) or Account Link onboarding."""
        company = self._company(company_id)
        Account = request.env["ofn.stripe.account"]
        try:
            company.ofn_check_stripe_manager()
            if method == "account_link" or not company.ofn_oauth_available:
                query = url_encode({"company_id": company.id})
                url = Account.account_link_url(
                    company,
                    return_url=f"{self._url(ONBOARDING_RETURN)}?{query}",
                    refresh_url=f"{self._url(ONBOARDING_REFRESH)}?{query}",
                )
                return request.redirect(url, local=False)
            if company.sudo().ofn_stripe_account_id.state in ("connected", "onboarding"):
                raise UserError(_("%(hub)s is already connected to Stripe.", hub=company.name))
            url = Account.oauth_authorize_url(company, self._url(OAUTH_CALLBACK))
        except (AccessError, UserError) as error:
            return self._result(company, error.args[0], ok=False, status=403)
        return request.redirect(url, local=False)

    # ------------------------------------------------------------------ OAuth
    @http.route(OAUTH_CALLBACK, type="http", auth="user", methods=["GET"])
    def oauth_callback(self, code=None, state=None, error=None, error_description=None, **kw):
        """Stripe's redirect after the OAuth page: verify ``state``, exchange ``code``."""
        env = request.env
        if error:
            message = (
                _("The connection was declined on Stripe: nothing was changed.")
                if error == "access_denied"
                else _("Stripe did not connect the account: %(reason)s", reason=error)
            )
            return self._result(None, message, ok=False)
        try:
            company = env["ofn.stripe.oauth.nonce"].consume_state(state)
        except AccessDenied as denied:
            _logger.warning("Refused a Stripe OAuth callback of user %s: %s", env.uid, denied)
            return self._result(None, denied.args[0], ok=False, status=403)
        try:
            account = env["ofn.stripe.account"].connect_oauth(company, code)
        except AccessError as refused:  # the user no longer manages the hub
            return self._result(None, refused.args[0], ok=False, status=403)
        except UserError as failure:
            return self._result(company, failure.args[0], ok=False)
        return self._result(company, self._status_message(account), ok=True)

    # ------------------------------------------------------------------ Account Links
    @http.route(ONBOARDING_RETURN, type="http", auth="user", methods=["GET"])
    def onboarding_return(self, company_id=None, **kwargs):
        company = self._company(company_id)
        try:
            company.ofn_check_stripe_manager()
            account = company.sudo().ofn_stripe_account_id
            if not account:
                raise UserError(_("%(hub)s has no Stripe account yet.", hub=company.name))
            account.action_refresh_status()
        except (AccessError, UserError) as error:
            return self._result(company, error.args[0], ok=False)
        return self._result(company, self._status_message(account), ok=account.charges_enabled)

    @http.route(ONBOARDING_REFRESH, type="http", auth="user", methods=["GET"])
    def onboarding_refresh(self, company_id=None, **kwargs):
        """An expired or used Account Link: make a new one."""
        company = self._company(company_id)
        return request.redirect(f"/ofn/stripe/connect/{company.id}?method=account_link")

    # ------------------------------------------------------------------ helpers
    def _company(self, company_id):
        try:
            company = request.env["res.company"].browse(int(company_id)).exists()
        except (TypeError, ValueError):
            company = None
        if not company:
            raise NotFound()
        return company

    def _url(self, path):
        return request.env["ir.config_parameter"].sudo().get_param("web.base.url") + path

    def _status_message(self, account):
        if account.charges_enabled:
            return _(
                "%(hub)s is connected to Stripe account %(account)s: card payments go straight "
                "to it.",
                hub=account.company_id.name,
                account=account.stripe_account_id,
            )
        due = (account.requirements_due or "").replace("\n", ", ")
        # (not nested in the _() below: the translations' extractor would not see it)
        still_needed = " " + _("Still needed: %(items)s.", items=due) if due else ""
        return _(
            "%(hub)s is linked to Stripe account %(account)s, but Stripe does not accept "
            "payments for it yet.%(due)s Finish the onboarding on Stripe, then refresh.",
            hub=account.company_id.name,
            account=account.stripe_account_id,
            due=still_needed,
        )

    def _result(self, company, message, ok, status=200):
        """A small page that says what happened, with the way back to the hub's Stripe tab."""
        back = "/odoo/action-ofn_stripe_connect.action_ofn_hub_stripe"
        if company:
            back += f"/{company.id}"
        return request.render(
            "ofn_stripe_connect.connect_result",
            {"message": message, "ok": ok, "back_url": back},
            status=status,
        )
