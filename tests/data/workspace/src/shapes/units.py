"""Units of measure."""

SCALE = 1.0


def to_metres(value: float, unit: str) -> float:
    """Convert a length in ``unit`` to metres."""
    factors = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0}
    return value * factors[unit]
