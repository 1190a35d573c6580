"""The lock a customer's change of one cycle takes (skip, un-skip, new quantities): the
occurrence row, so that the change cannot interleave with the placement or confirmation jobs,
then the state and the cycle's closing time read again under the lock."""

from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import fields
from odoo.exceptions import UserError

from odoo.addons.ofn_stripe_connect.utils import format_local_time


def lock_before_closing(occurrence, states):
    """Locks ``occurrence`` (``FOR UPDATE NOWAIT``: a job busy with it makes the customer try
    again rather than wait) and checks that it is in one of ``states`` and that its cycle has
    not closed. Returns the occurrence (sudo) read afresh; raises ``UserError`` otherwise."""
    occurrence.ensure_one()
    occurrence = occurrence.sudo()  # the hub's cycles and orders are not the customer's records
    env = occurrence.env
    now = fields.Datetime.now()
    env.flush_all()
    try:
        with env.cr.savepoint():
            env.cr.execute(
                """SELECT o.state, c.closes_at
                     FROM ofn_standing_order_occurrence o
                     JOIN ofn_order_cycle c ON c.id = o.cycle_id
                    WHERE o.id = %s
                      FOR UPDATE OF o NOWAIT
                      FOR SHARE OF c NOWAIT""",
                [occurrence.id],
            )
            row = env.cr.fetchone()
    except (LockNotAvailable, SerializationFailure):
        raise UserError(
            env._(
                "Your order for this cycle is being processed right now: please try again shortly."
            )
        ) from None
    if not row:
        raise UserError(env._("This cycle is no longer part of your standing order."))
    occurrence.invalidate_recordset()
    occurrence.cycle_id.invalidate_recordset()
    state, closes_at = row
    if closes_at <= now:
        raise UserError(
            env._(
                "This cycle closed on %(closes)s: your order can no longer be changed.",
                closes=format_local_time(env, closes_at),
            )
        )
    if state not in states:
        label = dict(occurrence._fields["state"]._description_selection(env)).get(state, state)
        raise UserError(
            env._("This cycle's order is “%(state)s”: it cannot be changed that way.", state=label)
        )
    return occurrence
