"""The benchmark's plain-text table."""

import math

COLUMNS = ("phase", "orders", "seconds", "orders/s", "SQL/order", "Stripe calls/order")


def _number(value, digits):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def row(phase):
    return (
        phase.name,
        str(phase.orders),
        _number(phase.seconds, 2),
        _number(phase.orders_per_second, 1),
        _number(phase.per_order(phase.sql), 1),
        _number(phase.per_order(phase.stripe_calls), 2),
    )


def table(rows):
    """``rows``: tuples of strings under :data:`COLUMNS`; a ``None`` row is a rule."""
    cells = [COLUMNS, *[r for r in rows if r is not None]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]

    def line(cells_of_row):
        return " | ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells_of_row, widths, strict=True))
        )

    rule = "-+-".join("-" * width for width in widths)
    out = [line(COLUMNS), rule]
    for r in rows:
        out.append(rule if r is None else line(r))
    return "\n".join(out)


def endpoints(phase, limit=8):
    """``POST /v1/payment_intents 500, GET /v1/... 20`` (the most frequent first)."""
    return ", ".join(f"{name} {count}" for name, count in phase.stripe_endpoints.most_common(limit))
