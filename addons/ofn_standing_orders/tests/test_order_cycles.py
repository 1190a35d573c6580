from datetime import date, datetime

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.ofn_stripe_connect.tests.common import new_hub_manager


@tagged("post_install", "-at_install")
class TestOrderCycles(TransactionCase):
    """Schedules plan a hub's order cycles ahead, in the hub's time zone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub = cls.env["res.company"].create({"name": "Cycle Hub"})
        cls.hub.partner_id.tz = "Europe/Paris"
        cls.Schedule = cls.env["ofn.schedule"].with_company(cls.hub)

    def _schedule(self, **values):
        return self.Schedule.create(
            {
                "name": "Vegetable boxes",
                "company_id": self.hub.id,
                "start_date": date(2026, 11, 23),  # a Monday
                "opens_weekday": "0",
                "opens_hour": 8.0,
                "duration_days": 3,
                "closes_hour": 18.5,
                "horizon_weeks": 4,
                **values,
            }
        )

    def test_weekly_cycles_in_the_hubs_time_zone(self):
        schedule = self._schedule()
        cycles = schedule._generate_cycles(today=date(2026, 11, 23)).sorted("opens_at")
        self.assertEqual(len(cycles), 4)
        # Paris is UTC+1 in winter: Monday 08:00 local is 07:00 UTC, Thursday 18:30 is 17:30
        self.assertEqual(cycles[0].opens_at, datetime(2026, 11, 23, 7, 0))
        self.assertEqual(cycles[0].closes_at, datetime(2026, 11, 26, 17, 30))
        self.assertEqual(cycles[1].opens_at, datetime(2026, 11, 30, 7, 0))
        self.assertTrue(all(c.company_id == self.hub for c in cycles))

    def test_generating_again_adds_nothing_and_only_what_is_new_later(self):
        schedule = self._schedule()
        first = schedule._generate_cycles(today=date(2026, 11, 23))
        self.assertFalse(schedule._generate_cycles(today=date(2026, 11, 23)))
        week_later = schedule._generate_cycles(today=date(2026, 11, 30))
        self.assertEqual(len(week_later), 1)
        self.assertEqual(len(schedule.cycle_ids), len(first) + 1)

    def test_every_two_weeks_and_monthly(self):
        fortnightly = self._schedule(interval="weeks", interval_weeks=2)
        cycles = fortnightly._generate_cycles(today=date(2026, 11, 23))
        self.assertEqual(
            sorted(c.opens_at.date() for c in cycles), [date(2026, 11, 23), date(2026, 12, 7)]
        )
        monthly = self._schedule(
            name="Monthly", interval="monthly", opens_monthday=5, horizon_weeks=9
        )
        cycles = monthly._generate_cycles(today=date(2026, 11, 23))
        self.assertEqual(
            sorted(c.opens_at.date() for c in cycles), [date(2026, 12, 5), date(2027, 1, 5)]
        )

    def test_summer_time_is_followed(self):
        schedule = self._schedule(start_date=date(2027, 3, 22), horizon_weeks=2)
        cycles = schedule._generate_cycles(today=date(2027, 3, 22)).sorted("opens_at")
        # 22 March: UTC+1; 29 March (after the switch): UTC+2
        self.assertEqual(cycles[0].opens_at, datetime(2027, 3, 22, 7, 0))
        self.assertEqual(cycles[1].opens_at, datetime(2027, 3, 29, 6, 0))

    def test_states_and_search(self):
        Cycle = self.env["ofn.order.cycle"]
        past = Cycle.create(
            {"company_id": self.hub.id, "opens_at": "2020-01-01", "closes_at": "2020-01-02"}
        )
        now = Cycle.create(
            {"company_id": self.hub.id, "opens_at": "2020-01-01", "closes_at": "2999-01-02"}
        )
        later = Cycle.create(
            {"company_id": self.hub.id, "opens_at": "2998-01-01", "closes_at": "2999-01-02"}
        )
        self.assertEqual((past | now | later).mapped("state"), ["closed", "open", "upcoming"])
        mine = [("company_id", "=", self.hub.id)]
        self.assertEqual(Cycle.search(mine + [("state", "=", "open")]), now)
        self.assertEqual(Cycle.search(mine + [("state", "in", ("open", "upcoming"))]), now | later)
        self.assertEqual(Cycle.search(mine + [("state", "!=", "closed")]), now | later)

    def test_a_cycle_by_hand_must_close_after_it_opens(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["ofn.order.cycle"].create(
                {"company_id": self.hub.id, "opens_at": "2026-12-02", "closes_at": "2026-12-01"}
            )

    def test_bad_hours_are_refused(self):
        with self.assertRaises(ValidationError):
            self._schedule(opens_hour=25.0)

    def test_hubs_see_only_their_own_schedules_and_cycles(self):
        other = self.env["res.company"].create({"name": "Other Cycle Hub"})
        manager = new_hub_manager(self.env, "cycle_manager", other)
        schedule = self._schedule()
        schedule._generate_cycles(today=date(2026, 11, 23))
        self.assertFalse(self.env["ofn.schedule"].with_user(manager).search([]))
        self.assertFalse(self.env["ofn.order.cycle"].with_user(manager).search([]))
        with self.assertRaises(AccessError):
            schedule.with_user(manager).read(["name"])

    def test_the_daily_job_plans_every_schedule(self):
        schedule = self._schedule(start_date=date.today())
        self.env.ref("ofn_standing_orders.cron_generate_order_cycles").method_direct_trigger()
        self.assertTrue(schedule.cycle_ids)
