from odoo import models

from ..lookups import once


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    def _get_applicable_rules(self, products, date, **kwargs):
        """Override of `product`, which searches the pricelist's rules for each order line it
        prices: in a batch (``lookups.looked_up_once``: the orders a cycle's placement
        creates), once per pricelist, products and moment."""
        if not self:
            return super()._get_applicable_rules(products, date, **kwargs)
        # what the search depends on: its domain
        key = ("pricelist rules", repr(self._get_applicable_rules_domain(products, date, **kwargs)))
        rules = once(
            self.env,
            key,
            lambda: super(ProductPricelist, self)._get_applicable_rules(products, date, **kwargs),
        )
        return rules.with_env(self.env)
