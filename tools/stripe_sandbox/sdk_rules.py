"""The pinned API version's endpoints, parameters and objects, read from the official SDK.

stripe-python is generated from Stripe's OpenAPI description of the version it pins
(``stripe.api_version``), so it knows exactly what that version accepts and returns:

- every service method (``stripe/_*_service.py``, ``stripe/billing/_*_service.py``, ...) calls
  ``self._request("post", "/v1/setup_intents/{intent}/confirm".format(...), params=params)``: the
  HTTP method and path template are constants of the method's code, and its ``params``
  annotation names a TypedDict of :mod:`stripe.params` (``"SetupIntentConfirmParams"``);
- those TypedDicts describe the parameters (turned into :mod:`.schema` nodes by
  :func:`params_node`); the keys they inherit from ``RequestOptions`` (``api_key``,
  ``idempotency_key``, ...) are the SDK's options, sent as headers, not parameters;
- every resource class (``stripe.PaymentIntent``, found by its ``object`` value in the SDK's own
  ``OBJECT_CLASSES``) annotates the fields of that object.

Nothing here is written by hand, so a new SDK brings its version's rules with it. Reading the
services takes under a second and the TypedDicts are converted one endpoint at a time, when first
asked for; both are cached.
"""

import functools
import importlib
import inspect
import types
import typing
from decimal import Decimal
from pathlib import Path

import stripe
import typing_extensions
from stripe._object_classes import OBJECT_CLASSES
from stripe._request_options import RequestOptions
from stripe._stripe_object import UntypedStripeObject
from stripe._stripe_service import StripeService

from . import schema

HTTP_METHODS = ("get", "post", "delete")
_REQUEST_OPTIONS = frozenset(RequestOptions.__annotations__)
_SCALARS = {str: "string", int: "integer", float: "number", Decimal: "number", bool: "boolean"}
_UNIONS = (typing.Union, types.UnionType)
_OPTIONAL = (typing.Required, typing.NotRequired)


@functools.cache
def endpoints():
    """``{(method, path template): [params TypedDict, ...]}`` of every ``/v1`` service method,
    e.g. ``("POST", "/v1/setup_intents/{intent}/confirm")``."""
    found = {}
    package = Path(stripe.__file__).parent
    for path in sorted(package.rglob("_*_service.py")):
        module_name = ".".join(("stripe", *path.relative_to(package).with_suffix("").parts))
        if module_name.startswith(("stripe.v2.", "stripe.params.")):
            continue
        module = importlib.import_module(module_name)
        # The TypedDicts live in the matching package of stripe.params (stripe.params.billing).
        params_package = "stripe.params" + module_name.rpartition(".")[0][len("stripe") :]
        for service in vars(module).values():
            if not _is_service_of(service, module):
                continue
            for function in vars(service).values():
                endpoint = _endpoint(function)
                if endpoint:
                    found.setdefault(endpoint, []).append(_params_class(function, params_package))
    return found


def _is_service_of(cls, module):
    return (
        inspect.isclass(cls)
        and issubclass(cls, StripeService)
        and cls.__module__ == module.__name__
    )


def _endpoint(function):
    """``(METHOD, template)`` of a synchronous service method calling a ``/v1`` endpoint."""
    if not inspect.isfunction(function) or inspect.iscoroutinefunction(function):
        return None
    constants = [c for c in function.__code__.co_consts if isinstance(c, str)]
    paths = [c for c in constants if c.startswith("/v1/")]
    methods = [c for c in constants if c in HTTP_METHODS]
    if len(paths) != 1 or len(methods) != 1:
        return None
    return methods[0].upper(), paths[0]


def _params_class(function, params_package):
    """The TypedDict named by the method's ``params`` annotation (``Optional["XParams"]``), or
    ``None`` for a method that takes no parameters."""
    annotation = function.__annotations__.get("params")
    if annotation is None:
        return None
    refs = [annotation, *typing.get_args(annotation)]
    names = [r.__forward_arg__ if isinstance(r, typing.ForwardRef) else r for r in refs]
    name = next(n for n in names if isinstance(n, str))
    return getattr(importlib.import_module(params_package), name)


@functools.cache
def params_node(method, template):
    """The :mod:`.schema` object node of what ``method template`` accepts (``None``: no such
    endpoint). Several methods of one endpoint (an alias, say) accept what any of them does."""
    classes = endpoints().get((method, template))
    if classes is None:
        return None
    return schema.any_of([typed_dict_node(cls) if cls else schema.obj() for cls in classes])


@functools.cache
def typed_dict_node(cls):
    """The :mod:`.schema` object node of a TypedDict of parameters."""
    hints = _hints(cls)
    return schema.obj(
        {name: _node(hint) for name, hint in hints.items()},
        required=cls.__required_keys__ & hints.keys(),
    )


def _hints(cls):
    """The TypedDict's parameters and their evaluated types, without the ``RequestOptions`` it
    may inherit (some of those only resolve when type checking)."""
    inherits_options = RequestOptions in getattr(cls, "__orig_bases__", ())
    annotations = {
        name: hint
        for name, hint in cls.__annotations__.items()
        if not (inherits_options and name in _REQUEST_OPTIONS)
    }
    holder = type(cls.__name__, (), {"__annotations__": annotations, "__module__": cls.__module__})
    return typing.get_type_hints(holder, include_extras=True)


def _node(hint):
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in _OPTIONAL:
        return _node(args[0])
    if typing_extensions.is_typeddict(hint):
        return typed_dict_node(hint)
    if origin in _UNIONS:
        return _union_node(args)
    if origin is typing.Literal:
        return schema.enum(args)
    if origin is list:
        return schema.array(_node(args[0]))
    if origin is dict:
        return schema.obj(additional=_node(args[1]))
    if origin is UntypedStripeObject:  # UntypedStripeObject[X]: a map of X, like Dict[str, X]
        return schema.obj(additional=_node(args[0]))
    if hint is typing.Any or hint is UntypedStripeObject:
        return schema.scalar("any")
    if hint in _SCALARS:
        return schema.scalar(_SCALARS[hint])
    raise TypeError(f"stripe_sandbox cannot read the SDK's parameter type {hint!r}")


def _union_node(args):
    """A union's node. The SDK types an enum ``Literal["a", "b"] | str`` so that values added
    later still type-check: that ``str`` is no parameter type of its own, the enum is what the
    version accepts. ``Literal[""] | str`` stays an "emptyable" string."""
    members = [a for a in args if a is not type(None)]
    literals = [v for a in members if typing.get_origin(a) is typing.Literal for v in a.__args__]
    if any(value != "" for value in literals):
        members = [a for a in members if a is not str]
    return schema.any_of([_node(member) for member in members])


@functools.cache
def object_fields(object_name):
    """The fields of the object whose ``object`` is ``object_name`` (with ``id`` and ``object``),
    as its SDK class annotates them; ``None`` when the SDK has no class for it."""
    location = OBJECT_CLASSES.get(object_name)
    if location is None:
        return None
    cls = getattr(importlib.import_module(location[0]), location[1])
    fields = {
        name
        for klass in cls.__mro__
        for name in vars(klass).get("__annotations__", {})
        if not name.startswith("_") and name != "OBJECT_NAME"
    }
    return frozenset(fields | {"id", "object"})
