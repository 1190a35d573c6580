import base64

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .. import const


def _default_date_from(_records):
    return fields.Date.today().replace(day=1) - relativedelta(months=1)


def _default_date_to(_records):
    return fields.Date.today().replace(day=1) - relativedelta(days=1)


class OfnPayoutExportWizard(models.TransientModel):
    """The accountant's export: a hub's payouts of a period (all of them, or those picked) as
    XLSX or CSV; for platform admins, the application fees earned across all hubs."""

    _name = "ofn.payout.export.wizard"
    _description = "Export Stripe payouts"

    report = fields.Selection(
        [
            ("payouts", "Payouts of a hub"),
            ("application_fees", "Application fees earned (all hubs)"),
        ],
        required=True,
        default="payouts",
    )
    company_id = fields.Many2one(
        "res.company",
        string="Hub",
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )
    date_from = fields.Date(string="From", required=True, default=_default_date_from)
    date_to = fields.Date(string="To", required=True, default=_default_date_to)
    payout_ids = fields.Many2many(
        "ofn.stripe.payout",
        string="Payouts",
        domain="[('company_id', '=', company_id), ('arrival_date', '>=', date_from),"
        " ('arrival_date', '<=', date_to)]",
        help="Leave empty to export every payout of the period.",
    )
    file_format = fields.Selection(
        const.EXPORT_FORMATS, string="Format", required=True, default="xlsx"
    )
    file_data = fields.Binary(string="File", readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(
                    _(
                        "The period starts (%(start)s) after it ends (%(end)s).",
                        start=wizard.date_from,
                        end=wizard.date_to,
                    )
                )
            longest = relativedelta(years=const.EXPORT_MAX_YEARS)
            if wizard.date_to > wizard.date_from + longest:
                raise ValidationError(
                    _(
                        "The period from %(start)s to %(end)s is longer than a year: export "
                        "a year at most at a time.",
                        start=wizard.date_from,
                        end=wizard.date_to,
                    )
                )

    def action_export(self):
        """Build the file and download it."""
        self.ensure_one()
        if self.report == "application_fees":
            content = self._export_application_fees()
            stem = "stripe-application-fees"
        else:
            content = self._export_payouts()
            stem = f"stripe-payouts-{_slug(self.company_id.name)}"
        self.write(
            {
                "file_data": base64.b64encode(content),
                "file_name": f"{stem}-{self.date_from}-{self.date_to}.{self.file_format}",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file_data/{self.file_name}?download=true",
            "target": "download",
        }

    def _export_payouts(self):
        if not self.company_id or self.company_id not in self.env.user.company_ids:
            raise AccessError(_("You are not an accountant of this hub."))
        return self.env["ofn.payout.exporter"].export(self._payouts(), self.file_format)

    def _payouts(self):
        """The payouts to export, read with the user's rights (other hubs' stay invisible)."""
        in_period = [
            ("company_id", "=", self.company_id.id),
            ("arrival_date", ">=", self.date_from),
            ("arrival_date", "<=", self.date_to),
        ]
        Payout = self.env["ofn.stripe.payout"]
        selected = self.sudo().payout_ids
        if not selected:
            payouts = Payout.search(in_period)
            if not payouts:
                raise UserError(
                    _(
                        "%(hub)s has no payout arriving from %(start)s to %(end)s.",
                        hub=self.company_id.name,
                        start=self.date_from,
                        end=self.date_to,
                    )
                )
            return payouts
        payouts = Payout.search([("id", "in", selected.ids)])
        outside = payouts - payouts.filtered_domain(in_period)
        if outside or payouts != selected:
            raise UserError(
                _(
                    "Only payouts of %(hub)s arriving from %(start)s to %(end)s can be exported "
                    "here: %(payouts)s.",
                    hub=self.company_id.name,
                    start=self.date_from,
                    end=self.date_to,
                    payouts=", ".join(outside.mapped("stripe_payout_id")) or _("not yours"),
                )
            )
        return payouts

    def _export_application_fees(self):
        return self.env["ofn.payout.exporter"].export_application_fees(
            self.date_from, self.date_to, self.file_format
        )


def _slug(name):
    return "-".join("".join(c if c.isalnum() else " " for c in (name or "")).lower().split())
