from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, float_is_zero

from ..const import SCHEDULE_INTERVALS, SUBSCRIBE_PATH, WEEKDAYS


class OfnSchedule(models.Model):
    """When a hub's order cycles open and close, in the hub's time zone: every week, every N
    weeks or every month. The schedule generates its cycles ahead (``horizon_weeks``), daily."""

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
    # what customers may subscribe to on the schedule's public page (SUBSCRIBE_PATH/<id>)
    subscribe_ok = fields.Boolean(
        string="Customers may subscribe",
        help="Customers start their own standing orders on this schedule's page, with the "
        "products offered below.",
    )
    offer_ids = fields.One2many("ofn.schedule.offer", "schedule_id", string="Products offered")
    allow_pause = fields.Boolean(
        string="Customers may pause", default=True, help="From their standing orders page."
    )
    allow_cancel = fields.Boolean(
        string="Customers may cancel", default=True, help="From their standing orders page."
    )
    subscribe_url = fields.Char(
        string="Subscription page", compute="_compute_subscribe_url", help="Share it."
    )

    _sql_constraints = [
        ("interval_weeks_positive", "CHECK(interval_weeks > 0)", "Every N weeks needs N > 0."),
        ("horizon_positive", "CHECK(horizon_weeks > 0)", "Plan at least one week ahead."),
        (
            "duration_not_negative",
            "CHECK(duration_days >= 0)",
            "A cycle cannot close before it opens.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        """A hub gets its warehouse with its first schedule, once, rather than in the first
        placement of its orders."""
        schedules = super().create(vals_list)
        for hub in schedules.company_id:
            hub.sudo()._ofn_warehouse()
        return schedules

    @api.depends("subscribe_ok")
    def _compute_subscribe_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for schedule in self:
            schedule.subscribe_url = (
                f"{base}{SUBSCRIBE_PATH}/{schedule.id}"
                if schedule.subscribe_ok and schedule.id
                else False
            )

    @api.constrains("opens_hour", "closes_hour", "duration_days", "opens_monthday")
    def _check_times(self):
        for schedule in self:
            if not (0 <= schedule.opens_hour < 24 and 0 <= schedule.closes_hour < 24):
                raise ValidationError(_("Opening and closing times are hours of a day (0 to 24)."))
            if schedule.duration_days == 0 and schedule.closes_hour <= schedule.opens_hour:
                raise ValidationError(_("A cycle open for 0 days must close after it opens."))
            if schedule.interval == "monthly" and not 1 <= schedule.opens_monthday <= 28:
                raise ValidationError(_("A monthly cycle opens on a day from 1 to 28."))

    def _ofn_offered_lines(self, quantities):
        """The lines a customer chose on this schedule's subscription page (or later, on their
        standing orders page), checked against what the hub offers: the schedule is offered,
        every product is one of its offers, every quantity within the offer's bounds; products
        left at 0 are left out, and at least one product is ordered. Shared by the
        subscription and the customer's changes, so both refuse the same things the same way.

        :param quantities: ``{product id: quantity}`` (ints or the form's strings)
        :return: ``[(offer, quantity)]`` in the offers' order
        :raise UserError: what is wrong, in the customer's words; nothing is changed
        """
        self.ensure_one()
        schedule = self.sudo()
        if not (schedule.active and schedule.subscribe_ok):
            raise UserError(_("This schedule is not open to subscriptions."))
        offers = {offer.product_id.id: offer for offer in schedule.offer_ids}
        chosen = []
        for product_id, raw in quantities.items():
            try:
                offer = offers.get(int(product_id))
                quantity = float(raw or 0)
            except (TypeError, ValueError):
                raise UserError(_("Enter the quantities as numbers.")) from None
            if offer is None:
                raise UserError(
                    _(
                        "One of the products chosen is not offered on %(schedule)s.",
                        schedule=schedule.name,
                    )
                )
            rounding = offer.product_id.uom_id.rounding
            if float_is_zero(quantity, precision_rounding=rounding):
                continue
            if (
                float_compare(quantity, offer.min_quantity, precision_rounding=rounding) < 0
                or float_compare(quantity, offer.max_quantity, precision_rounding=rounding) > 0
            ):
                raise UserError(
                    _(
                        "%(product)s: choose from %(min)s to %(max)s per cycle.",
                        product=offer.product_id.display_name,
                        min=offer.min_quantity,
                        max=offer.max_quantity,
                    )
                )
            chosen.append((offer, quantity))
        if not chosen:
            raise UserError(_("Choose at least one product."))
        return sorted(chosen, key=lambda pair: (pair[0].sequence, pair[0].id))

    def _ofn_estimate(self, quantities):
        """The price per cycle of the quantities a customer chose (``{product id: quantity}``)
        as their standing order estimates it (the products' sales prices), in the hub's
        currency; what is not offered, or not a number, counts for nothing."""
        self.ensure_one()
        prices = {str(o.product_id.id): o.product_id.lst_price for o in self.sudo().offer_ids}
        total = 0.0
        for product_id, raw in quantities.items():
            try:
                total += prices.get(str(product_id), 0.0) * float(raw or 0)
            except (TypeError, ValueError):
                continue
        return total

    def _ofn_subscribable_cycles(self):
        """The cycles a customer may start a standing order with: those not closed yet."""
        self.ensure_one()
        now = fields.Datetime.now()
        return self.sudo().cycle_ids.filtered(lambda c: c.closes_at > now).sorted("opens_at")

    def action_generate_cycles(self):
        """Button: create the cycles of the coming weeks now."""
        self._generate_cycles()
        return True

    @api.model
    def _cron_generate_cycles(self):
        self.search([])._generate_cycles()

    def _generate_cycles(self, today=None):
        """Creates the order cycles of these schedules for the coming weeks
        (``horizon_weeks``), in the hub's time zone. Running it again creates nothing new: a
        cycle is one per (schedule, opening).

        :return: the cycles created
        """
        today = today or fields.Date.context_today(self)
        Cycle = self.env["ofn.order.cycle"].sudo()
        created = Cycle
        for schedule in self.sudo():
            existing = set(schedule.with_context(active_test=False).cycle_ids.mapped("opens_at"))
            horizon = today + timedelta(weeks=schedule.horizon_weeks)
            values = [
                {
                    "company_id": schedule.company_id.id,
                    "schedule_id": schedule.id,
                    "opens_at": opens_at,
                    "closes_at": closes_at,
                }
                for opens_at, closes_at in schedule._cycle_times(today, horizon)
                if opens_at not in existing
            ]
            created |= Cycle.create(values)
        return created

    def _cycle_times(self, today, horizon):
        """(opens_at, closes_at) in UTC (naive, as Odoo stores them) of this schedule's cycles
        that close after ``today`` and open before ``horizon``."""
        tz = pytz.timezone(self.company_id.partner_id.tz or "UTC")
        for day in self._opening_days(horizon):
            opens = local_hour_to_utc(tz, day, self.opens_hour)
            closes = local_hour_to_utc(
                tz, day + timedelta(days=self.duration_days), self.closes_hour
            )
            if closes.date() >= today:
                yield opens, closes

    def _opening_days(self, horizon):
        start = self.start_date
        if self.interval == "monthly":
            day = start.replace(day=self.opens_monthday)
            if day < start:
                day += relativedelta(months=1)
            step = relativedelta(months=1)
        else:
            day = start + timedelta(days=(int(self.opens_weekday) - start.weekday()) % 7)
            step = timedelta(weeks=1 if self.interval == "weekly" else self.interval_weeks)
        while day < horizon:
            yield day
            day += step


def local_hour_to_utc(tz, day, hour):
    """The UTC moment (naive) of ``hour`` (e.g. 18.5) local time on ``day`` in ``tz``."""
    local = tz.localize(datetime.combine(day, time()) + timedelta(hours=hour))
    return local.astimezone(pytz.utc).replace(tzinfo=None)
