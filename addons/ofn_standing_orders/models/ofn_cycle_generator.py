from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models


class OfnCycleGenerator(models.AbstractModel):
    """Creates the order cycles of schedules for the coming weeks (``horizon_weeks``), in the
    hub's time zone. Running it again creates nothing new: a cycle is one per (schedule,
    opening)."""

    _name = "ofn.cycle.generator"
    _description = "Generate order cycles from schedules"

    @api.model
    def generate(self, schedules, today=None):
        """Returns the cycles created."""
        today = today or fields.Date.context_today(self)
        Cycle = self.env["ofn.order.cycle"].sudo()
        created = Cycle
        for schedule in schedules.sudo():
            existing = set(schedule.with_context(active_test=False).cycle_ids.mapped("opens_at"))
            horizon = today + timedelta(weeks=schedule.horizon_weeks)
            values = [
                {
                    "company_id": schedule.company_id.id,
                    "schedule_id": schedule.id,
                    "opens_at": opens_at,
                    "closes_at": closes_at,
                }
                for opens_at, closes_at in self._cycles(schedule, today, horizon)
                if opens_at not in existing
            ]
            created |= Cycle.create(values)
        return created

    def _cycles(self, schedule, today, horizon):
        """(opens_at, closes_at) in UTC (naive, as Odoo stores them) of the cycles of
        ``schedule`` that close after ``today`` and open before ``horizon``."""
        tz = pytz.timezone(schedule.company_id.partner_id.tz or "UTC")
        for day in self._opening_days(schedule, horizon):
            opens = _at(tz, day, schedule.opens_hour)
            closes = _at(tz, day + timedelta(days=schedule.duration_days), schedule.closes_hour)
            if closes.date() >= today:
                yield opens, closes

    def _opening_days(self, schedule, horizon):
        start = schedule.start_date
        if schedule.interval == "monthly":
            day = start.replace(day=schedule.opens_monthday)
            if day < start:
                day += relativedelta(months=1)
            step = relativedelta(months=1)
        else:
            day = start + timedelta(days=(int(schedule.opens_weekday) - start.weekday()) % 7)
            step = timedelta(weeks=1 if schedule.interval == "weekly" else schedule.interval_weeks)
        while day < horizon:
            yield day
            day += step


def _at(tz, day, hour):
    """The UTC moment (naive) of ``hour`` (e.g. 18.5) local time on ``day`` in ``tz``."""
    local = tz.localize(datetime.combine(day, time()) + timedelta(hours=hour))
    return local.astimezone(pytz.utc).replace(tzinfo=None)
