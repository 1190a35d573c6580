# Demo data, run by `make demo` inside `odoo shell` (which provides `env`). Idempotent: running it
# again updates the same records. Writes the logins to $OFN_RUN_DIR/demo-logins.txt.
import os

DEMO_PASSWORD = "demo"
HUBS = [
    ("Green Valley Food Hub", "greenvalley"),
    ("Riverside Farmers Co-op", "riverside"),
    ("Hilltop Organic Shop", "hilltop"),
]


def ensure(model, domain, values):
    record = env[model].with_context(active_test=False).search(domain, limit=1)
    if record:
        record.write(values)
        return record
    return env[model].create(values)


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
for name, slug in HUBS:
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
    lines.append(f"  {manager.login} / {DEMO_PASSWORD} (manager of {name})")

env.cr.commit()
with open(os.path.join(os.environ["OFN_RUN_DIR"], "demo-logins.txt"), "w") as f:
    f.write("\n".join(lines) + "\n\n")
