# Demo data, run by `make demo` inside `odoo shell` (which provides `env`). Idempotent: running it
# again updates the same records. Writes the logins to $OFN_RUN_DIR/demo-logins.txt.
import os

from stripe_sandbox.browser import decide_oauth

DEMO_PASSWORD = "demo"
# (name, login slug, connected to Stripe, platform fee %)
HUBS = [
    ("Green Valley Food Hub", "greenvalley", True, 2.0),
    ("Riverside Farmers Co-op", "riverside", True, 0.0),
    ("Hilltop Organic Shop", "hilltop", False, 0.0),  # left unconnected: shows the button
]


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
    gateway = admin_env["ofn.stripe.gateway"]
    state = admin_env["ofn.stripe.oauth.state"]._issue(hub)
    answer = decide_oauth(gateway.oauth_authorize_url(callback, state))
    admin_env["ofn.stripe.oauth.state"]._consume(answer["state"])
    token = gateway.oauth_token(answer["code"])
    return admin_env["ofn.stripe.connector"].connect(
        hub, token["stripe_user_id"], "oauth", livemode=token["livemode"]
    )


env["ir.config_parameter"].set_param("web.base.url", "http://127.0.0.1:8069")
env["ir.config_parameter"].set_param("web.base.url.freeze", True)
env["ir.config_parameter"].set_param("ofn_stripe_connect.enabled", True)
platform = env.ref("base.main_company")
platform.write({"name": "OFN Platform"})
admin = env.ref("base.user_admin")
admin.write({"password": "admin"})

lines = [
    "",
    "Odoo:     http://127.0.0.1:8069",
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
            ],
        },
    )
    admin.write({"company_ids": [(4, hub.id)]})
    status = "not connected to Stripe"
    if connected:
        admin_env = env(user=admin, context={"allowed_company_ids": admin.company_ids.ids})
        account = hub.sudo().ofn_stripe_account_id
        if account.state != "connected":
            account = connect_through_oauth(hub.with_env(admin_env), admin_env)
        account.application_fee_percent = fee
        status = f"Stripe {account.stripe_account_id}" + (f", {fee:g}% platform fee" if fee else "")
    lines.append(f"  {manager.login} / {DEMO_PASSWORD} (manager of {name}; {status})")

env.cr.commit()
with open(os.path.join(os.environ["OFN_RUN_DIR"], "demo-logins.txt"), "w") as f:
    f.write("\n".join(lines) + "\n\n")
