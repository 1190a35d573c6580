"""Stripe's request parameters as a tree of rules, and a request's parameters checked against it.

Both sources of rules (the pinned version's, read from the official SDK by :mod:`.sdk_rules`; the
2019-05-16 ones, read from Stripe's OpenAPI description by ``data/build_2019_05_16.py``) are turned
into the same JSON-serialisable nodes, so that one checker serves both and they can be merged:

- ``{"type": "object", "properties": {name: node}, "required": [names], "additional": node}``:
  a hash; keys outside ``properties`` are unknown unless ``additional`` (the node of a free map's
  values, such as ``metadata``) is given;
- ``{"type": "array", "items": node}``, ``{"type": "enum", "values": [strings]}``;
- ``{"type": "string" | "integer" | "number" | "boolean" | "any"}``;
- ``{"type": "any_of", "options": [nodes]}``, at most one option of each type (see :func:`any_of`),
  e.g. an "emptyable" hash: ``any_of(enum([""]), object)``.

Stripe reads form-encoded parameters (``a[b][c]=v``, ``a[]=v``, ``a[0]=v``): every value arrives as
a string, so an integer must parse as one and a boolean read ``true``/``false``. An empty string
asks to unset the parameter, which Stripe refuses unless the parameter can be unset (an ``""`` enum
value in the rules), except for the values of free maps (``metadata[key]=`` unsets that key).

This module has no dependency beyond the standard library: the data file's build script uses it.
"""

import re

_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)\Z")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_INTEGER = re.compile(r"-?\d+\Z")
_SCALARS = ("string", "integer", "number", "boolean")


class ParamError(Exception):
    """A request refused for its parameters, in Stripe's words (rendered by the caller)."""

    def __init__(self, message, param=None, code=None, status=400):
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status


# --- The nodes -------------------------------------------------------------------------------


def obj(properties=None, required=(), additional=None):
    node = {"type": "object"}
    if properties:
        node["properties"] = dict(properties)
    required = sorted(set(required) & set(properties or ()))
    if required:
        node["required"] = required
    if additional is not None:
        node["additional"] = additional
    return node


def array(items):
    return {"type": "array", "items": items}


def enum(values):
    return {"type": "enum", "values": sorted({_as_form_value(v) for v in values})}


def scalar(kind):
    if kind not in _SCALARS + ("any",):
        raise ValueError(f"not a scalar type: {kind}")
    return {"type": kind}


def any_of(options):
    """What any of ``options`` accepts, as one node: options of the same type are merged (two
    hashes become one hash accepting the keys of both), ``any`` absorbs everything."""
    merged = {}
    for option in _flatten(options):
        kind = option["type"]
        if kind == "any":
            return scalar("any")
        merged[kind] = _merge_same_type(merged[kind], option) if kind in merged else option
    if not merged:
        raise ValueError("any_of() needs at least one option")
    if len(merged) == 1:
        return next(iter(merged.values()))
    return {"type": "any_of", "options": list(merged.values())}


def merge(a, b):
    """A node accepting what ``a`` or ``b`` accepts: a parameter known to either is known, one
    required by both is required, an enum takes the values of both."""
    return any_of([a, b])


def _flatten(options):
    for option in options:
        if option["type"] == "any_of":
            yield from _flatten(option["options"])
        else:
            yield option


def _merge_same_type(a, b):
    kind = a["type"]
    if kind == "object":
        properties = dict(a.get("properties", {}))
        for name, node in b.get("properties", {}).items():
            properties[name] = merge(properties[name], node) if name in properties else node
        extra_a, extra_b = a.get("additional"), b.get("additional")
        if extra_a is not None and extra_b is not None:
            additional = merge(extra_a, extra_b)
        else:
            additional = extra_a if extra_a is not None else extra_b
        required = set(a.get("required", ())) & set(b.get("required", ()))
        return obj(properties, required, additional)
    if kind == "array":
        return array(merge(a["items"], b["items"]))
    if kind == "enum":
        return enum(a["values"] + b["values"])
    return a


def _as_form_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- Reading a request's parameters ----------------------------------------------------------


def parse_params(pairs):
    """The nested parameters of form ``pairs`` (``(name, value)`` in order), as Stripe reads them:
    ``a[b]`` is a hash, ``a[]`` appends to an array, ``a[0]`` is a hash keyed ``"0"`` that an
    array parameter reads as its first item."""
    root = {}
    for key, value in pairs:
        match = _KEY.match(key)
        segments = [match[1], *_SEGMENT.findall(match[2])] if match else [key]
        _insert(root, segments, str(getattr(value, "filename", value)))
    return root


def _insert(root, segments, value):
    node, name = root, segments[0]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        child = value if last else ([] if segments[index + 1] == "" else {})
        if index:
            name += f"[{segment}]"
        if segment == "" and isinstance(node, list):
            node.append(child)
        elif segment != "" and isinstance(node, dict):
            existing = node.get(segment)
            if existing is None or (last and isinstance(existing, str)):
                node[segment] = child
            elif last or type(existing) is not type(child):
                raise ParamError(
                    f"Invalid {name}: it is given both as a value and as a hash or an array.",
                    param=name,
                )
            else:
                child = existing
        else:
            raise ParamError(f"Invalid {name}: it mixes a hash and an array.", param=name)
        node = child


# --- Checking them ---------------------------------------------------------------------------


def check_params(tree, params):
    """Raise :class:`ParamError` for the first parameter of ``params`` (from
    :func:`parse_params`) that ``tree`` (an object node) refuses."""
    _check_object(tree, params, None)


def _child_name(parent, key):
    return key if parent is None else f"{parent}[{key}]"


def _check(node, value, name):
    kind = node["type"]
    if kind == "any":
        return
    if kind == "any_of":
        _check_any_of(node, value, name)
    elif value == "" and not (kind == "enum" and "" in node["values"]):
        raise _empty(name)
    elif kind == "object":
        if not isinstance(value, dict):
            raise ParamError("Invalid hash", param=name)
        _check_object(node, value, name)
    elif kind == "array":
        for item_name, item in _array_items(value, name):
            _check(node["items"], item, item_name)
    elif not isinstance(value, str):
        raise ParamError(f"Invalid {name}: must be a {_TYPE_NAMES[kind]}", param=name)
    elif kind == "enum":
        if value not in node["values"]:
            raise _not_in_enum(name, node["values"])
    else:
        _check_scalar(kind, value, name)


def _check_object(node, value, name):
    properties = node.get("properties", {})
    additional = node.get("additional")
    unknown = sorted(key for key in value if key not in properties and additional is None)
    if unknown:
        param = _child_name(name, unknown[0])
        raise ParamError(
            f"Received unknown parameter: {param}", param=param, code="parameter_unknown"
        )
    for key in node.get("required", ()):
        if key not in value:
            param = _child_name(name, key)
            raise ParamError(
                f"Missing required param: {param}.", param=param, code="parameter_missing"
            )
    for key in sorted(value):
        child = value[key]
        if key in properties:
            _check(properties[key], child, _child_name(name, key))
        elif child != "":  # a free map's key is unset with an empty value
            _check(additional, child, _child_name(name, key))


def _array_items(value, name):
    if isinstance(value, list):
        return [(f"{name}[{index}]", item) for index, item in enumerate(value)]
    if isinstance(value, dict) and all(key.isdigit() for key in value):
        return [(f"{name}[{key}]", value[key]) for key in sorted(value, key=int)]
    raise ParamError("Invalid array", param=name)


def _check_scalar(kind, value, name):
    if kind == "integer" and not _INTEGER.match(value):
        raise ParamError(f"Invalid integer: {value}", param=name, code="parameter_invalid_integer")
    if kind == "number":
        try:
            float(value)
        except ValueError:
            raise ParamError(f"Invalid decimal: {value}", param=name) from None
    if kind == "boolean" and value.lower() not in ("true", "false"):
        raise ParamError(f"Invalid boolean: {value}", param=name, code="parameter_invalid_boolean")


def _check_any_of(node, value, name):
    if isinstance(value, str):
        candidates = [o for o in node["options"] if o["type"] in _SCALARS + ("enum",)]
    elif isinstance(value, list):
        candidates = [o for o in node["options"] if o["type"] == "array"]
    else:
        candidates = [o for o in node["options"] if o["type"] in ("object", "array")]
    errors = []
    for option in candidates or node["options"][:1]:
        try:
            _check(option, value, name)
            return
        except ParamError as error:
            errors.append((option, error))
    if value == "" or not isinstance(value, str):
        raise errors[0][1]
    # A string none of the options took: the error of a typed option, else of all enums at once.
    typed = [error for option, error in errors if option["type"] != "enum"]
    if typed:
        raise typed[0]
    raise _not_in_enum(name, [v for option, _ in errors for v in option["values"]])


def _empty(name):
    return ParamError(
        f"You passed an empty string for '{name}'. We assume empty values are an attempt to "
        f"unset a parameter; however '{name}' cannot be unset. You should remove '{name}' from "
        "your request or supply a non-empty value.",
        param=name,
        code="parameter_invalid_empty",
    )


def _not_in_enum(name, values):
    values = [v for v in values if v != ""]
    listed = (
        " or ".join(values) if len(values) < 3 else ", ".join(values[:-1]) + ", or " + values[-1]
    )
    return ParamError(f"Invalid {name}: must be one of {listed}", param=name)


_TYPE_NAMES = {
    "enum": "string",
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
}
