from markupsafe import Markup, escape

from odoo import api, models


class OfnCustomerNotifier(models.AbstractModel):
    """Tells a customer about one of their standing order's orders: a message on the order from
    the hub, e-mailed to them, with a link to act on it."""

    _name = "ofn.customer.notifier"
    _description = "Tell a customer about their standing order"

    @api.model
    def notify(self, order, subject, paragraphs, link=None, link_label=None, more_links=()):
        """``paragraphs`` are plain texts (escaped here); ``link`` a path of this site, and
        ``more_links`` other (path, label) pairs."""
        body = Markup().join(Markup("<p>%s</p>") % text for text in paragraphs if text)
        links = ([(link, link_label or link)] if link else []) + list(more_links)
        for path, label in links:
            body += Markup('<p><a href="%s">%s</a></p>') % (
                escape(order.get_base_url() + path),
                label,
            )
        # from the hub, whoever runs this (a cron, or the customer's own request: an author is
        # never notified of their own message)
        return order.sudo().message_post(
            author_id=order.company_id.partner_id.id,
            body=body,
            subject=subject,
            partner_ids=order.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
