"""Reading Stripe's form-encoded parameters (everything arrives as strings)."""

from localstripe.resources import try_convert_to_bool, try_convert_to_int

from . import errors


def bool_param(value, name):
    """``'true'``/``'false'`` (or a bool) as a bool; absent is ``False``."""
    value = try_convert_to_bool(value)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise errors.invalid_request(
            f"Invalid boolean: {value}", code="parameter_invalid_boolean", param=name
        )
    return value


def int_param(value, name, minimum=0):
    """A whole number of at least ``minimum``."""
    value = try_convert_to_int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise errors.invalid_request(
            f"Invalid integer: {value}", code="parameter_invalid_integer", param=name
        )
    return value
