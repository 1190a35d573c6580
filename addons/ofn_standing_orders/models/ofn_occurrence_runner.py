import logging

from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import api, models

_logger = logging.getLogger(__name__)


class OfnOccurrenceRunner(models.AbstractModel):
    """Runs a business act on occurrences one by one, each in its own unit of work: the row is
    locked (``FOR UPDATE SKIP LOCKED``: another run busy with it is left alone) and re-checked
    against ``where``; whatever goes wrong with one occurrence is rolled back and logged, and
    the others go on. With ``commit`` (the crons), each unit is committed on its own; without
    it (tests, callers in a transaction), each unit is a savepoint."""

    _name = "ofn.occurrence.runner"
    _description = "Run a business act per standing order occurrence"

    @api.model
    def run(self, occurrence_ids, where, params, act, commit=False):
        """``where`` is SQL over the occurrence row ``o`` with ``params``; ``act(occurrence)``
        does the work. Returns the occurrences acted on."""
        Occurrence = self.env["ofn.standing.order.occurrence"].sudo()
        done_ids = []
        for occurrence_id in occurrence_ids:
            try:
                with self.env.cr.savepoint():
                    self.env.cr.execute(
                        f"""SELECT o.id FROM ofn_standing_order_occurrence o
                             WHERE o.id = %s AND ({where})
                               FOR UPDATE OF o SKIP LOCKED""",
                        [occurrence_id, *params],
                    )
                    if self.env.cr.fetchone():
                        act(Occurrence.browse(occurrence_id))
                        done_ids.append(occurrence_id)
            except (SerializationFailure, LockNotAvailable):
                _logger.info("Occurrence %s changed under another run: left to it", occurrence_id)
            except Exception:
                _logger.exception(
                    "Occurrence %s could not be processed; it is retried on the next run",
                    occurrence_id,
                )
            if commit:
                # the crons' contract (DESIGN.md §4): one occurrence, one transaction, so that
                # a charge Stripe took is never rolled back by a later occurrence's failure
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return Occurrence.browse(done_ids)
