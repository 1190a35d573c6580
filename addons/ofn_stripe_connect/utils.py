"""Small pure helpers of the Stripe integration."""

import re

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
