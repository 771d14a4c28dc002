"""Helpers shared by the benchmark scripts (run as ``python bench/<name>.py``)."""
from __future__ import annotations

import numpy as np


def pct(xs: list[float], q: float) -> float:
    """The q-th percentile (linear interpolation) of a list of timings."""
    return float(np.percentile(np.asarray(xs, dtype=float), q))
