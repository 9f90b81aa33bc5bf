"""Bump-and-reprice greeks by finite differences, for engines without closed forms.

An engine prices the base batch and all its bumped copies in one call (stacked), so every
copy sees the same random draws (common random numbers) or the same tree set-up, and the
differences are not swamped by noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from quant_engine.pricing.domain import FloatArray, OptionBatch

# Bump sizes. Relative bumps keep every bumped input inside the domain.
VOLATILITY_BUMP_RELATIVE = 0.01  # 1 % of the option's volatility
RATE_BUMP = 1e-4  # one basis point of annualized rate
EXPIRY_BUMP_RELATIVE = 0.01  # 1 % of the option's time to expiry
# Spot bump as a fraction of one standard deviation of log-spot to expiry (sigma sqrt(T)):
# small against the scale on which the payoff's curvature lives, yet wide enough to
# average Monte Carlo noise; never more than 1 % of spot.
SPOT_BUMP_PER_DEVIATION = 0.1
SPOT_BUMP_RELATIVE_MAX = 0.01


@dataclass(frozen=True, eq=False)
class Bump:
    """One input moved up and down; the derivative is ``(V(up) - V(down)) / width``."""

    up: OptionBatch
    down: OptionBatch
    width: FloatArray


def bump_between(batch: OptionBatch, column: str, upper: FloatArray, lower: FloatArray) -> Bump:
    """``column`` set to ``upper`` in one copy and to ``lower`` in the other."""
    return Bump(
        up=batch.replace(**{column: upper}),
        down=batch.replace(**{column: lower}),
        width=upper - lower,
    )


def central_bump(batch: OptionBatch, column: str, amount: FloatArray) -> Bump:
    """``column`` moved by ``+amount`` and ``-amount`` (same units as the column)."""
    values: FloatArray = getattr(batch, column)
    return bump_between(batch, column, values + amount, values - amount)


def volatility_bump(batch: OptionBatch) -> Bump:
    """Volatility moved by 1 % of itself either way."""
    return central_bump(batch, "volatility", VOLATILITY_BUMP_RELATIVE * batch.volatility)


def rate_bump(batch: OptionBatch) -> Bump:
    """Rate moved by one basis point either way."""
    return central_bump(batch, "rate", np.full(len(batch), RATE_BUMP))


def expiry_bump(batch: OptionBatch) -> Bump:
    """Time to expiry moved by 1 % of itself either way (theta is minus this derivative)."""
    return central_bump(batch, "time_to_expiry", EXPIRY_BUMP_RELATIVE * batch.time_to_expiry)


def spot_bump(batch: OptionBatch) -> Bump:
    """Spot moved by a tenth of a standard deviation to expiry (at most 1 %) either way."""
    deviation = batch.volatility * np.sqrt(batch.time_to_expiry)
    fraction = np.minimum(SPOT_BUMP_PER_DEVIATION * deviation, SPOT_BUMP_RELATIVE_MAX)
    return central_bump(batch, "spot", fraction * batch.spot)


def stack(batch: OptionBatch, bumps: Sequence[Bump]) -> OptionBatch:
    """The base batch, then each bump's up and down copies, as one batch of n (1 + 2b) rows."""
    copies = [batch]
    for bump in bumps:
        copies += [bump.up, bump.down]
    return OptionBatch.concatenate(tuple(copies))


def differences(stacked_prices: FloatArray, bumps: Sequence[Bump]) -> list[FloatArray]:
    """Per bump, the finite-difference derivative from prices of ``stack(batch, bumps)``."""
    rows = stacked_prices.reshape(1 + 2 * len(bumps), -1)
    return [(rows[1 + 2 * k] - rows[2 + 2 * k]) / bump.width for k, bump in enumerate(bumps)]


def second_difference(stacked_prices: FloatArray, bumps: Sequence[Bump], k: int) -> FloatArray:
    """Second derivative along bump ``k`` (assumed symmetric about the base)."""
    rows = stacked_prices.reshape(1 + 2 * len(bumps), -1)
    half_width = 0.5 * bumps[k].width
    result: FloatArray = (rows[1 + 2 * k] - 2.0 * rows[0] + rows[2 + 2 * k]) / (
        half_width * half_width
    )
    return result
