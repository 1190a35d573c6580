from odoo import models

# the QWeb view of Odoo's "This document has been created from: ..." notes
_ORIGIN_LINK = "mail.message_origin_link"


class MailThread(models.AbstractModel):
    """The documents the standing order engine creates (orders, deliveries, invoices,
    payments, thousands per cycle close) carry neither "created from" notes nor the customer
    as follower: their origin field says the first, and the customer is told by the engine's
    own messages, addressed to them. Runs only under the engine's context (``ofn_engine``,
    see ``const.ENGINE_CONTEXT``); everywhere else Odoo behaves as usual. And the one way a
    hub's message reaches its customer on a document (an order, a standing order):
    ``_ofn_message_from_hub``."""

    _inherit = "mail.thread"

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        if self.env.context.get("ofn_engine"):
            return True
        return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)

    def message_post_with_source(self, source_ref, *args, **kwargs):
        if self.env.context.get("ofn_engine") and source_ref == _ORIGIN_LINK:
            return self.env["mail.message"]
        return super().message_post_with_source(source_ref, *args, **kwargs)

    def _ofn_message_from_hub(self, template):
        """One message per record, from its hub (the records' ``company_id``), on the record's
        chatter and e-mailed to whom the ``template`` addresses (the customer), rendered in the
        template's language (the customer's); queued, sent by Odoo's mail queue."""
        subtype = self.env.ref("mail.mt_comment")
        for hub, records in self.grouped("company_id").items():
            composer = (
                self.env["mail.compose.message"]
                .with_company(hub)
                .with_context(
                    mail_notify_force_send=False,
                    mail_create_nosubscribe=True,
                    mail_post_autofollow=False,  # `sale` would make the customer a follower
                )
                .create(
                    {
                        "composition_mode": "comment",
                        "model": records._name,
                        "res_ids": records.ids,
                        "template_id": template.id,
                        "author_id": hub.partner_id.id,
                        "message_type": "comment",
                        "subtype_id": subtype.id,
                    }
                )
            )
            composer._action_send_mail()
