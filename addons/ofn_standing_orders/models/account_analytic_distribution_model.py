from odoo import api, models

_KNOWN = "ofn_analytic_models"  # the cursor's cache: is there any distribution model?


class AccountAnalyticDistributionModel(models.Model):
    _inherit = "account.analytic.distribution.model"

    @api.model
    def _get_applicable_models(self, vals):
        """Override of `analytic`, which searches the distribution models for every line it
        fills (each order line, invoice line and payment line of a cycle's close): a database
        without any model is found out once per cursor (a job, a request), and nothing is
        searched for then."""
        known = self.env.cr.cache
        if _KNOWN not in known:
            known[_KNOWN] = bool(self.sudo().search_count([], limit=1))
        if not known[_KNOWN]:
            return self.browse()
        return super()._get_applicable_models(vals)

    @api.model_create_multi
    def create(self, vals_list):
        self.env.cr.cache.pop(_KNOWN, None)
        return super().create(vals_list)

    def unlink(self):
        self.env.cr.cache.pop(_KNOWN, None)
        return super().unlink()
