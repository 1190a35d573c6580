"""Small pure helpers of the Stripe integration."""

import re
import threading

from odoo.tools import format_datetime

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


def commit_unit_of_work(env):
    """Ends a unit of work that must be durable before what follows (a job's charge before and
    after Stripe is asked); inside a test's transaction it is only flushed."""
    env.flush_all()
    if not in_test_transaction():
        env.cr.commit()  # pylint: disable=invalid-commit


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
    one message per record from its hub, in the record's chatter, e-mailed to the customer by
    Odoo's mail queue, without making anyone a follower. One composer per hub renders the
    records together (the engine tells thousands of customers at once)."""
    env = records.env
    if isinstance(template, str):
        template = env.ref(template)
    subtype = env.ref("mail.mt_comment")
    for hub, hub_records in records.grouped("company_id").items():
        composer = (
            env["mail.compose.message"]
            .with_company(hub)
            .with_context(
                mail_notify_force_send=False,
                mail_create_nosubscribe=True,
                mail_post_autofollow=False,  # `sale` would make the customer a follower
            )
            .create(
                {
                    "composition_mode": "comment",
                    "model": hub_records._name,
                    "res_ids": hub_records.ids,
                    "template_id": template.id,
                    "author_id": hub.partner_id.id,
                    "message_type": "comment",
                    "subtype_id": subtype.id,
                }
            )
        )
        composer._action_send_mail()


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
