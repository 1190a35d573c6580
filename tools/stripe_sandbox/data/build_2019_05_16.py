"""Build ``stripe-api-2019-05-16.json``: what Stripe's API version 2019-05-16 accepts and returns,
for the endpoints Odoo 18's ``payment_stripe`` (which pins that version) and the sandbox's Stripe.js
shim (given ``apiVersion: '2019-05-16'`` by ``payment_stripe``'s page) call.

Its source is Stripe's own OpenAPI description of that version, ``openapi/spec3.json`` of
https://github.com/stripe/openapi at commit 816f6663 (2019-06-27, ``info.version`` 2019-05-16)::

    git -C STRIPE_OPENAPI_CHECKOUT show 816f6663:openapi/spec3.json > /tmp/spec3.json
    python tools/stripe_sandbox/data/build_2019_05_16.py /tmp/spec3.json

The file holds, besides its ``source``:

- ``endpoints``: ``"METHOD /v1/path/{param}"`` -> the parameters' tree (:mod:`stripe_sandbox.schema`
  nodes), from the form body of a POST or the query parameters of a GET/DELETE (``$ref``-free in
  this spec; ``anyOf``, ``enum``, ``array``, ``additionalProperties`` as they come);
- ``objects``: ``object`` value -> the property names of that object, for every object those
  endpoints' responses can hold (expanded or listed ones included), and ``event``, the envelope of
  the webhooks Odoo registers with this version.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tools/, for stripe_sandbox

from stripe_sandbox import schema

VERSION = "2019-05-16"
SOURCE = {
    "repository": "https://github.com/stripe/openapi",
    "commit": "816f66632073913ed2c322119a4ae2fa8c2c51a9",
    "date": "2019-06-27",
    "file": "openapi/spec3.json",
    "info.version": VERSION,
}
OUTPUT = Path(__file__).with_name(f"stripe-api-{VERSION}.json")

#: payment_stripe's ``_stripe_make_request`` calls (models/*.py, controllers/main.py) and, for
#: accounts and account links, the calls its Connect onboarding asks Odoo's proxy to make.
ODOO_ENDPOINTS = (
    "POST /v1/customers",
    "POST /v1/payment_intents",
    "GET /v1/payment_intents/{intent}",
    "POST /v1/payment_intents/{intent}/capture",
    "POST /v1/payment_intents/{intent}/cancel",
    "POST /v1/setup_intents",
    "GET /v1/setup_intents/{intent}",
    "GET /v1/payment_methods",
    "GET /v1/payment_methods/{payment_method}",
    "POST /v1/refunds",
    "GET /v1/refunds",
    "POST /v1/webhook_endpoints",
    "POST /v1/apple_pay/domains",
    "POST /v1/accounts",
    "GET /v1/accounts/{account}",
    "POST /v1/account_links",
)
#: The Stripe.js shim's calls (static/stripe-v3.js) besides the intents' retrieval above.
STRIPE_JS_ENDPOINTS = (
    "POST /v1/payment_methods",
    "POST /v1/payment_intents/{intent}/confirm",
    "POST /v1/setup_intents/{intent}/confirm",
)
#: Objects returned by no endpoint above that the version still describes for Odoo.
EXTRA_OBJECTS = ("event",)

FORM = "application/x-www-form-urlencoded"


def node(spec):
    """The :mod:`stripe_sandbox.schema` node of an OpenAPI schema of a request parameter."""
    if "anyOf" in spec:
        return schema.any_of([node(option) for option in spec["anyOf"]])
    if "enum" in spec:
        return schema.enum(spec["enum"])
    kind = spec.get("type")
    if kind == "object":
        properties = spec.get("properties") or {}
        extra = spec.get("additionalProperties")
        if isinstance(extra, dict):
            additional = node(extra)
        elif not properties and extra is not False:
            additional = schema.scalar("any")  # a hash of anything
        else:
            additional = None
        return schema.obj(
            {name: node(sub) for name, sub in properties.items()},
            spec.get("required", ()),
            additional,
        )
    if kind == "array":
        return schema.array(node(spec["items"]))
    return schema.scalar(kind)


def params_tree(operation):
    """What an operation accepts: its form body's parameters and its query parameters."""
    body = operation.get("requestBody", {}).get("content", {}).get(FORM, {}).get("schema")
    tree = node(body) if body else schema.obj()
    query = [p for p in operation.get("parameters", ()) if p["in"] == "query"]
    return schema.obj(
        {**tree.get("properties", {}), **{p["name"]: node(p["schema"]) for p in query}},
        [*tree.get("required", ()), *(p["name"] for p in query if p.get("required"))],
        tree.get("additional"),
    )


class ObjectCollector:
    """The property names of every object a schema can hold, following ``$ref`` (once each)."""

    def __init__(self, components):
        self.components = components
        self.seen = set()
        self.objects = {}

    def collect(self, spec):
        ref = spec.get("$ref")
        if ref:
            name = ref.rpartition("/")[2]
            if name in self.seen:
                return
            self.seen.add(name)
            spec = self.components[name]
        properties = spec.get("properties") or {}
        kind = (properties.get("object") or {}).get("enum") or ()
        if len(kind) == 1:
            self.objects.setdefault(kind[0], set()).update(properties)
        children = [*properties.values(), *spec.get("anyOf", ())]
        children += spec.get("x-expansionResources", {}).get("oneOf", ())
        for key in ("items", "additionalProperties"):
            if isinstance(spec.get(key), dict):
                children.append(spec[key])
        for child in children:
            self.collect(child)


def build(spec):
    if spec["info"]["version"] != VERSION:
        raise SystemExit(f"this spec describes {spec['info']['version']}, not {VERSION}")
    objects = ObjectCollector(spec["components"]["schemas"])
    endpoints = {}
    for endpoint in sorted(ODOO_ENDPOINTS + STRIPE_JS_ENDPOINTS):
        method, path = endpoint.split(" ")
        operation = spec["paths"][path][method.lower()]
        endpoints[endpoint] = params_tree(operation)
        objects.collect(operation["responses"]["200"]["content"]["application/json"]["schema"])
    for name in EXTRA_OBJECTS:
        objects.collect({"$ref": f"#/components/schemas/{name}"})
    return {
        "source": SOURCE,
        "endpoints": endpoints,
        "objects": {kind: sorted(names) for kind, names in sorted(objects.objects.items())},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n\n")[0])
    parser.add_argument("spec", help="spec3.json of stripe/openapi at 816f6663 ('-': stdin)")
    parser.add_argument("--output", default=str(OUTPUT), help=f"default: {OUTPUT.name}")
    args = parser.parse_args(argv)
    with sys.stdin if args.spec == "-" else open(args.spec, encoding="utf-8") as f:
        data = build(json.load(f))
    Path(args.output).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
