from odoo import api, models


class OfnOccurrenceSyncer(models.AbstractModel):
    """Keeps each standing order's occurrences in step with its schedule's cycles: one for every
    cycle closing within its dates while it is active or paused (inserted, never duplicated: a
    unique constraint and ``ON CONFLICT DO NOTHING``), and the unplaced ones that no longer
    fit removed."""

    _name = "ofn.occurrence.syncer"
    _description = "Sync standing orders with their order cycles"

    @api.model
    def sync(self, standing_orders):
        standing_orders = standing_orders.sudo()
        self.env.flush_all()
        for order in standing_orders:
            wanted = self._cycles_in_range(order) if order.status in ("active", "paused") else []
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
        standing_orders.invalidate_recordset(["occurrence_ids"])

    def _cycles_in_range(self, order):
        """The schedule's cycles that close on or after the start and open by the end date."""
        return order.schedule_id.cycle_ids.filtered(
            lambda c: (
                c.closes_at.date() >= order.start_date
                and (not order.end_date or c.opens_at.date() <= order.end_date)
            )
        )
