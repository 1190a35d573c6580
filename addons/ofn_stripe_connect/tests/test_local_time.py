from datetime import datetime

from odoo.tests import TransactionCase, tagged

from ..utils import format_local_time

FIVE_THIRTY_PM_UTC = datetime(2026, 12, 3, 17, 30)


@tagged("post_install", "-at_install")
class TestLocalTime(TransactionCase):
    """Every message writes a time the same way: in its reader's time zone and language."""

    def test_a_time_is_written_in_the_readers_time_zone(self):
        paris = format_local_time(self.env, FIVE_THIRTY_PM_UTC, tz="Europe/Paris")
        new_york = format_local_time(self.env, FIVE_THIRTY_PM_UTC, tz="America/New_York")
        self.assertIn("6:30", paris)  # UTC+1 in December
        self.assertIn("12:30", new_york)  # UTC-5
        self.assertIn("12/3/26", paris)  # Odoo's short format in the reader's language (en_US)

    def test_without_a_time_zone_the_context_one_then_the_users_one(self):
        self.env.user.tz = "Asia/Tokyo"
        tokyo = format_local_time(self.env, FIVE_THIRTY_PM_UTC)
        self.assertIn("2:30", tokyo)  # the next day, 02:30
        self.assertIn("12/4/26", tokyo)
        auckland = format_local_time(
            self.env(context={"tz": "Pacific/Auckland"}), FIVE_THIRTY_PM_UTC
        )
        self.assertIn("6:30", auckland)  # UTC+13 in December: 06:30 the next day
        self.assertEqual(format_local_time(self.env, False), "")
