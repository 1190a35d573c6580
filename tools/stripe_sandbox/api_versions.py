"""The API versions the sandbox speaks, what each accepts, and objects rendered in each.

Two versions are known: the official SDK's pinned one (``stripe.api_version``, what the gateway and
the tests use) and ``2019-05-16``, what Odoo 18's ``payment_stripe`` pins. A request names its
version in ``Stripe-Version``; without it, the account's default version applies, which for every
sandbox account is the SDK's pinned version (:data:`DEFAULT`).

What a version accepts:

- the pinned version: the SDK's endpoints and parameters (:mod:`.sdk_rules`);
- 2019-05-16: what Stripe's description of that version says (``data/stripe-api-2019-05-16.json``,
  see ``data/build_2019_05_16.py``) *and* what the pinned version accepts. Stripe adds endpoints
  and parameters to every version at once (an addition breaks no integration, so it is not
  versioned): Odoo 18 sends ``GET /v1/customers/{id}/payment_methods`` or
  ``payment_method_options[card][mandate_options]`` with its 2019-05-16 header, unknown to the
  2019 description, and Stripe takes them. What a later version removed or renamed
  (``payment_method_types`` of ``POST /v1/setup_intents``, now ``allowed_payment_method_types``)
  stays accepted under 2019-05-16 only. A parameter is required under 2019-05-16 when both
  descriptions require it.

What a version returns: an object (a JSON object with an ``object`` key, listed, expanded or
embedded in an error or an event) keeps the fields its description in that version has: the SDK's
resource class for the pinned version, the 2019 description for 2019-05-16; ``id`` and ``object``
always stay, and objects a version does not describe are left as they are (:func:`render`).
"""

import functools
import json
from pathlib import Path

import stripe

from . import schema, sdk_rules

PINNED = stripe.api_version
LEGACY = "2019-05-16"
KNOWN = (PINNED, LEGACY)
#: The version of a request without ``Stripe-Version``: the accounts' default version.
DEFAULT = PINNED
LEGACY_FILE = Path(__file__).parent / "data" / f"stripe-api-{LEGACY}.json"

#: Kept on every event: Stripe names the connected account of a Connect event whatever the
#: version, though the 2019-05-16 description of an event leaves ``account`` out.
CONNECT_EVENT_FIELDS = frozenset({"account"})


def _segments(template):
    """``/v1/setup_intents/{intent}`` -> ``("v1", "setup_intents", None)`` (None: any id)."""
    return tuple(None if s.startswith("{") else s for s in template.strip("/").split("/"))


class VersionRules:
    """The endpoints a version has, their parameters and the fields of its objects."""

    def __init__(self, templates, params_node, object_fields):
        """:param templates: ``(METHOD, template)`` pairs of the version's endpoints
        :param params_node: ``(METHOD, template) -> schema`` object node of its parameters
        :param object_fields: ``object name -> frozenset`` of its fields, ``None``: unknown"""
        self.fields = object_fields
        self._params_node = functools.cache(params_node)
        self._routes = {}
        for method, template in templates:
            self._routes.setdefault(method, []).append((_segments(template), template))

    def endpoint(self, method, path):
        """``(template, parameters node)`` of the endpoint serving ``method path``, or ``None``.
        A literal segment wins over an id (``/v1/customers/search`` is not a customer)."""
        parts = tuple(path.strip("/").split("/"))
        matches = [
            (tuple(s is not None for s in segments), template)
            for segments, template in self._routes.get(method, ())
            if len(segments) == len(parts)
            and all(s == p or (s is None and p) for s, p in zip(segments, parts, strict=True))
        ]
        if not matches:
            return None
        template = max(matches)[1]
        return template, self._params_node((method, template))


@functools.cache
def rules(version):
    """The :class:`VersionRules` of a known version (built once, on first use)."""
    if version == PINNED:
        return VersionRules(
            sdk_rules.endpoints(),
            lambda key: sdk_rules.params_node(*key),
            sdk_rules.object_fields,
        )
    if version == LEGACY:
        return _legacy_rules()
    raise ValueError(f"unknown API version {version}")


def _legacy_rules():
    """2019-05-16: its description's endpoints and the pinned version's, parameters merged.
    Endpoints are matched by shape: the two descriptions may name an id differently."""
    data = json.loads(LEGACY_FILE.read_text())
    later = {(m, _segments(t)): (m, t) for m, t in sdk_rules.endpoints()}
    described = {}
    for endpoint, tree in data["endpoints"].items():
        method, template = endpoint.split(" ")
        described[(method, _segments(template))] = (template, tree)
    templates = [
        later.get(shape) or (shape[0], described[shape][0])
        for shape in later.keys() | described.keys()
    ]

    def params_node(key):
        shape = (key[0], _segments(key[1]))
        nodes = [described[shape][1]] if shape in described else []
        if shape in later:
            nodes.append(sdk_rules.params_node(*later[shape]))
        return functools.reduce(schema.merge, nodes)

    objects = {kind: frozenset(names) for kind, names in data["objects"].items()}
    return VersionRules(templates, params_node, objects.get)


def render(value, version):
    """A copy of a response body (or an event) in ``version``: each object keeps the fields
    ``version`` describes; an event says it is in ``version`` (``api_version``) and its
    ``data.previous_attributes`` name only fields of its object in that version."""
    fields_of = rules(version).fields

    def walk(value):
        if isinstance(value, list):
            return [walk(item) for item in value]
        if not isinstance(value, dict):
            return value
        kind = value.get("object")
        fields = fields_of(kind) if isinstance(kind, str) else None
        if kind == "event" and fields is not None:
            fields |= CONNECT_EVENT_FIELDS
        rendered = {
            key: item if key == "metadata" else walk(item)
            for key, item in value.items()
            if fields is None or key in fields
        }
        if kind == "event":
            _render_event(rendered, version, fields_of)
        return rendered

    return walk(value)


def _render_event(event, version, fields_of):
    if "api_version" in event:
        event["api_version"] = version
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("previous_attributes"), dict):
        return
    kind = (data.get("object") or {}).get("object")
    fields = fields_of(kind) if isinstance(kind, str) else None
    if fields is not None:
        data["previous_attributes"] = {
            k: v for k, v in data["previous_attributes"].items() if k in fields
        }
