"""The bare HTML pages the sandbox hosts in place of Stripe's (OAuth consent, onboarding)."""

from html import escape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aiohttp import web


def base_url(request):
    """The sandbox's own address as the client reached it, for URLs it hands out."""
    return f"{request.scheme}://{request.host}"


def form_page(title, lines, hidden_fields, buttons, inputs=()):
    """A page with ``lines`` of text and one POST form back to the same URL.

    :param dict hidden_fields: name -> value, sent back as they are
    :param buttons: (name, value, label) submit buttons
    :param inputs: (name, label) optional text inputs
    """
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in hidden_fields.items()
        if v is not None
    )
    fields = "".join(
        f'<p><label>{escape(label)} <input type="text" name="{escape(name)}"></label></p>'
        for name, label in inputs
    )
    submit = " ".join(
        f'<button type="submit" name="{escape(n)}" value="{escape(v)}">{escape(label)}</button>'
        for n, v, label in buttons
    )
    text = "".join(f"<p>{escape(line)}</p>" for line in lines)
    body = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f"<body><h1>{escape(title)}</h1>{text}"
        f'<form method="post">{hidden}{fields}{submit}</form></body></html>'
    )
    return web.Response(text=body, content_type="text/html")


def redirect(url, **params):
    """A 302 (to raise) to ``url`` with ``params`` (``None`` values left out) added to its query."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return web.HTTPFound(urlunsplit(parts._replace(query=urlencode(query))))
