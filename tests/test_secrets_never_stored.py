"""The platform key, the Connect client id and the webhook secret never reach the database
(ARCHITECTURE.md §3): neither through installation nor through the flows that use them."""

import logging
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import tagged
from odoo.tools import SQL, config, mute_logger

from odoo.addons.ofn_stripe_connect.platform_settings import get_setting
from odoo.addons.ofn_stripe_connect.tests.common import OfnStripeHttpCase

SECRET_SETTINGS = ("OFN_STRIPE_SECRET_KEY", "OFN_STRIPE_CLIENT_ID", "OFN_STRIPE_WEBHOOK_SECRET")


@tagged("post_install", "-at_install")
class TestSecretsNeverStored(OfnStripeHttpCase):
    def _secrets(self):
        secrets = [get_setting(name) for name in SECRET_SETTINGS]
        self.assertTrue(all(secrets), "the sandbox settings are exported by the root conftest")
        return secrets

    def test_dump_of_the_database_contains_no_secret(self):
        pg_dump = shutil.which("pg_dump")
        self.assertTrue(pg_dump, "pg_dump (postgresql-client) is installed by make setup")
        env = {"PGPASSWORD": config["db_password"] or ""}
        command = [pg_dump, "--no-owner", "-d", self.env.cr.dbname]
        for option, key in (("-h", "db_host"), ("-p", "db_port"), ("-U", "db_user")):
            if config[key]:
                command += [option, str(config[key])]
        dump = subprocess.run(command, capture_output=True, check=True, env=env, timeout=300).stdout
        self.assertGreater(len(dump), 1_000_000, "a real dump of the test database")
        for secret in self._secrets():
            self.assertNotIn(secret.encode(), dump)

    def test_flows_that_use_the_secrets_store_none_of_them(self):
        hub, _manager = self._create_hub("Secret Hub", "secret_manager")
        account = self._connect_hub(hub)
        self.env["res.config.settings"].create({}).action_ofn_check_connection()
        account.action_refresh_status()
        self.authenticate("secret_manager", "secret_manager")
        self.url_open(f"/ofn/stripe/connect/{hub.id}", allow_redirects=False)
        self.env.flush_all()
        patterns = [f"%{secret}%" for secret in self._secrets()]
        self.env.cr.execute(
            """SELECT c.table_name, c.column_name FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_schema, table_name)
               WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
                 AND c.data_type IN ('character varying', 'text', 'jsonb', 'json')"""
        )
        columns = self.env.cr.fetchall()
        self.assertGreater(len(columns), 500)
        found = []
        for table, column in columns:
            self.env.cr.execute(
                SQL(
                    "SELECT 1 FROM %s WHERE %s::text LIKE ANY(%s) LIMIT 1",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    patterns,
                )
            )
            if self.env.cr.fetchone():
                found.append(f"{table}.{column}")
        self.assertEqual(found, [], "a platform secret was written to the database")

    def test_no_secret_in_any_log_line(self):
        hub, _manager = self._create_hub("Logged Hub", "logged_manager")
        # the person's part (Approve on Stripe's page) happens in a browser, not in Odoo's logs
        Account = self.env["ofn.stripe.account"]
        approved = requests.post(
            Account.oauth_authorize_url(hub, "http://127.0.0.1/callback"),
            data={"decision": "approve"},
            allow_redirects=False,
            timeout=10,
        )
        answer = parse_qs(urlsplit(approved.headers["Location"]).query)
        with self.assertLogs(level=logging.DEBUG) as logs:
            logging.getLogger("odoo.addons.ofn_stripe_connect").debug("capturing every logger")
            company = self.env["ofn.stripe.oauth.nonce"].consume_state(answer["state"][0])
            account = Account.connect_oauth(company, answer["code"][0])
            account.action_refresh_status()
            self.env["res.config.settings"].create({}).action_ofn_check_connection()
            self.authenticate("logged_manager", "logged_manager")
            self.url_open(f"/ofn/stripe/connect/{hub.id}", allow_redirects=False)
            with mute_logger("odoo.addons.ofn_stripe_connect.controllers.webhook"):
                self.url_open("/ofn/stripe/webhook", data=b"{}", headers={"Stripe-Signature": "x"})
        text = "\n".join(logs.output)
        self.assertIn("stripe", text.lower(), "the Stripe calls were logged at all")
        for secret in self._secrets():
            self.assertNotIn(secret, text)
        self.assertNotRegex(text, r"sk_test_oauth_|rt_oauth_", "nor the hub's OAuth tokens")
