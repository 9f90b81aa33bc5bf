"""The summary that ends ``make test``: parsers on recorded runner outputs, and the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.suite import (
    Counts,
    Stage,
    StageResult,
    parse_e2e,
    parse_e2e_text,
    parse_gate,
    parse_pytest,
    parse_pytest_junit,
    parse_pytest_text,
    parse_schemathesis,
    parse_schemathesis_text,
    parse_vitest_json,
    report,
    run_suite,
    summary_line,
)

RECORDED = Path(__file__).resolve().parent / "fixtures" / "runner_outputs"


def _recorded(name: str) -> str:
    return (RECORDED / name).read_text(encoding="utf-8")


def test_pytest_junit_counts_passed_failed_and_skipped() -> None:
    assert parse_pytest_junit(_recorded("pytest_passed.xml")) == Counts(passed=1)
    assert parse_pytest_junit(_recorded("pytest_failed.xml")) == Counts(2, 1, 1)


def test_pytest_quiet_summary_line_is_read_when_there_is_no_report() -> None:
    assert parse_pytest_text(_recorded("pytest_failed.txt")) == Counts(2, 1, 1)
    assert parse_pytest_text("===== 12 passed, 1 error in 3.20s =====") == Counts(12, 1, 0)


def test_pytest_that_crashed_before_reporting_is_a_failure(tmp_path: Path) -> None:
    assert parse_pytest("ImportError while loading conftest", tmp_path, 4) == Counts(failed=1)


def test_vitest_json_report_counts() -> None:
    assert parse_vitest_json(_recorded("vitest_passed.json")) == Counts(passed=32)
    assert parse_vitest_json(_recorded("vitest_failed.json")) == Counts(1, 1, 1)


def test_schemathesis_cases_block_counts() -> None:
    passed = parse_schemathesis_text(_recorded("schemathesis_passed.txt"))
    assert passed == Counts(passed=2189, skipped=32)
    failed = parse_schemathesis_text(_recorded("schemathesis_failed.txt"))
    assert failed == Counts(passed=7, failed=3)


def test_schemathesis_exit_code_wins_over_an_unreadable_block(tmp_path: Path) -> None:
    assert parse_schemathesis("Traceback (most recent call last)", tmp_path, 1) == Counts(failed=1)


def test_e2e_counts_ok_steps_and_a_failure() -> None:
    assert parse_e2e_text(_recorded("e2e_passed.txt")) == Counts(passed=8)
    assert parse_e2e_text(_recorded("e2e_failed.txt")) == Counts(failed=1)


def test_e2e_failure_with_passed_steps(tmp_path: Path) -> None:
    output = 'ok   overview (0.6 s)\ne2e FAILED: step "logs" failed: timeout\n'
    assert parse_e2e(output, tmp_path, 1) == Counts(passed=1, failed=1)


def test_gate_is_one_check(tmp_path: Path) -> None:
    assert parse_gate("All checks passed!", tmp_path, 0) == Counts(passed=1)
    assert parse_gate("error: 3 problems", tmp_path, 1) == Counts(failed=1)


def test_summary_line_is_in_pytest_form() -> None:
    line = summary_line(Counts(2555, 0, 30), 347.24)
    assert line.startswith("====")
    assert line.endswith("====")
    assert " 2555 passed, 30 skipped in 347.2s " in line
    assert " 3 failed, 10 passed in 1.0s " in summary_line(Counts(10, 3, 0), 1.0)


def test_report_table_lists_each_stage_and_total() -> None:
    stage = Stage("pytest", "tests", ["true"], parse_gate)
    other = Stage("vitest", "tests", ["true"], parse_gate)
    results = [
        StageResult(stage, Counts(300, 0, 2), 0, 10.0),
        StageResult(other, Counts(32), 0, 3.0),
    ]
    text, ok = report(results, 13.5)
    lines = text.splitlines()
    assert ok is True
    assert lines[1].split()[:5] == ["pytest", "tests", "300", "0", "2"]
    assert lines[-1].strip("= ") == "332 passed, 2 skipped in 13.5s"


def _pytest_stage(folder: Path) -> Stage:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)]
    return Stage("pytest", "tests", command, parse_pytest)


def test_a_broken_test_makes_the_suite_fail_and_say_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "test_sample.py").write_text(
        "def test_fine():\n    assert True\n\ndef test_broken():\n    assert 1 + 1 == 3\n"
    )
    gate = Stage("gate", "check", ["true"], parse_gate)
    exit_code = run_suite([gate, _pytest_stage(tmp_path)])
    last = capsys.readouterr().out.rstrip("\n").splitlines()[-1]
    assert exit_code == 1
    assert last.startswith("=")
    assert " 1 failed, 2 passed in " in last


def test_a_clean_run_ends_with_the_passed_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "test_sample.py").write_text("def test_fine():\n    assert True\n")
    exit_code = run_suite([_pytest_stage(tmp_path), Stage("gate", "check", ["true"], parse_gate)])
    last = capsys.readouterr().out.rstrip("\n").splitlines()[-1]
    assert exit_code == 0
    assert " 2 passed in " in last
    assert "failed" not in last


def test_make_test_runs_the_suite_module() -> None:
    """``make test`` must end with this module's summary, so it is its last command."""
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert recipe.strip().splitlines()[-1].strip() == "$(PY) -m tests.suite"


def test_suite_module_runs_as_a_program() -> None:
    reply = subprocess.run(
        [sys.executable, "-c", "import tests.suite as s; print(len(s.default_stages()))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert reply.stdout.strip() == "10"
