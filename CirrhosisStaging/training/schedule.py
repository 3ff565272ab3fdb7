"""Cosine learning-rate decay over a step budget and, optionally, a wall-clock budget."""

from __future__ import annotations

import math


def set_cosine_learning_rate(optimizer, base_rate: float, step: int, total_steps: int, minutes: float = 0.0,
                             max_minutes: float | None = None, floor: float = 0.01) -> float:
    """Set and return the rate: decays over whichever budget runs out first, so a time-capped run still anneals."""
    progress = step / max(total_steps, 1)
    if max_minutes:
        progress = max(progress, minutes / max_minutes)
    rate = base_rate * max(0.5 * (1 + math.cos(math.pi * min(progress, 1.0))), floor)
    for group in optimizer.param_groups:
        group["lr"] = rate
    return rate
