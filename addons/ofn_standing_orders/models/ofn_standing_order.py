import logging
from datetime import timedelta

from markupsafe import Markup
from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, float_is_zero, float_round, format_date

from odoo.addons.ofn_stripe_connect.utils import (
    format_local_time,
    mail_customers,
    mail_hub_managers,
)

from ..const import (
    OPEN_OCCURRENCE_STATES,
    PAUSE_MAX_DAYS,
    PAYMENT_MODES,
    PORTAL_ACTIONS,
    SCHEDULED_STANDING_ORDER_STATES,
    STANDING_ORDER_ORIGINS,
    STANDING_ORDER_STATES,
)

_logger = logging.getLogger(__name__)

# the advisory lock's first key of a subscription form being sent (the second: its key's hash)
_SUBSCRIBE_FORM_LOCK = 0x0F5E


class OfnStandingOrder(models.Model):
    """A customer's recurring order with a hub: the same lines in every order cycle of a
    schedule, between a start and an optional end date (ARCHITECTURE.md §2, §4).

    Its status: entered by the hub's staff (``origin`` hub), ``draft --action_activate-->
    active``; started by the customer on a schedule's subscription page (``origin``
    customer), ``active`` at once, or ``pending`` when the hub approves new standing orders
    (``res.company.ofn_subscription_approval``): ``pending --action_approve--> active``,
    ``pending --action_refuse (a reason)--> refused`` (its cycles removed; a pending one is
    never placed nor charged). Then ``active --action_pause--> paused --action_activate-->
    active`` and ``--action_cancel--> cancelled``; ``ended`` (computed ``state``) once past its
    end date."""

    _name = "ofn.standing.order"
    _inherit = ["mail.thread"]
    _description = "Standing order"
    _order = "company_id, partner_id, id"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", string="Hub", required=True, index=True, default=lambda s: s.env.company
    )
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    partner_shipping_id = fields.Many2one("res.partner", string="Delivery address")
    schedule_id = fields.Many2one("ofn.schedule", required=True, ondelete="restrict")
    line_ids = fields.One2many("ofn.standing.order.line", "standing_order_id", string="Lines")
    start_date = fields.Date(required=True, default=fields.Date.context_today)
    end_date = fields.Date()
    payment_mode = fields.Selection(PAYMENT_MODES, required=True, default="card")
    status = fields.Selection(
        STANDING_ORDER_STATES, required=True, default="draft", readonly=True, tracking=True
    )
    origin = fields.Selection(
        STANDING_ORDER_ORIGINS, required=True, default="hub", readonly=True, copy=False
    )
    pause_until = fields.Date(
        string="Paused until",
        tracking=True,
        help="A paused standing order becomes active again on this day.",
    )
    refusal_reason = fields.Text(readonly=True, tracking=True, copy=False)
    state = fields.Selection(STANDING_ORDER_STATES, compute="_compute_state")
    occurrence_ids = fields.One2many(
        "ofn.standing.order.occurrence", "standing_order_id", string="Cycles"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_estimate = fields.Monetary(compute="_compute_amount_estimate", string="Estimate")
    # the subscription form's own key: the same form sent twice makes one standing order
    subscribe_key = fields.Char(readonly=True, copy=False, index=True)

    _sql_constraints = [
        (
            "subscribe_key_unique",
            "UNIQUE(subscribe_key)",
            "This subscription form was already sent.",
        ),
    ]

    @api.depends("partner_id.name", "schedule_id.name")
    def _compute_name(self):
        for order in self:
            order.name = f"{order.partner_id.name or ''} · {order.schedule_id.name or ''}"

    @api.depends("status", "end_date")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        for order in self:
            ended = order.end_date and order.end_date < today
            order.state = "ended" if ended and order.status == "active" else order.status

    @api.depends("line_ids.price_estimate")
    def _compute_amount_estimate(self):
        for order in self:
            order.amount_estimate = sum(order.line_ids.mapped("price_estimate"))

    @api.constrains("start_date", "end_date")
    def _check_dates(self):
        for order in self:
            if order.end_date and order.end_date < order.start_date:
                raise ValidationError(_("A standing order ends after it starts."))

    @api.constrains("schedule_id", "company_id")
    def _check_schedule_of_the_hub(self):
        for order in self:
            if order.schedule_id.company_id != order.company_id:
                raise ValidationError(_("The schedule must be one of the hub's."))

    def _check_payment_possible(self):
        """Paying by card needs the customer's consent for this hub, with a default card."""
        for order in self.filtered(lambda o: o.payment_mode == "card"):
            customer = order.partner_id.commercial_partner_id.sudo()
            consent = customer.ofn_consent_for(order.company_id)
            if not customer.ofn_default_card():
                raise ValidationError(
                    _(
                        "%(customer)s has no card in their wallet: choose “Pay on invoice”, or ask "
                        "them to add a card.",
                        customer=customer.name,
                    )
                )
            if consent.state != "active":
                raise ValidationError(
                    _(
                        "%(customer)s has not allowed %(hub)s to charge their card: choose “Pay on "
                        "invoice”, or ask them to allow it on their Wallet page.",
                        customer=customer.name,
                        hub=order.company_id.name,
                    )
                )

    # ------------------------------------------------------------------ lifecycle
    def action_activate(self):
        """A draft or paused standing order starts (again); one waiting for the hub's approval is
        approved (``action_approve``: the customer is told), a refused one stays refused."""
        if self.filtered(lambda o: o.status in ("pending", "refused")):
            raise UserError(
                _("Approve or refuse a standing order that waits for the hub's approval.")
                if "pending" in self.mapped("status")
                else _("A refused standing order cannot be activated.")
            )
        self._check_payment_possible()
        self.write({"status": "active"})
        return True

    def action_pause(self):
        """Asks what happens to orders already placed in open cycles, if there are any."""
        return self.env["ofn.standing.order.stop"]._ask_or_stop(self, "paused")

    def action_cancel(self):
        return self.env["ofn.standing.order.stop"]._ask_or_stop(self, "cancelled")

    # ------------------------------------------------------------------ the hub's approval
    def action_approve(self):
        """The hub's staff approve standing orders customers started on a subscription page
        (``pending``: the hub asks for its approval): they become active, their cycles are
        placed and charged from the next placement on; each customer is told by e-mail and on
        the standing order's chatter. Refused, nothing changes, when one is not waiting for
        approval or can no longer be paid by card (the customer's consent revoked meanwhile).

        :raise AccessError: the user is not staff of one of the hubs
        :raise UserError: what stops the approval, naming the customer
        """
        orders = self._pending_for_the_hub()
        for order in orders:
            try:
                order._check_payment_possible()
            except ValidationError as error:
                raise UserError(
                    _(
                        "The standing order of %(customer)s cannot be approved: %(reason)s",
                        customer=order.partner_id.name,
                        reason=error.args[0],
                    )
                ) from None
        orders.write({"status": "active"})
        mail_customers(orders, "ofn_standing_orders.mail_template_standing_order_approved")
        return True

    def action_refuse(self):
        """The small form where the hub says why it refuses (the customer reads it)."""
        orders = self._pending_for_the_hub()
        return {
            "type": "ir.actions.act_window",
            "name": _("Refuse standing orders"),
            "res_model": "ofn.standing.order.refuse",
            "view_mode": "form",
            "target": "new",
            "context": {"default_standing_order_ids": [(6, 0, orders.ids)]},
        }

    def _refuse(self, reason):
        """The hub refuses these pending standing orders, for ``reason``: they are ``refused``,
        their cycles not placed are removed (none ever was placed nor charged), each customer
        is told why by e-mail and on the standing order's chatter.

        :raise AccessError: the user is not staff of one of the hubs
        :raise UserError: one is not waiting for approval (decided meanwhile)
        """
        if not (reason or "").strip():
            raise UserError(_("Tell the customer why their standing order is refused."))
        orders = self._pending_for_the_hub()
        orders.write({"status": "refused", "refusal_reason": reason.strip()})
        mail_customers(orders, "ofn_standing_orders.mail_template_standing_order_refused")
        return orders

    def _pending_for_the_hub(self):
        """These standing orders as superuser, locked until the end of the transaction (two
        managers deciding at once: the second waits, then finds them decided), once the user
        is found to be staff of their hubs and each one waits for the hub's approval.

        :raise AccessError: the user is not staff of one of the hubs (another hub's standing
            orders are refused by the record rules)
        :raise UserError: one is not waiting for approval
        """
        self.check_access("read")
        self.company_id._ofn_check_standing_order_staff()
        orders = self.sudo()
        if orders:
            self.env.cr.execute(
                "SELECT id FROM ofn_standing_order WHERE id IN %s FOR NO KEY UPDATE",
                [tuple(orders.ids)],
            )
            orders.invalidate_recordset(["status"])
        statuses = dict(self._fields["status"]._description_selection(self.env))
        for order in orders:
            if order.status != "pending":
                raise UserError(
                    _(
                        "The standing order of %(customer)s is not waiting for the hub's "
                        "approval: it is %(status)s.",
                        customer=order.partner_id.name,
                        status=statuses[order.status].lower(),
                    )
                )
        return orders

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders.filtered(lambda o: o.status == "active")._check_payment_possible()
        orders._sync_occurrences()
        return orders

    def write(self, vals):
        result = super().write(vals)
        if {"payment_mode", "partner_id", "status"} & set(vals):
            self.filtered(lambda o: o.status == "active")._check_payment_possible()
        if {"schedule_id", "start_date", "end_date", "status"} & set(vals):
            self._sync_occurrences()
        return result

    def _stop(self, status, open_orders):
        """Pauses (``paused``) or cancels (``cancelled``) these standing orders; the orders
        already placed in cycles still open are kept (``keep``: confirmed, invoiced and charged
        when their cycle closes) or cancelled with them (``cancel``: the customer is told)."""
        if status not in ("paused", "cancelled") or open_orders not in ("keep", "cancel"):
            raise UserError(_("Pause or cancel, keeping or cancelling the open orders."))
        orders = self.filtered(lambda o: o.status == "active") if status == "paused" else self
        if open_orders == "cancel":
            orders._open_occurrences()._cancel_with_standing_order()
        orders.write({"status": status})
        return orders

    def _open_occurrences(self):
        """Orders placed in cycles that have not closed yet: the customer may still get them."""
        return self._coming_occurrences(OPEN_OCCURRENCE_STATES)

    def _coming_occurrences(self, states, **options):
        """The occurrences in ``states`` of cycles not closed yet (``options``: ``search``'s)."""
        return (
            self.env["ofn.standing.order.occurrence"]
            .sudo()
            .search(
                [
                    ("standing_order_id", "in", self.ids),
                    ("state", "in", states),
                    ("cycle_id.closes_at", ">", fields.Datetime.now()),
                ],
                **options,
            )
        )

    # ------------------------------------------------------------------ the customer's changes
    # On the portal (/my/standing_orders), within what the hub allows on the schedule: new
    # products and quantities (an offered schedule's offers), a pause until a date, a
    # cancellation. Each applies to the cycles not placed yet, and is noted on the chatter.

    def _ofn_as_customer(self):
        """This standing order (sudo) when the current user is its customer, read with the
        user's rights (record rules apply); ``AccessError`` otherwise. Every change a customer
        makes starts here, before any sudo."""
        self.ensure_one()
        mine = self.with_env(self.env(su=False)).search_count(
            [
                ("id", "=", self.id),
                ("partner_id", "child_of", self.env.user.partner_id.commercial_partner_id.id),
            ]
        )
        if not mine:
            raise AccessError(_("This standing order is not yours."))
        return self.sudo()

    def _ofn_portal_refusal(self, action):
        """Why the customer may not ``action`` (one of ``PORTAL_ACTIONS``) this standing order
        now, in their words, or ``False``: the hub's settings on the schedule decide."""
        self.ensure_one()
        order = self.sudo()
        schedule, hub = order.schedule_id, order.company_id.name
        if action == "cancel" and order.status == "pending":
            return False  # the customer withdraws their subscription before the hub decides
        if order.status not in ("active", "paused"):
            state = dict(self._fields["status"]._description_selection(self.env))[order.status]
            return _("This standing order is “%(state)s”: it cannot be changed.", state=state)
        if action == "change" and not (schedule.active and schedule.subscribe_ok):
            return _(
                "The products of this standing order are chosen by %(hub)s: ask the hub to "
                "change them.",
                hub=hub,
            )
        if action in ("pause", "resume") and not schedule.allow_pause:
            return _(
                "%(hub)s does not let customers pause their standing orders: ask the hub.",
                hub=hub,
            )
        if action in ("pause", "resume") and order.status == "paused" and not order.pause_until:
            # the hub's pause, with no day to start again: the hub's to end
            return _("%(hub)s paused this standing order: ask the hub to resume it.", hub=hub)
        if action == "resume" and order.status != "paused":
            return _("This standing order is not paused.")
        if action == "cancel" and not schedule.allow_cancel:
            return _(
                "%(hub)s does not let customers cancel their standing orders: ask the hub.",
                hub=hub,
            )
        return False

    def _ofn_portal_actions(self):
        """What the customer may do to this standing order now (the portal's buttons)."""
        return {action for action in PORTAL_ACTIONS if not self._ofn_portal_refusal(action)}

    def _ofn_portal_check(self, action):
        """The customer's own standing order (sudo), if they may ``action`` it; ``UserError``
        with the reason otherwise."""
        order = self._ofn_as_customer()
        refusal = order._ofn_portal_refusal(action)
        if refusal:
            raise UserError(refusal)
        return order

    def ofn_portal_change_lines(self, quantities):
        """The customer's new products and quantities for the cycles not placed yet
        (``{product id: quantity}``, 0: not taken), checked against the schedule's offers
        (``ofn.schedule._ofn_offered_lines``); the lines are replaced. Orders already placed
        keep theirs (the customer changes them cycle by cycle).

        :return: ``{"changed": bool, "next_cycle": the first cycle it applies to (or an empty
            recordset), "kept": the occurrences already placed, kept as they are}``
        :raise UserError: what is wrong; nothing is changed
        """
        order = self._ofn_portal_check("change")
        chosen = order.schedule_id._ofn_offered_lines(quantities)
        wanted = [(offer.product_id, quantity) for offer, quantity in chosen]
        result = {"changed": False, "next_cycle": order._ofn_next_unplaced_cycle()}
        result["kept"] = order._open_occurrences()
        if sorted((p.id, q) for p, q in wanted) == sorted(
            (line.product_id.id, line.quantity) for line in order.line_ids
        ):
            return result
        order._ofn_lock_unplaced()
        before = [(line.product_id, line.quantity) for line in order.line_ids]
        order.write(
            {
                "line_ids": [Command.delete(line.id) for line in order.line_ids]
                + [
                    Command.create({"product_id": product.id, "quantity": quantity})
                    for product, quantity in wanted
                ]
            }
        )
        result.update(changed=True, next_cycle=order._ofn_next_unplaced_cycle())
        order._ofn_note_customer_change(
            lambda env, who: env._(
                "%(who)s changed the products on the portal, for the cycles not placed yet "
                "(%(cycle)s): %(before)s → %(after)s.",
                who=who,
                cycle=order._ofn_from_cycle_text(env, result["next_cycle"]),
                before=order.with_env(env)._ofn_lines_text(before),
                after=order.with_env(env)._ofn_lines_text(wanted),
            )
        )
        return result

    @staticmethod
    def _ofn_from_cycle_text(env, cycle):
        """ "from the cycle closing on …" in ``env``'s language and time zone."""
        if not cycle:
            return env._("from the next cycle")
        return env._(
            "from the cycle closing on %(closes)s", closes=format_local_time(env, cycle.closes_at)
        )

    def ofn_portal_pause(self, until):
        """The customer pauses their standing order until ``until`` (a date or ``YYYY-MM-DD``,
        after the hub's today, at most ``PAUSE_MAX_DAYS`` ahead): its orders already placed are
        kept; it becomes active again on that day (``_cron_resume_paused``). A paused one gets
        the new date.

        :return: the occurrences already placed, kept
        :raise UserError: the date is wrong, or the hub does not let customers pause
        """
        order = self._ofn_portal_check("pause")
        try:
            until = fields.Date.to_date(until or None)
        except ValueError:
            until = None
        today = order._ofn_hub_today()
        last = today + timedelta(days=PAUSE_MAX_DAYS)
        if not until or until <= today:
            raise UserError(_("Choose the day your standing order starts again, after today."))
        if until > last:
            raise UserError(
                _(
                    "Pause for a year at most: choose a day until %(last)s.",
                    last=format_date(self.env, last),
                )
            )
        kept = order._ofn_portal_stop("paused", until)
        order._ofn_note_customer_change(
            lambda env, who: env._(
                "%(who)s paused the standing order on the portal until %(until)s.",
                who=who,
                until=format_date(env, until),
            )
        )
        return kept

    def ofn_portal_resume(self):
        """The customer resumes their paused standing order now (their own pause, with a date).

        :raise UserError: not paused by them, the hub does not let customers pause, or the hub
            cannot charge their card
        """
        order = self._ofn_portal_check("resume")
        try:
            with self.env.cr.savepoint():
                order._ofn_resume()
        except ValidationError:
            raise UserError(
                _(
                    "%(hub)s cannot charge your card yet: add a card to your wallet and allow "
                    "%(hub)s on your Wallet page, then resume.",
                    hub=order.company_id.name,
                )
            ) from None
        order._ofn_note_customer_change(
            lambda env, who: env._("%(who)s resumed the standing order on the portal.", who=who)
        )
        return True

    def ofn_portal_cancel(self):
        """The customer cancels their standing order: its cycles not placed yet are gone, its
        orders already placed are kept (the customer may skip their cycles).

        :return: the occurrences already placed, kept
        """
        order = self._ofn_portal_check("cancel")
        kept = order._ofn_portal_stop("cancelled")
        order._ofn_note_customer_change(
            lambda env, who: env._("%(who)s cancelled the standing order on the portal.", who=who)
        )
        return kept

    def _ofn_portal_stop(self, status, pause_until=False):
        """Pauses (until ``pause_until``) or cancels, as the customer asked: the orders already
        placed are kept (returned), the cycles not placed yet locked first."""
        self._ofn_lock_unplaced()
        kept = self._open_occurrences()
        if pause_until:
            self.pause_until = pause_until
        self._stop(status, "keep")
        return kept

    @api.model
    def _cron_resume_paused(self, now=None):
        """The paused standing orders whose pause ends today (``pause_until``, in each hub's
        time zone: the cron runs hourly) become active again; nobody is told, the chatter says
        it. One that cannot (the hub may no longer charge the card) stays paused, noted.

        :param now: the moment it runs (naive UTC), by default now
        :return: the standing orders made active
        """
        now = now or fields.Datetime.now()
        due = self.sudo().search(
            [
                ("status", "=", "paused"),
                ("pause_until", "!=", False),
                ("pause_until", "<=", (now + timedelta(days=1)).date()),
            ]
        )
        resumed = self.browse()
        for order in due.filtered(lambda o: o.pause_until <= o._ofn_hub_today(now)):
            hub_order = order._ofn_in_hub_language()
            until = format_date(hub_order.env, order.pause_until)
            try:
                with self.env.cr.savepoint():
                    hub_order._ofn_resume()  # a refusal in the hub's words
            except (UserError, ValidationError) as error:
                _logger.warning("Standing order %s stays paused: %s", order.id, error)
                hub_order._ofn_note(
                    hub_order.env._(
                        "Paused until %(until)s, but it could not become active again: %(reason)s",
                        until=until,
                        reason=error.args[0],
                    )
                )
                continue
            _logger.info("Standing order %s paused until %s is active again", order.id, until)
            hub_order._ofn_note(
                hub_order.env._("Paused until %(until)s: active again.", until=until)
            )
            resumed |= order
        return resumed

    def _ofn_resume(self):
        """Active again: its planned cycles are placed from now on."""
        self.write({"status": "active", "pause_until": False})

    def _ofn_lock_unplaced(self):
        """Locks this standing order's cycles not placed yet (``FOR UPDATE NOWAIT``) for the
        customer's change: a placement busy with one of them makes the customer try again;
        one that comes after the change places it as changed (it skips rows locked)."""
        self.env.flush_all()
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    """SELECT o.id FROM ofn_standing_order_occurrence o
                        WHERE o.standing_order_id = %s AND o.state = 'planned'
                          FOR UPDATE OF o NOWAIT""",
                    [self.id],
                )
        except (LockNotAvailable, SerializationFailure):
            raise UserError(
                _("Your standing order is being placed right now: please try again shortly.")
            ) from None

    def _ofn_next_unplaced_cycle(self):
        """The first cycle, not closed, in which this standing order is still to be placed."""
        return self._coming_occurrences(("planned",), order="cycle_opens_at, id", limit=1).cycle_id

    def _ofn_hub_today(self, now=None):
        """The hub's date (its time zone) at ``now`` (naive UTC, default now)."""
        tz = self.company_id.partner_id.tz or "UTC"
        return fields.Date.context_today(self.with_context(tz=tz), timestamp=now)

    def _ofn_in_hub_language(self):
        """This standing order (sudo) in its hub's language and time zone: what is noted for
        the hub's staff."""
        hub = self.company_id
        return self.sudo().with_context(lang=hub.ofn_lang(), tz=hub.partner_id.tz or "UTC")

    def _ofn_lines_text(self, lines):
        """``[(product, quantity)]`` in words, in this environment's language: "Eggs × 2,
        Vegetable box × 1"."""
        return ", ".join(
            f"{product.with_env(self.env).display_name} × {quantity:g}"
            for product, quantity in lines
        )

    def _ofn_note_customer_change(self, describe):
        """Notes a change the signed-in customer made, for the hub's staff, in the hub's
        language: ``describe(env, who)`` writes it (``env`` in the hub's language and time zone,
        ``who`` the customer's name)."""
        hub_order = self._ofn_in_hub_language()
        hub_order._ofn_note(describe(hub_order.env, self.env.user.partner_id.name))

    def _ofn_note(self, text):
        """A note for the hub's staff on the chatter (nobody is notified)."""
        self.message_post(
            body=Markup("<p>%s</p>") % text, message_type="comment", subtype_xmlid="mail.mt_note"
        )

    # ------------------------------------------------------------------ self-subscription
    @api.model
    def action_ofn_subscribe(self, schedule, choices):
        """The signed-in customer subscribes to ``schedule`` on its page: everything chosen is
        checked first (nothing stored when refused), then the hub is allowed to charge the
        chosen card (its consent; not asked again when it is already allowed with that card),
        then the standing order is made (``_ofn_subscribe``).

        :param schedule: the schedule, an `ofn.schedule` record
        :param dict choices: what the form sent: ``quantities`` ({product id: quantity}),
            ``cycle_id`` (the first cycle), ``end_date`` (optional, a date or its ISO string),
            ``shipping_id`` (the delivery address), ``card_id`` (a wallet card) and ``key``
            (the form's own key: the same form sent twice makes one standing order)
        :return: ``{"state": "done", "standing_order": ...}``, or, when the bank asks for 3-D
            Secure, ``{"state": "authenticate", "consent": ..., "client_secret": ...}``: the
            browser answers it, then ``action_ofn_subscribe_confirm`` goes on
        :raise UserError: what is wrong with the choices, or the bank's refusal of the card
        """
        partner = self._ofn_subscriber()
        done = self._ofn_subscribed_with(partner, choices.get("key"))
        if done:
            return {"state": "done", "standing_order": done}
        checked = self._ofn_subscription_choices(schedule, partner, choices)
        hub = checked["schedule"].company_id
        consent = partner.ofn_consent_for(hub)
        if not (consent.state == "active" and consent.card_id == checked["card"]):
            consent, client_secret = self.env["ofn.wallet.consent"].grant(
                partner, hub, checked["card"]
            )
            if client_secret:
                return {"state": "authenticate", "consent": consent, "client_secret": client_secret}
        return self._ofn_subscribe_with_consent(partner, checked, consent)

    @api.model
    def action_ofn_subscribe_confirm(self, schedule, choices, consent):
        """After the customer's 3-D Secure in the browser: the consent follows its SetupIntent;
        allowed, the standing order is made with the same ``choices`` (checked again).

        :return: as ``action_ofn_subscribe``, ``done`` only
        :raise UserError: the bank's refusal, or what changed meanwhile in the choices
        """
        partner = self._ofn_subscriber()
        done = self._ofn_subscribed_with(partner, choices.get("key"))
        if done:
            return {"state": "done", "standing_order": done}
        if consent.sudo().partner_id != partner:
            raise AccessError(_("Only the customer allows a hub to charge their card."))
        checked = self._ofn_subscription_choices(schedule, partner, choices)
        if consent.sudo().company_id != checked["schedule"].company_id:
            raise AccessError(_("This consent is for another hub."))
        consent.action_confirm()
        return self._ofn_subscribe_with_consent(partner, checked, consent.sudo())

    def _ofn_subscriber(self):
        """The signed-in customer (their commercial partner): only they subscribe for
        themselves."""
        if self.env.user._is_public():
            raise AccessError(_("Sign in to subscribe."))
        return self.env.user.partner_id.commercial_partner_id

    def _ofn_subscribed_with(self, partner, key):
        """The customer's standing order made by the form of this key (sent twice), if any.
        The form is sent by one request at a time: while another sends it (the bank may take
        a while), this one is refused, and the customer finds their standing order on their
        page a moment later (the unique key stops the rare one that comes after the check)."""
        if not key:
            return self.browse()
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", [_SUBSCRIBE_FORM_LOCK, key]
        )
        if not self.env.cr.fetchone()[0]:
            raise UserError(
                _(
                    "This form is being sent already: your standing order will be on your "
                    "standing orders page in a moment."
                )
            )
        return (
            self.sudo()
            .with_context(active_test=False)
            .search([("subscribe_key", "=", key), ("partner_id", "=", partner.id)], limit=1)
        )

    @api.model
    def _ofn_subscription_choices(self, schedule, partner, choices):
        """``choices`` checked for ``partner`` on ``schedule`` (see ``action_ofn_subscribe``):
        the lines offered (``schedule._ofn_offered_lines``), a first cycle of the schedule not
        closed yet, an end date on or after that cycle's close, a delivery address of the
        customer's, a card of their wallet.

        :return: dict ``schedule``, ``lines`` ([(offer, quantity)]), ``cycle``, ``end_date``,
            ``shipping``, ``card``, ``key``
        :raise UserError: the first thing wrong, in the customer's words
        """
        schedule = schedule.sudo()
        lines = schedule._ofn_offered_lines(choices.get("quantities") or {})
        cycle = schedule._ofn_subscribable_cycles().filtered(
            lambda c: c.id == _as_id(choices.get("cycle_id"))
        )
        if not cycle:
            raise UserError(_("Choose the first cycle among the coming ones."))
        try:
            end_date = fields.Date.to_date(choices.get("end_date") or False)
        except ValueError:
            raise UserError(_("Enter the end date as a date.")) from None
        if end_date and end_date < cycle.closes_at.date():
            raise UserError(
                _(
                    "Your standing order cannot end before its first cycle closes (%(closes)s).",
                    closes=fields.Date.to_string(cycle.closes_at.date()),
                )
            )
        partner = partner.sudo()
        shipping = partner._ofn_delivery_addresses().filtered(
            lambda a: a.id == _as_id(choices.get("shipping_id"))
        )
        if not shipping:
            raise UserError(_("Choose one of your delivery addresses."))
        card = partner.ofn_wallet_card_ids.filtered(
            lambda c: c.active and c.id == _as_id(choices.get("card_id"))
        )
        if not card:
            raise UserError(
                _("Choose a card of your wallet, or enter a new card, to pay your orders.")
            )
        return {
            "schedule": schedule,
            "lines": lines,
            "cycle": cycle,
            "end_date": end_date,
            "shipping": shipping,
            "card": card,
            "key": choices.get("key") or False,
        }

    def _ofn_subscribe_with_consent(self, partner, checked, consent):
        if consent.state != "active":
            raise UserError(consent.reason or _("The bank refused the card."))
        return {
            "state": "done",
            "standing_order": self._ofn_subscribe(
                checked["schedule"],
                partner,
                checked["lines"],
                checked["cycle"],
                end_date=checked["end_date"],
                shipping=checked["shipping"],
                key=checked["key"],
            ),
        }

    @api.model
    def _ofn_subscribe(
        self, schedule, partner, lines, cycle, end_date=False, shipping=None, key=False
    ):
        """Makes the standing order a customer subscribed to, once their lines are checked and
        the hub may charge their card: active, or waiting for the hub's approval when the hub
        asks for it (``ofn_subscription_approval``); its occurrences from ``cycle`` on. The
        customer gets the confirmation e-mail, the hub's managers are told, each in their
        language, and the standing order's chatter keeps both.

        :param lines: ``[(offer, quantity)]`` from ``schedule._ofn_offered_lines``
        :return: the standing order (as superuser)
        """
        hub = schedule.company_id
        order = (
            self.sudo()
            .with_company(hub)
            .with_context(mail_create_nosubscribe=True, mail_create_nolog=True)
            .create(
                {
                    "company_id": hub.id,
                    "partner_id": partner.id,
                    "partner_shipping_id": (shipping or partner).id,
                    "schedule_id": schedule.id,
                    "start_date": cycle.closes_at.date(),
                    "end_date": end_date or False,
                    "payment_mode": "card",
                    "origin": "customer",
                    "status": "pending" if hub.ofn_subscription_approval else "active",
                    "subscribe_key": key or False,
                    "line_ids": [
                        (0, 0, {"product_id": offer.product_id.id, "quantity": quantity})
                        for offer, quantity in lines
                    ],
                }
            )
        )
        order._ofn_tell_subscribed(cycle)
        return order

    def _ofn_tell_subscribed(self, cycle):
        """A note for the hub on the chatter (in the hub's language), the customer's
        confirmation, the managers told."""
        self.ensure_one()
        hub = self.company_id
        lines = [(line.product_id, line.quantity) for line in self.line_ids]
        self._ofn_note_customer_change(
            lambda env, who: (
                env._(
                    "%(customer)s subscribed on the portal, from the cycle %(cycle)s.",
                    customer=who,
                    cycle=cycle.name,
                )
                + " "
                + self.with_env(env)._ofn_lines_text(lines)
            )
        )
        mail_customers(self, "ofn_standing_orders.mail_template_standing_order_subscribed")
        mail_hub_managers(
            self.env.ref("ofn_standing_orders.mail_template_hub_standing_order_subscribed"),
            self,
            author=hub.partner_id,
        )

    # ------------------------------------------------------------------ occurrences
    def _sync_occurrences(self):
        """Keeps the occurrences in step with the schedule's cycles: one for every cycle closing
        within the dates while the standing order is active, paused or waiting for the hub's
        approval (pending: never placed, see the placement's ``_PLACEABLE``) (inserted, never
        duplicated: a unique constraint and ``ON CONFLICT DO NOTHING``), and the unplaced ones
        that no longer fit removed (all of them when it is refused, cancelled, or draft)."""
        self.env.flush_all()
        for order in self.sudo():
            wanted = (
                order._cycles_in_range() if order.status in SCHEDULED_STANDING_ORDER_STATES else []
            )
            wanted_ids = [cycle.id for cycle in wanted]
            if wanted_ids:
                self.env.cr.execute(
                    """INSERT INTO ofn_standing_order_occurrence
                           (standing_order_id, cycle_id, company_id, partner_id, cycle_opens_at,
                            state, create_uid, create_date, write_uid, write_date)
                       SELECT %(order)s, c.id, %(company)s, %(partner)s, c.opens_at, 'planned',
                              %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                         FROM ofn_order_cycle c WHERE c.id = ANY(%(cycles)s)
                       ON CONFLICT (standing_order_id, cycle_id) DO NOTHING""",
                    {
                        "order": order.id,
                        "company": order.company_id.id,
                        "partner": order.partner_id.id,
                        "uid": self.env.uid,
                        "cycles": wanted_ids,
                    },
                )
            self.env.cr.execute(
                """DELETE FROM ofn_standing_order_occurrence
                    WHERE standing_order_id = %s AND state = 'planned' AND sale_order_id IS NULL
                      AND NOT (cycle_id = ANY(%s))""",
                [order.id, wanted_ids],
            )
        self.env["ofn.standing.order.occurrence"].invalidate_model()
        self.invalidate_recordset(["occurrence_ids"])

    def _cycles_in_range(self):
        """The schedule's cycles that close on or after the start and open by the end date."""
        return self.schedule_id.cycle_ids.filtered(
            lambda c: (
                c.closes_at.date() >= self.start_date
                and (not self.end_date or c.opens_at.date() <= self.end_date)
            )
        )

    # ------------------------------------------------------------------ placement
    def _quantities_for(self, stock):
        """[(product, quantity)] to order this cycle, capped by the stock still free for stored
        products, and the changes made, in words. ``stock`` (product id -> quantity still free)
        is shared by the orders placed together: what this order takes is taken from it."""
        ordered, changes = [], []
        for line in self.line_ids:
            product = line.product_id
            if not (product.active and product.sale_ok):
                changes.append(_("%(product)s: no longer sold", product=product.display_name))
                continue
            quantity = line.quantity
            if product.is_storable:
                free = self._free_quantity(product, stock)
                rounding = product.uom_id.rounding
                if float_compare(quantity, free, precision_rounding=rounding) > 0:
                    quantity = max(float_round(free, precision_rounding=rounding), 0.0)
                    if float_is_zero(quantity, precision_rounding=rounding):
                        changes.append(_("%(product)s: out of stock", product=product.display_name))
                        continue
                    changes.append(
                        _(
                            "%(product)s: %(wanted)s wanted, %(got)s available",
                            product=product.display_name,
                            wanted=line.quantity,
                            got=quantity,
                        )
                    )
                stock[product.id] -= quantity
            ordered.append((product, quantity))
        return ordered, changes

    def _free_quantity(self, product, stock):
        """What is free in the hub's warehouses, less what placed, unconfirmed orders of the hub
        already promise (the first time the product is met)."""
        hub = self.company_id
        if product.id not in stock:
            free = product.with_company(hub).with_context(allowed_company_ids=hub.ids).free_qty
            self.env.cr.execute(
                """SELECT COALESCE(SUM(l.product_uom_qty), 0) FROM sale_order_line l
                     JOIN sale_order so ON so.id = l.order_id
                     JOIN ofn_standing_order_occurrence o ON o.sale_order_id = so.id
                    WHERE l.product_id = %s AND so.company_id = %s AND so.state IN ('draft', 'sent')
                      AND o.state = 'placed'""",
                [product.id, hub.id],
            )
            stock[product.id] = free - self.env.cr.fetchone()[0]
        return stock[product.id]


def _as_id(value):
    """A record id sent by a form (a string, an int, or nothing), else 0."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


class OfnStandingOrderLine(models.Model):
    _name = "ofn.standing.order.line"
    _description = "Standing order line"

    standing_order_id = fields.Many2one(
        "ofn.standing.order", required=True, ondelete="cascade", index=True
    )
    product_id = fields.Many2one("product.product", required=True, domain=[("sale_ok", "=", True)])
    quantity = fields.Float(required=True, default=1.0, digits="Product Unit of Measure")
    currency_id = fields.Many2one(related="standing_order_id.currency_id")
    price_estimate = fields.Monetary(compute="_compute_price_estimate", string="Estimate")

    _sql_constraints = [("quantity_positive", "CHECK(quantity > 0)", "Order a positive quantity.")]

    @api.depends("product_id.lst_price", "quantity")
    def _compute_price_estimate(self):
        for line in self:
            line.price_estimate = line.product_id.lst_price * line.quantity
