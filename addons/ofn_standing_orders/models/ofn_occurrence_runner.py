import logging
import random
import time

from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import api, models

_logger = logging.getLogger(__name__)

# a unit that collided with another run's (e.g. both numbering invoices of one journal) is
# tried again from scratch this many times, in its own transaction
_RETRIES_ON_CONFLICT = 5

# to order occurrences (row ``o``) by the closing of their cycle
CYCLE_CLOSES_AT = "(SELECT c.closes_at FROM ofn_order_cycle c WHERE c.id = o.cycle_id)"


class OfnOccurrenceRunner(models.AbstractModel):
    """Runs a business act on occurrences one by one, each in its own unit of work: the row is
    locked (``FOR UPDATE SKIP LOCKED``: another run busy with it is left alone) and re-checked
    against ``where``; whatever goes wrong with one occurrence is rolled back and logged, and
    the others go on. With ``commit`` (the crons), each unit is its own transaction, committed
    at once and tried again when it collided with a concurrent one; without it (tests, callers
    in a transaction), each unit is a savepoint."""

    _name = "ofn.occurrence.runner"
    _description = "Run a business act per standing order occurrence"

    @api.model
    def run(self, where, params, order_by, act, commit=False, on_error=None):
        """Acts on the occurrences matching ``where`` (SQL over the occurrence row ``o``, with
        ``params``), in the order of ``order_by``, each checked against ``where`` again under
        its lock. ``act(occurrence)`` does the work; ``on_error(occurrence, error)``, when given,
        records a failure of it (after the rollback of the act). Returns the occurrences acted
        on."""
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT o.id FROM ofn_standing_order_occurrence o WHERE {where} ORDER BY {order_by}",
            params,
        )
        occurrence_ids = [row[0] for row in self.env.cr.fetchall()]
        done_ids = []
        for occurrence_id in occurrence_ids:
            for attempt in range(1, _RETRIES_ON_CONFLICT + 2):
                try:
                    if self._run_one(occurrence_id, where, params, act):
                        done_ids.append(occurrence_id)
                except (SerializationFailure, LockNotAvailable):
                    if commit and attempt <= _RETRIES_ON_CONFLICT:
                        self.env.cr.rollback()  # a fresh snapshot for the next try
                        time.sleep(random.uniform(0.01, 0.05 * attempt))
                        continue
                    _logger.info("Occurrence %s collided with another run: left", occurrence_id)
                except Exception as error:
                    _logger.exception(
                        "Occurrence %s could not be processed; it is retried on the next run",
                        occurrence_id,
                    )
                    if on_error:
                        self._record_error(occurrence_id, error, on_error)
                break
            if commit:
                # the crons' contract (ARCHITECTURE.md §4): one occurrence, one transaction, so that
                # a charge Stripe took is never rolled back by a later occurrence's failure
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return self.env["ofn.standing.order.occurrence"].sudo().browse(done_ids)

    def _record_error(self, occurrence_id, error, on_error):
        try:
            with self.env.cr.savepoint():
                on_error(
                    self.env["ofn.standing.order.occurrence"].sudo().browse(occurrence_id), error
                )
        except Exception:
            _logger.exception("Occurrence %s: its failure could not be recorded", occurrence_id)

    def _run_one(self, occurrence_id, where, params, act):
        with self.env.cr.savepoint():
            self.env.cr.execute(
                f"""SELECT o.id FROM ofn_standing_order_occurrence o
                     WHERE o.id = %s AND ({where})
                       FOR UPDATE OF o SKIP LOCKED""",
                [occurrence_id, *params],
            )
            if not self.env.cr.fetchone():
                return False
            act(self.env["ofn.standing.order.occurrence"].sudo().browse(occurrence_id))
            return True
