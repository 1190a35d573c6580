from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..const import SCHEDULE_INTERVALS, WEEKDAYS


class OfnSchedule(models.Model):
    """When a hub's order cycles open and close, in the hub's time zone: every week, every N
    weeks or every month. Cycles are generated ahead (``horizon_weeks``) by a daily job."""

    _name = "ofn.schedule"
    _description = "Order cycle schedule of a hub"
    _order = "company_id, name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", string="Hub", required=True, index=True, default=lambda s: s.env.company
    )
    interval = fields.Selection(SCHEDULE_INTERVALS, required=True, default="weekly")
    interval_weeks = fields.Integer(string="Every (weeks)", default=2)
    opens_weekday = fields.Selection(WEEKDAYS, string="Opens on", default="0")
    opens_monthday = fields.Integer(string="Opens on day", default=1, help="1 to 28.")
    opens_hour = fields.Float(string="Opens at", default=8.0, help="Hub's local time.")
    duration_days = fields.Integer(string="Open for (days)", default=4)
    closes_hour = fields.Float(string="Closes at", default=18.0, help="Hub's local time.")
    start_date = fields.Date(required=True, default=fields.Date.context_today)
    horizon_weeks = fields.Integer(string="Plan ahead (weeks)", default=4)
    cycle_ids = fields.One2many("ofn.order.cycle", "schedule_id", string="Order cycles")

    _sql_constraints = [
        ("interval_weeks_positive", "CHECK(interval_weeks > 0)", "Every N weeks needs N > 0."),
        ("horizon_positive", "CHECK(horizon_weeks > 0)", "Plan at least one week ahead."),
        (
            "duration_not_negative",
            "CHECK(duration_days >= 0)",
            "A cycle cannot close before it opens.",
        ),
    ]

    @api.constrains("opens_hour", "closes_hour", "duration_days", "opens_monthday")
    def _check_times(self):
        for schedule in self:
            if not (0 <= schedule.opens_hour < 24 and 0 <= schedule.closes_hour < 24):
                raise ValidationError(_("Opening and closing times are hours of a day (0 to 24)."))
            if schedule.duration_days == 0 and schedule.closes_hour <= schedule.opens_hour:
                raise ValidationError(_("A cycle open for 0 days must close after it opens."))
            if schedule.interval == "monthly" and not 1 <= schedule.opens_monthday <= 28:
                raise ValidationError(_("A monthly cycle opens on a day from 1 to 28."))

    def action_generate_cycles(self):
        """Button: create the cycles of the coming weeks now."""
        self.env["ofn.cycle.generator"].generate(self)
        return True

    @api.model
    def _cron_generate_cycles(self):
        self.env["ofn.cycle.generator"].generate(self.search([]))
