from markupsafe import Markup

from odoo import _, api, models


class OfnHubSummary(models.AbstractModel):
    """After each placement, confirmation or retry run, one e-mail per hub to its managers:
    how many orders went through, and the problems by kind (OFN's placement and confirmation
    summaries)."""

    _name = "ofn.hub.summary"
    _description = "Summary of a standing-order run for each hub"

    @api.model
    def send(self, run, occurrences):
        """``run`` is ``placement``, ``confirmation`` or ``retry``. Returns the messages sent."""
        titles = {
            "placement": _("Standing orders placed for %(hub)s"),
            "confirmation": _("Standing orders confirmed for %(hub)s"),
            "retry": _("Standing order payments tried again for %(hub)s"),
        }
        messages = self.env["mail.message"]
        for hub in occurrences.company_id:
            done = occurrences.filtered(lambda o, hub=hub: o.company_id == hub)
            body = Markup("<p>%s</p>") % self._counts(done)
            for title, problems in self._problems(done):
                body += Markup("<p><b>%s</b></p><ul>%s</ul>") % (
                    title,
                    Markup().join(Markup("<li>%s</li>") % line for line in problems),
                )
            messages |= hub.partner_id.sudo().message_notify(
                body=body,
                subject=titles[run] % {"hub": hub.name},
                partner_ids=hub._ofn_managers().partner_id.ids,
            )
        return messages

    def _counts(self, occurrences):
        states = dict(occurrences._fields["state"]._description_selection(self.env))
        counted: dict[str, int] = {}
        for occurrence in occurrences:
            counted[occurrence.state] = counted.get(occurrence.state, 0) + 1
        return ", ".join(f"{states[state]}: {count}" for state, count in sorted(counted.items()))

    def _problems(self, occurrences):
        """(title, lines) for each kind of problem found, in a fixed order."""
        reasons = dict(occurrences._fields["failure_reason"]._description_selection(self.env))
        kinds = [
            (
                _("Could not be confirmed (tried again by every run)"),
                occurrences.filtered(lambda o: o.state == "placed" and o.needs_attention),
            ),
            (_("Nothing to order"), occurrences.filtered(lambda o: o.state == "empty")),
            (
                _("Changed at placement"),
                occurrences.filtered(lambda o: o.state == "placed" and o.change_note),
            ),
            (
                _("Waiting for the customer's authentication"),
                occurrences.filtered(lambda o: o.state == "awaiting_authentication"),
            ),
        ]
        failed = occurrences.filtered(lambda o: o.state == "failed")
        for reason in dict.fromkeys(failed.mapped("failure_reason")):
            kinds.append(
                (
                    _("Payment failed: %(reason)s", reason=reasons.get(reason, reason)),
                    failed.filtered(lambda o, reason=reason: o.failure_reason == reason),
                )
            )
        for title, found in kinds:
            if found:
                yield title, [self._line(o) for o in found]

    def _line(self, occurrence):
        parts = [occurrence.standing_order_id.name]
        if occurrence.sale_order_id:
            parts.append(occurrence.sale_order_id.name)
        if occurrence.state == "placed" and occurrence.change_note:
            parts.append(occurrence.change_note)
        if occurrence.state == "placed" and occurrence.needs_attention:
            parts.append(occurrence.failure_message or "")
        if occurrence.state == "failed":
            parts.append(occurrence.failure_message or "")
            parts.append(
                _("last attempt: the hub settles it")
                if occurrence.needs_attention
                else _("tried again at %(when)s", when=occurrence.next_charge_at)
            )
        return " — ".join(part for part in parts if part)
