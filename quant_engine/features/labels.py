"""Training labels: what a trade entered at the next open and held ``horizon`` days earns."""

from __future__ import annotations

import numpy as np

from quant_engine.core.errors import ErrorDetail, ValidationFailedError
from quant_engine.data.models import FloatArray
from quant_engine.features.panel import Panel


def adjusted_open(panel: Panel) -> FloatArray:
    """``open * adj_close / close``: the open on the adjusted scale (equals ``open`` when
    ``adj_close == close``); NaN where any of the three is missing or close is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        adjusted = panel.open * (panel.adj_close / panel.close)
    return np.where(np.isfinite(adjusted), adjusted, np.nan)


def forward_returns(panel: Panel, horizon: int) -> FloatArray:
    """Forward return label, dates × tickers (fraction):
    ``label[t] = open_adj[t + 1 + horizon] / open_adj[t + 1] - 1``.

    A signal computed at the close of t is traded at the open of t+1 and exited at the
    open ``horizon`` trading days (panel rows) later. NaN where ``t + 1 + horizon`` is past
    the panel's last row or either open is missing; never filled. Uses no price dated
    <= t, so it is the only place where rows after t enter the research data.

    Raises ``ValidationFailedError`` when ``horizon < 1``.
    """
    if horizon < 1:
        raise ValidationFailedError(
            f"horizon must be at least 1 trading day, got {horizon}",
            details=[ErrorDetail(loc=("horizon",), msg=">= 1")],
        )
    opens = adjusted_open(panel)
    labels = np.full(opens.shape, np.nan, dtype=np.float64)
    rows = opens.shape[0]
    if rows > horizon + 1:
        entry = opens[1 : rows - horizon]
        exit_ = opens[1 + horizon :]
        with np.errstate(divide="ignore", invalid="ignore"):
            labels[: rows - horizon - 1] = exit_ / entry - 1.0
    labels[~np.isfinite(labels)] = np.nan
    return labels
