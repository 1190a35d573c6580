# Demo data, run by `make demo` inside `odoo shell` (which provides `env`). Idempotent: running it
# again updates the same records (the standing orders, standing_orders.py, are loaded once).
# Writes the logins to $OFN_RUN_DIR/demo-logins.txt.
import base64
import importlib.util
import logging
import os

import stripe_sandbox
from stripe_sandbox.browser import confirm_setup, decide_oauth

# the Stripe SDK logs every request at INFO: this log is for problems and the summary
logging.getLogger("stripe").setLevel(logging.WARNING)

DEMO_PASSWORD = "demo"
# (name, login slug, connected to Stripe, platform fee %)
HUBS = [
    ("Green Valley Food Hub", "greenvalley", True, 2.0),
    ("Riverside Farmers Co-op", "riverside", True, 0.0),
    ("Hilltop Organic Shop", "hilltop", False, 0.0),  # left unconnected: shows the button
    # disconnects from Stripe after its last cycle closed (standing_orders.py)
    ("Orchard Lane Market", "orchardlane", True, 0.0),
]
DISCONNECTED_LATER = {"orchardlane"}  # connected, then disconnected: not connected again
# the languages the demo speaks besides English (each with the addons' terms and Odoo's own), and
# who reads it in them: (language, time zone) of a hub's manager (by slug) or a customer (login)
DEMO_LANGS = ["fr_FR", "es_ES"]
MANAGER_LANGS = {"riverside": ("es_ES", "Europe/Madrid")}
CUSTOMER_LANGS = {"chloe@demo.example": ("fr_FR", "Europe/Paris")}
LANG_NAMES = {"fr_FR": "French", "es_ES": "Spanish"}
ODOO_URL = f"http://127.0.0.1:{os.environ.get('OFN_HTTP_PORT') or 8069}"


def ensure(model, domain, values):
    record = env[model].with_context(active_test=False).search(domain, limit=1)
    if record:
        record.write(values)
        return record
    return env[model].create(values)


def connect_through_oauth(hub, admin_env):
    """What a hub manager does: "Connect with Stripe", then Approve on the (sandbox's) page."""
    callback = (
        admin_env["ir.config_parameter"].get_param("web.base.url") + "/ofn/stripe/oauth/callback"
    )
    accounts = admin_env["ofn.stripe.account"]
    answer = decide_oauth(accounts.oauth_authorize_url(hub, callback))
    company = admin_env["ofn.stripe.oauth.nonce"].consume_state(answer["state"])
    return accounts.connect_oauth(company, answer["code"])


env["ir.config_parameter"].set_param("web.base.url", ODOO_URL)
env["ir.config_parameter"].set_param("web.base.url.freeze", True)
env["ir.config_parameter"].set_param("ofn_stripe_connect.enabled", True)
# a visitor of a schedule's subscription page signs up with Odoo's own portal sign-up
env["ir.config_parameter"].set_param("auth_signup.invitation_scope", "b2c")
platform = env.ref("base.main_company")
# the portal and the e-mails show the platform's name and logo (not Odoo's "Your logo")
DEMO_DIR = os.path.join(os.path.dirname(os.path.dirname(stripe_sandbox.__file__)), "demo")
with open(os.path.join(DEMO_DIR, "platform_logo.png"), "rb") as logo:
    platform.write(
        {
            "name": "Open Food Network",
            "logo": base64.b64encode(logo.read()),
            "website": "https://openfoodnetwork.org",
            "email": "hello@ofn.example",
        }
    )
admin = env.ref("base.user_admin")
admin.write({"password": "admin"})
for code in DEMO_LANGS:
    env["res.lang"]._activate_lang(code)
# the terms of every installed module (the addons' i18n/fr.po, es.po; Odoo's own)
env["ir.module.module"].search([("state", "=", "installed")])._update_translations(DEMO_LANGS)


def speaks(user, lang_tz):
    """The user reads the platform in this language and time zone; their login's line says so."""
    if not lang_tz:
        return ""
    user.write({"lang": lang_tz[0], "tz": lang_tz[1]})
    return f", reads it in {LANG_NAMES[lang_tz[0]]}"


lines = [
    "",
    f"Odoo:     {ODOO_URL}",
    "",
    "Logins:",
    "  admin / admin (platform administrator)",
]
for name, slug, connected, fee in HUBS:
    hub = ensure(
        "res.company", [("name", "=", name)], {"name": name, "currency_id": platform.currency_id.id}
    )
    manager = ensure(
        "res.users",
        [("login", "=", f"{slug}@demo.example")],
        {
            "name": f"{name} manager",
            "login": f"{slug}@demo.example",
            "email": f"{slug}@demo.example",
            "password": DEMO_PASSWORD,
            "company_id": hub.id,
            "company_ids": [(6, 0, hub.ids)],
            "groups_id": [
                (4, env.ref("ofn_stripe_connect.group_ofn_hub_manager").id),
                (4, env.ref("sales_team.group_sale_manager").id),
                (4, env.ref("account.group_account_manager").id),
                (4, env.ref("ofn_stripe_connect.group_ofn_payout_accountant").id),
            ],
        },
    )
    admin.write({"company_ids": [(4, hub.id)]})
    status = "not connected to Stripe"
    if connected:
        admin_env = env(user=admin, context={"allowed_company_ids": admin.company_ids.ids})
        account = hub.sudo().ofn_stripe_account_id
        if account.state != "connected" and not (slug in DISCONNECTED_LATER and account):
            account = connect_through_oauth(hub.with_env(admin_env), admin_env)
        account.application_fee_percent = fee
        status = f"Stripe {account.stripe_account_id}" + (f", {fee:g}% platform fee" if fee else "")
        if slug in DISCONNECTED_LATER:
            status += "; disconnected after its last order cycle"
    spoken = speaks(manager, MANAGER_LANGS.get(slug))
    lines.append(f"  {manager.login} / {DEMO_PASSWORD} (manager of {name}; {status}{spoken})")


def month_of_sales(hub, account):
    """Card payments of invoices at the hub (Odoo's token flow on the hub's provider), a partial
    refund, and a payout of the whole balance, synced and booked: the export can be tried."""
    if account.payout_ids:
        return
    hub_env = env(context={"allowed_company_ids": [hub.id]})
    hub_env["account.chart.template"].try_loading("generic_coa", hub, install_demo=False)
    hub.ofn_stripe_fee_account_id = (
        hub_env["account.chart.template"].with_company(hub).ref("expense_finance")
    )
    gateway = hub_env["ofn.stripe.gateway"]
    acct = account.stripe_account_id
    card_method = hub_env.ref("payment.payment_method_card")
    txs = []
    for customer_name, amount in (("Alice Martin", 42.0), ("Bruno Petit", 27.5)):
        customer = hub_env["res.partner"].create({"name": customer_name})
        invoice = hub_env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_line_ids": [
                    (0, 0, {"name": "Vegetable box", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        stripe_customer = gateway.create_customer(
            {"name": customer_name},
            account=acct,
            idempotency_key=gateway.idempotency_key("demo-customer", customer.id),
        )
        method = gateway.attach_payment_method(
            "pm_card_visa",
            {"customer": stripe_customer["id"]},
            account=acct,
            idempotency_key=gateway.idempotency_key("demo-card", customer.id),
        )
        token = hub_env["payment.token"].create(
            {
                "provider_id": account.provider_id.id,
                "payment_method_id": card_method.id,
                "partner_id": customer.id,
                "provider_ref": stripe_customer["id"],
                "stripe_payment_method": method["id"],
                "payment_details": "4242",
            }
        )
        tx = hub_env["payment.transaction"].create(
            {
                "provider_id": account.provider_id.id,
                "payment_method_id": card_method.id,
                "token_id": token.id,
                "partner_id": customer.id,
                "amount": amount,
                "currency_id": invoice.currency_id.id,
                "reference": f"{invoice.name}-card",
                "operation": "offline",
                "invoice_ids": [(6, 0, invoice.ids)],
            }
        )
        tx._send_payment_request()
        tx._post_process()
        txs.append(tx)
    txs[1]._send_refund_request(amount_to_refund=7.5)._post_process()
    currency = hub.currency_id.name.lower()
    # the hub's payout, as Stripe makes it from the available balance (not an Odoo flow: the
    # demo asks Stripe directly)
    stripe_api = gateway._client().v1
    balance = stripe_api.balance.retrieve(options={"stripe_account": acct})
    available = next(b.amount for b in balance.available if b.currency == currency)
    stripe_api.payouts.create(
        {"amount": available, "currency": currency},
        {"stripe_account": acct, "idempotency_key": gateway.idempotency_key("demo-payout", hub.id)},
    )
    hub.with_env(hub_env).action_ofn_sync_payouts()


green_valley = env["res.company"].search([("name", "=", HUBS[0][0])])
month_of_sales(green_valley, green_valley.sudo().ofn_stripe_account_id)
admin.write({"groups_id": [(4, env.ref("ofn_stripe_connect.group_ofn_payout_accountant").id)]})
lines.append(
    "  (Green Valley has card payments, a refund and a synced payout: Food Hubs > Payouts)"
)


# Customers: portal logins, wallet cards (one asking for 3-D Secure), hubs allowed, some credit.
CUSTOMERS = [
    # (name, login, test cards, hubs allowed to charge, credit at Green Valley)
    ("Alice Martin", "alice@demo.example", ["pm_card_visa", "pm_card_mastercard"], [0, 1], 12.0),
    ("Bruno Petit", "bruno@demo.example", ["pm_card_authenticationRequired"], [0], 0.0),
    ("Chloé Durand", "chloe@demo.example", ["pm_card_visa"], [], 5.0),
    # for the standing orders (standing_orders.py): what happens to each at the next confirmation
    # card declined; pays his failed orders on the portal with his second card
    ("Daniel Roux", "daniel@demo.example", ["pm_card_visa", "pm_card_mastercard"], [0, 1], 0.0),
    ("Emma Blanc", "emma@demo.example", ["pm_card_visa"], [0, 1], 0.0),  # withdraws consent
    ("Farid Haddad", "farid@demo.example", ["pm_card_visa"], [0], 0.0),  # deletes his card
    ("Gabrielle Morel", "gabrielle@demo.example", ["pm_card_visa"], [0, 1, 3], 0.0),
    ("Hugo Lefèvre", "hugo@demo.example", ["pm_card_mastercard"], [1], 0.0),
    ("Inès Garnier", "ines@demo.example", ["pm_card_visa"], [0, 1], 0.0),
    ("Julien Faure", "julien@demo.example", [], [], 0.0),  # no card: pays on invoice
    ("Léa Mercier", "lea@demo.example", ["pm_card_visa"], [0, 1], 0.0),
]
settings = {
    name: os.environ[name] for name in ("OFN_STRIPE_API_BASE", "OFN_STRIPE_PUBLISHABLE_KEY")
}
hubs = {i: env["res.company"].search([("name", "=", hub[0])]) for i, hub in enumerate(HUBS)}
lines.append("")
lines.append("Customers (portal, My account > Wallet):")
for name, login, cards, allowed, credit in CUSTOMERS:
    user = ensure(
        "res.users",
        [("login", "=", login)],
        {
            "name": name,
            "login": login,
            "email": login,
            "password": DEMO_PASSWORD,
            "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
        },
    )
    partner = user.partner_id
    # archived cards count: Farid deletes his (standing_orders.py)
    if not partner.with_context(active_test=False).ofn_wallet_card_ids:
        for test_card in cards:
            started = partner.action_ofn_start_card_setup()
            confirm_setup(
                settings["OFN_STRIPE_API_BASE"],
                settings["OFN_STRIPE_PUBLISHABLE_KEY"],
                started["client_secret"],
                test_card,
            )
            partner.action_ofn_save_card(started["setup_intent"])
    for index in allowed:
        if partner.ofn_consent_ids.filtered(lambda c, hub=hubs[index]: c.company_id == hub):
            continue  # granted on a previous run (and maybe withdrawn since: standing_orders.py)
        consent, client_secret = env["ofn.wallet.consent"].grant(partner, hubs[index])
        if client_secret:  # the customer passes 3-D Secure on the Wallet page
            account = hubs[index].ofn_stripe_account_id.stripe_account_id
            confirm_setup(
                settings["OFN_STRIPE_API_BASE"],
                settings["OFN_STRIPE_PUBLISHABLE_KEY"],
                client_secret,
                consent.hub_token_id.stripe_payment_method,
                account=account,
            )
            consent.action_confirm()
    if credit and not env["ofn.wallet.transaction"].balance(partner, hubs[0]):
        env["ofn.wallet.transaction"].adjust(partner, hubs[0], credit, "Goodwill: late delivery")
    spoken = speaks(user, CUSTOMER_LANGS.get(login))
    lines.append(f"  {login} / {DEMO_PASSWORD} ({name}{spoken})")

# Bruno's bank asks him to confirm an off-session charge of Green Valley: it waits on his Wallet.
bruno = env["res.users"].search([("login", "=", "bruno@demo.example")]).partner_id
if not env["payment.transaction"].search([("partner_id", "=", bruno.id)]):
    green_account = hubs[0].ofn_stripe_account_id
    clone = bruno.ofn_wallet_card_ids[:1].ofn_clone_for(green_account)
    awaiting = env["payment.transaction"].create(
        {
            "provider_id": clone.provider_id.id,
            "payment_method_id": clone.payment_method_id.id,
            "token_id": clone.id,
            "partner_id": bruno.id,
            "amount": 23.4,
            "currency_id": hubs[0].currency_id.id,
            "reference": "DEMO-VEGBOX-3DS",
            "operation": "offline",
        }
    )
    awaiting._send_payment_request()
lines.append("  (Bruno's bank asks him to confirm a payment: see his Wallet)")

# Schedules, order cycles and standing orders (tools/demo/standing_orders.py).
_spec = importlib.util.spec_from_file_location(
    "ofn_demo_standing_orders",
    os.path.join(DEMO_DIR, "standing_orders.py"),
)
standing_orders = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(standing_orders)
lines += standing_orders.seed(
    env,
    {slug: hubs[i] for i, (_name, slug, _connected, _fee) in enumerate(HUBS)},
    {
        login.split("@")[0]: env["res.users"].search([("login", "=", login)]).partner_id
        for _name, login, *_rest in CUSTOMERS
    },
    settings["OFN_STRIPE_API_BASE"],
)

env.cr.commit()
with open(os.path.join(os.environ["OFN_RUN_DIR"], "demo-logins.txt"), "w") as f:
    f.write("\n".join(lines) + "\n\n")
