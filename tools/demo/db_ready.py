"""Exit 0 when database ARGV[2] (server from odoo.conf ARGV[1]) has the three addons installed."""

import sys

import odoo
from odoo.tools import config

config.parse_config(["-c", sys.argv[1]])
from odoo.service import db  # needs the parsed config

name = sys.argv[2]
if not db.exp_db_exist(name):
    sys.exit(1)
with odoo.sql_db.db_connect(name).cursor() as cr:
    cr.execute(
        "SELECT count(*) FROM ir_module_module WHERE state = 'installed' AND name IN %s",
        [("ofn_stripe_connect", "ofn_customer_wallet", "ofn_standing_orders")],
    )
    sys.exit(0 if cr.fetchone()[0] == 3 else 1)
