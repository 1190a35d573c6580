"""Connect accounts: ``/v1/accounts``, ``/v1/account`` and the platform account itself.

Accounts live in the platform's data whoever asks. A new Standard/Express/Custom account is not
onboarded: ``charges_enabled``/``payouts_enabled``/``details_submitted`` are false and
``requirements`` lists what is due, until its onboarding is completed (:mod:`.onboarding`) or it was
connected by OAuth approval (:mod:`.connect_oauth`). Then it is enabled, its requested capabilities
are active and it has a test bank account for payouts. Updates emit ``account.updated`` on the
account. The platform account (fixed id, "OFN Platform (sandbox)") is not listed, cannot be deleted
and survives resets.
"""

from aiohttp import web
from localstripe.resources import DeletedObject, StripeObject, fingerprint, try_convert_to_bool
from localstripe.server import (
    api_create,
    api_delete,
    api_list_all,
    api_retrieve,
    api_update,
    json_response,
    unflatten_data,
)

from . import PLATFORM_ACCOUNT_ID, PLATFORM_NAME, errors, scoping, webhooks
from .state import STATE

routes = web.RouteTableDef()

PLATFORM_COUNTRY = "FR"
ACCOUNT_TYPES = ("standard", "express", "custom")
ONBOARDING_REQUIREMENTS = (
    "business_profile.url",
    "external_account",
    "representative.first_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
)
DEFAULT_CAPABILITIES = ("card_payments", "transfers")
COUNTRY_CURRENCIES = {
    "AU": "aud",
    "CA": "cad",
    "CH": "chf",
    "DK": "dkk",
    "GB": "gbp",
    "NO": "nok",
    "NZ": "nzd",
    "PL": "pln",
    "SE": "sek",
    "US": "usd",
}
UPDATABLE_FIELDS = {
    "business_profile",
    "business_type",
    "capabilities",
    "company",
    "default_currency",
    "email",
    "metadata",
    "settings",
}


class BankAccount(StripeObject):
    """The test bank account an enabled account pays out to, stored in that account's data."""

    object = "bank_account"
    _id_prefix = "ba_"

    def __init__(self, account, country, currency):
        super().__init__()
        self.account = account
        self.account_holder_type = "company"
        self.bank_name = "STRIPE TEST BANK"
        self.country = country
        self.currency = currency
        self.default_for_currency = True
        self.fingerprint = fingerprint(account)
        self.last4 = "6789"
        self.routing_number = "110000000"
        self.status = "new"


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        id=None,
        type=None,
        country=None,
        email=None,
        business_type=None,
        business_profile=None,
        company=None,
        capabilities=None,
        default_currency=None,
        metadata=None,
        settings=None,
        **kwargs,
    ):
        if kwargs:
            raise errors.not_implemented(kwargs)
        if type is None:
            raise errors.missing_parameter("type")
        if type not in ACCOUNT_TYPES:
            raise errors.invalid_request(
                "Invalid type: must be one of " + ", ".join(ACCOUNT_TYPES), param="type"
            )
        with scoping.platform():
            super().__init__(id)
        self.type = type
        self.country = (country or PLATFORM_COUNTRY).upper()
        self.default_currency = COUNTRY_CURRENCIES.get(self.country, "eur")
        self.email = None
        self.business_type = None
        self.company = None
        self.business_profile = dict.fromkeys(
            ("mcc", "name", "product_description", "support_email", "url")
        )
        self.capabilities = {}
        self.metadata = {}
        self.settings = {
            "dashboard": {"display_name": None, "timezone": "Etc/UTC"},
            "payouts": {"schedule": {"interval": "manual"}},
        }
        self.tos_acceptance = {"date": None, "ip": None}
        self._connected = True
        self._set_onboarded(False)
        self._apply(
            {
                "email": email,
                "business_type": business_type,
                "business_profile": business_profile,
                "company": company,
                "capabilities": capabilities,
                "default_currency": default_currency,
                "metadata": metadata,
                "settings": settings,
            }
        )

    def _apply(self, data):
        for field, value in data.items():
            if value is None:
                continue
            if field == "business_profile":
                self.business_profile.update(value)
            elif field == "settings":
                self.settings["dashboard"].update(value.get("dashboard", {}))
            elif field == "capabilities":
                for name, options in value.items():
                    if try_convert_to_bool(options.get("requested")) is True:
                        self.capabilities.setdefault(
                            name, "active" if self.charges_enabled else "inactive"
                        )
            elif field == "metadata":
                self.metadata.update(value)
            elif field == "default_currency":
                self.default_currency = value.lower()
            else:
                setattr(self, field, value)
        if not self.settings["dashboard"]["display_name"]:
            self.settings["dashboard"]["display_name"] = self.business_profile["name"]

    def _set_onboarded(self, done):
        """Mark onboarding complete (or not yet started), as Stripe shows it on the account."""
        due = [] if done else list(ONBOARDING_REQUIREMENTS)
        self.details_submitted = self.charges_enabled = self.payouts_enabled = done
        self.requirements = {
            "currently_due": due,
            "eventually_due": list(due),
            "past_due": list(due),
            "pending_verification": [],
            "errors": [],
            "current_deadline": None,
            "disabled_reason": None if done else "requirements.past_due",
        }
        if done:
            self.tos_acceptance = {"date": self.created, "ip": "127.0.0.1"}
            self.capabilities = dict.fromkeys(self.capabilities or DEFAULT_CAPABILITIES, "active")
            if self._bank_account() is None:
                with scoping.acting_as(self.id):
                    BankAccount(self.id, self.country, self.default_currency)

    def _bank_account(self):
        with scoping.acting_as(self.id):
            return next(
                (
                    obj
                    for key, obj in scoping.current_store().items()
                    if key.startswith("bank_account:")
                ),
                None,
            )

    @property
    def external_accounts(self):
        bank_account = self._bank_account()
        data = [bank_account._export()] if bank_account else []
        return {
            "object": "list",
            "data": data,
            "has_more": False,
            "total_count": len(data),
            "url": f"/v1/accounts/{self.id}/external_accounts",
        }

    @classmethod
    def _api_create(cls, **data):
        if "id" in data:
            raise errors.not_implemented(["id"])
        return cls(**data)

    @classmethod
    def _api_retrieve(cls, id):
        if not scoping.account_is_accessible(id):
            raise errors.account_invalid(id)
        with scoping.platform():
            return super()._api_retrieve(id)

    @classmethod
    def _api_update(cls, id, **data):
        account = cls._api_retrieve(id)
        if set(data) - UPDATABLE_FIELDS:
            raise errors.not_implemented(set(data) - UPDATABLE_FIELDS)
        account._apply(data)
        webhooks.emit("account.updated", account, account=account.id)
        return account

    @classmethod
    def _api_delete(cls, id):
        account = cls._api_retrieve(id)
        if account.id == PLATFORM_ACCOUNT_ID:
            raise errors.invalid_request("The platform account cannot be deleted.")
        with scoping.platform():
            del scoping.STORE["account:" + id]
        STATE.stores.pop(id, None)
        return DeletedObject(id, cls.object)

    @classmethod
    def _api_list_all(cls, url, limit=None, starting_after=None, **kwargs):
        with scoping.platform():
            listing = super()._api_list_all(
                url, limit=limit, starting_after=starting_after, **kwargs
            )
        listing._list = [a for a in listing._list if a._connected and a.id != PLATFORM_ACCOUNT_ID]
        return listing


def ensure_platform_account():
    """Create the platform account (fully enabled, with a bank account) unless it exists."""
    with scoping.platform():
        if scoping.STORE.get("account:" + PLATFORM_ACCOUNT_ID) is None:
            platform = Account(
                id=PLATFORM_ACCOUNT_ID,
                type="standard",
                email="platform@example.com",
                business_profile={"name": PLATFORM_NAME},
            )
            platform._set_onboarded(True)


def connect_standard_account(country=None, email=None, business_name=None):
    """A new Standard account connected by OAuth approval: onboarded on Stripe's side already."""
    account = Account(
        type="standard",
        country=country,
        email=email,
        business_profile={"name": business_name or "Sandbox hub"},
    )
    account._set_onboarded(True)
    return account


@routes.get("/v1/account")
async def retrieve_current_account(request):
    """The account named by ``Stripe-Account``, else the platform account."""
    expand = unflatten_data(request.query).pop("expand", None)
    return json_response(Account._api_retrieve(scoping.current_account())._export(expand=expand))


for _method, _path, _factory in (
    ("POST", "/v1/accounts", api_create),
    ("GET", "/v1/accounts", api_list_all),
    ("GET", "/v1/accounts/{id}", api_retrieve),
    ("POST", "/v1/accounts/{id}", api_update),
    ("DELETE", "/v1/accounts/{id}", api_delete),
):
    routes.route(_method, _path)(_factory(Account, _path))
