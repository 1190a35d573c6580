"""Small pure helpers of the Stripe integration."""

import re
import threading

from odoo import Command
from odoo.tools import format_datetime, is_html_empty

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def nest_form_params(flat):
    """Turn payment_stripe's flat form payload into the nested structure the SDK encodes.

    ``{'metadata[ref]': 'S1', 'expand[]': ['payment_method'], 'a[b][c]': 1}`` becomes
    ``{'metadata': {'ref': 'S1'}, 'expand': ['payment_method'], 'a': {'b': {'c': 1}}}``.
    Keys without brackets are kept as they are.
    """
    nested = {}
    for key, value in flat.items():
        head, _sep, rest = key.partition("[")
        parts = [head] + (_KEY_PART.findall("[" + rest) if rest else [])
        if parts[-1] == "":
            parts.pop()
            value = value if isinstance(value, list | tuple) else [value]
            value = list(value)
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return nested


def in_test_transaction():
    """Inside a test's transaction, which nothing may commit (Odoo's test runners mark their
    thread)."""
    return getattr(threading.current_thread(), "testing", False)


def commit_unit_of_work(env, keep=()):
    """Ends a unit of work that must be durable before what follows (a job's charge before and
    after Stripe is asked); inside a test's transaction it is only flushed.

    :param keep: the models whose records stay in the cache across the commit (Odoo forgets
        every record at a commit): the settings the work goes on with, which nobody changes in
        the meantime, so that they are not read again. Records that others may change while
        the work waits (a payment, an invoice, an order) are never kept: they are read again.
    """
    env.flush_all()
    if in_test_transaction():
        return
    cache = env.cache._data  # Odoo has no API to keep part of the cache
    kept = {field: dict(values) for field, values in cache.items() if field.model_name in keep}
    env.cr.commit()  # pylint: disable=invalid-commit
    for field, values in kept.items():
        cache[field].update(values)


def format_local_time(env, moment, tz=None):
    """The one way a time is written in a message: ``moment`` (naive UTC) in its reader's time
    zone (``tz``, else the context's, else the user's) and language (``env``'s), Odoo's short
    format; the e-mail templates write times with the same ``format_datetime(...,
    tz=<reader>.tz, dt_format='short')``."""
    if not moment:
        return ""
    tz = tz or env.context.get("tz") or env.user.tz or "UTC"
    return format_datetime(env, moment, tz=tz, dt_format="short")


def mail_customers(records, template):
    """Posts ``template`` (a mail.template, or its xmlid, whose recipient is the customer, in the
    customer's language) on each of ``records`` (a mail.thread with a ``company_id``: the hub):
    one message per record from its hub, in the record's chatter, e-mailed to the customer in
    Odoo's light layout by Odoo's mail queue, without making anyone a follower.

    The engine tells thousands of customers at once: the records of a hub are rendered together
    (as ``mail.template.send_mail_batch`` does) and their messages and e-mails made in one
    ``create``, rather than by a ``message_post`` each (a score of queries per message)."""
    env = records.env
    if isinstance(template, str):
        template = env.ref(template)
    template = template.sudo()
    comment = env.ref("mail.mt_comment").id
    for hub, hub_records in records.grouped("company_id").items():
        hub_records = hub_records.sudo().with_company(hub)
        res_ids = hub_records.ids
        rendered = template.with_company(hub)._generate_template(
            res_ids, ("body_html", "email_from", "partner_to", "subject", "auto_delete")
        )
        langs = template._render_lang(res_ids)
        reply_to = hub_records._notify_get_reply_to()
        values_list = []
        for record in hub_records:
            values = rendered[record.id]
            customers = values.get("partner_ids") or []
            body = values.get("body_html") or ""
            values_list.append(
                {
                    "model": record._name,
                    "res_id": record.id,
                    "author_id": hub.partner_id.id,
                    **({"email_from": values["email_from"]} if values.get("email_from") else {}),
                    "reply_to": reply_to.get(record.id) or False,
                    "subject": values.get("subject"),
                    "body": body,  # the chatter shows the message, the e-mail its layout
                    "body_html": _light_layout(record, body, langs.get(record.id), hub),
                    "message_type": "comment",
                    "subtype_id": comment,
                    "partner_ids": [Command.set(customers)],
                    "recipient_ids": [Command.set(customers)],
                    "is_notification": True,
                    "auto_delete": values.get("auto_delete", False),
                }
            )
        env["mail.mail"].sudo().create(values_list)


def _light_layout(record, body, lang, company):
    """``body`` in Odoo's light e-mail layout, in ``lang``, as ``send_mail_batch`` renders it."""
    env = record.env
    model = env["ir.model"]._get(record._name)
    if lang:
        model = model.with_context(lang=lang)
    context = {
        "message": env["mail.message"]
        .sudo()
        .new({"body": body, "record_name": record.display_name}),
        "subtype": env["mail.message.subtype"].sudo(),
        "model_description": model.display_name,
        "record": record,
        "record_name": False,
        "subtitles": False,
        "company": company,
        "email_add_signature": False,
        "signature": "",
        "website_url": "",
        "is_html_empty": is_html_empty,
    }
    html = model.env["ir.qweb"]._render(
        "mail.mail_notification_light", context, minimal_qcontext=True, raise_if_not_found=False
    )
    return env["mail.render.mixin"]._replace_local_links(html or body)


def mail_hub_managers(template, record, author=None):
    """Queue ``template`` rendered for ``record`` (which has a ``company_id``: the hub) to the
    hub's managers, one e-mail per language of theirs, each rendered in it (the template's
    ``lang`` is ``{{ ctx.get('lang') }}``); from ``author`` (a partner: the hub), by default
    OdooBot (the platform tells them); sent by Odoo's mail queue."""
    hub = record.company_id
    values = {"author_id": (author or record.env.ref("base.partner_root")).id}
    mail_ids = []
    for lang, managers in hub.ofn_managers().partner_id.grouped("lang").items():
        mail_ids.append(
            template.sudo()
            .with_context(lang=lang or hub.ofn_lang())
            .send_mail(
                record.id,
                email_values={"recipient_ids": [(6, 0, managers.ids)], **values},
                email_layout_xmlid="mail.mail_notification_light",
            )
        )
    return record.env["mail.mail"].sudo().browse(mail_ids)
