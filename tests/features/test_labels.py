"""forward_returns: next-open to next-open-plus-horizon, never before t+1."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from quant_engine.core.errors import ValidationFailedError
from quant_engine.features import forward_returns
from tests.features.conftest import make_panel, with_missing


def test_label_is_the_return_from_the_next_open_over_the_horizon() -> None:
    panel = make_panel(40, 3)
    labels = forward_returns(panel, 5)
    for t in range(40 - 6):
        expected = panel.open[t + 6] / panel.open[t + 1] - 1
        np.testing.assert_allclose(labels[t], expected, rtol=1e-14)
    assert np.isnan(labels[34:]).all()  # t + 1 + 5 is past the last row
    assert labels.shape == panel.close.shape


def test_label_uses_the_adjusted_open_when_adj_close_differs() -> None:
    panel = make_panel(40, 2, adjust=True)  # adj_close = 0.97 * close on the first 20 rows
    labels = forward_returns(panel, 3)
    factor = panel.adj_close / panel.close
    t = 17  # enters at row 18 (adjusted), exits at row 21 (not adjusted)
    expected = panel.open[21] * factor[21] / (panel.open[18] * factor[18]) - 1
    np.testing.assert_allclose(labels[t], expected, rtol=1e-14)
    assert not np.allclose(labels[t], panel.open[21] / panel.open[18] - 1)


def test_label_ignores_every_price_up_to_and_including_t() -> None:
    panel = make_panel(60, 3, adjust=True)
    t = 30
    changed = {}
    for field in ("open", "high", "low", "close", "adj_close", "volume"):
        values = np.array(getattr(panel, field))
        values[: t + 1] *= 1.7
        changed[field] = values
    altered = dataclasses.replace(panel, **changed)
    assert np.array_equal(forward_returns(altered, 4)[t], forward_returns(panel, 4)[t])
    reopened = np.array(panel.open)
    reopened[t + 1] *= 1.1
    moved = forward_returns(dataclasses.replace(panel, open=reopened), 4)
    assert not np.array_equal(moved[t], forward_returns(panel, 4)[t])


def test_a_missing_open_makes_the_label_nan_and_is_never_filled() -> None:
    panel = with_missing(make_panel(30, 2), [10], 0)
    labels = forward_returns(panel, 2)
    assert np.isnan(labels[9, 0])  # entry open missing
    assert np.isnan(labels[7, 0])  # exit open missing
    assert np.isfinite(labels[8, 0])
    assert np.isfinite(labels[7:10, 1]).all()


def test_horizon_must_be_at_least_one_day() -> None:
    with pytest.raises(ValidationFailedError):
        forward_returns(make_panel(10, 1), 0)


def test_a_panel_shorter_than_the_horizon_has_only_nan_labels() -> None:
    assert np.isnan(forward_returns(make_panel(5, 2), 10)).all()
