from odoo import api, fields, models


class QueueJob(models.Model):
    """The jobs of a cycle's close, found from the cycle (its progress, its failed jobs)."""

    _inherit = "queue.job"

    ofn_cycle_id = fields.Many2one(
        "ofn.order.cycle",
        string="Order cycle",
        compute="_compute_ofn_cycle_id",
        store=True,
        index="btree_not_null",
    )

    @api.depends("model_name", "records")
    def _compute_ofn_cycle_id(self):
        """The cycle a job acts on: the occurrences of a stage's chunk or charge all belong to
        one cycle; a summary job is on the cycle itself."""
        for job in self:
            records = job.sudo().records
            if job.model_name == "ofn.order.cycle":
                job.ofn_cycle_id = records[:1]
            elif job.model_name == "ofn.standing.order.occurrence":
                job.ofn_cycle_id = records[:1].cycle_id
            else:
                job.ofn_cycle_id = False
