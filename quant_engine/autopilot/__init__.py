"""Autopilot: what runs the models live — the autopilot cycle, the paper trader, A/B tests.

Blocking engines above ``backtest``/``models`` and below the API edge: they may import
``quant_engine.models``, ``backtest``, ``features``, ``tracking``, ``data`` and ``core``,
never ``quant_engine.api``, web frameworks or the generated contract.

- :mod:`.ab`: A/B tests of model versions on disjoint, hash-assigned parts of the
  universe; their registry (``state/ab_tests.db``) and their evaluation.
"""

from __future__ import annotations

from quant_engine.autopilot.ab import (
    AB_DATABASE,
    BUCKETS,
    AbRegistry,
    AbStatistics,
    AbTest,
    Arm,
    ArmDay,
    ArmResult,
    arm_bounds,
    arm_days,
    arm_problems,
    assign,
    bucket,
    compare,
    evaluate,
)

__all__ = [
    "AB_DATABASE",
    "BUCKETS",
    "AbRegistry",
    "AbStatistics",
    "AbTest",
    "Arm",
    "ArmDay",
    "ArmResult",
    "arm_bounds",
    "arm_days",
    "arm_problems",
    "assign",
    "bucket",
    "compare",
    "evaluate",
]
