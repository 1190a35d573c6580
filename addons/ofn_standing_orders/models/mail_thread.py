from odoo import models

# the QWeb view of Odoo's "This document has been created from: ..." notes
_ORIGIN_LINK = "mail.message_origin_link"


class MailThread(models.AbstractModel):
    """The documents the standing order engine creates (orders, deliveries, invoices,
    payments, thousands per cycle close) carry neither "created from" notes nor the customer
    as follower: their origin field says the first, and the customer is told by the engine's
    own messages, addressed to them. Runs only under the engine's context (``ofn_engine``,
    see ``const.ENGINE_CONTEXT``); everywhere else Odoo behaves as usual. (A hub's message to
    its customer on a document: ``ofn_stripe_connect.utils.mail_customers``.)"""

    _inherit = "mail.thread"

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        if self.env.context.get("ofn_engine"):
            return True
        return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)

    def message_post_with_source(self, source_ref, *args, **kwargs):
        if self.env.context.get("ofn_engine") and source_ref == _ORIGIN_LINK:
            return self.env["mail.message"]
        return super().message_post_with_source(source_ref, *args, **kwargs)
