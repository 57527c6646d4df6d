"""The playing speed: epochs per second on a log scale, one home for its stops.

The default run's loss falls from 0.7 to 0.04 in about 300 epochs: at ``DEFAULT_PACE`` that
takes ~6 s of screen time, long enough for a teacher to talk over; ``math.inf`` ('max') trains
as fast as the machine goes.
"""
from __future__ import annotations

import math

PACES = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, math.inf)
"""The speed slider's stops in epochs per second: 1 is slow motion (one epoch per frame, a frame
a second), ``math.inf`` ('max') trains as fast as the machine goes."""
DEFAULT_PACE = 50.0  # epochs per second


def pace_label(pace: float) -> str:
    return "max" if math.isinf(pace) else f"{pace:g}"


def snap_pace(pace: float | str) -> float:
    """The speed stop (``PACES``) nearest to ``pace`` epochs per second on a log scale; 'max' or
    inf is the fastest."""
    if isinstance(pace, str) and pace.strip().lower() in ("max", "inf", "fastest"):
        return math.inf
    try:
        value = float(pace)
    except (TypeError, ValueError):
        value = math.nan
    if not value > 0:
        raise ValueError(f"pace must be a positive number of epochs per second or 'max', got "
                         f"{pace!r}; the stops: {', '.join(pace_label(p) for p in PACES)}")
    if math.isinf(value) or value > PACES[-2] * math.sqrt(2):
        return math.inf
    return min(PACES[:-1], key=lambda stop: abs(math.log(stop / value)))
