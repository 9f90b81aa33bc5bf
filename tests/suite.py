"""``make test``: run every stage of the suite, then one pytest-form summary line.

Each stage's output streams to the terminal as it runs; the counts are read afterwards from
the runner's own report (pytest's JUnit XML, Vitest's JSON) or from the summary the runner
prints (schemathesis, the browser e2e). Quality gates (contract drift, ruff, mypy,
import-linter, tsc) count as one check each. Every stage runs even after one failed, so
the summary is complete; the exit status is non-zero when any stage failed, and the last
line says ``failed``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SUMMARY_WIDTH = 80


@dataclass(frozen=True)
class Counts:
    """Outcomes of one stage: what its runner counted."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.passed + other.passed, self.failed + other.failed, self.skipped + other.skipped
        )


@dataclass(frozen=True)
class Stage:
    """One command of the suite and the parser that counts its outcomes.

    ``parse(output, report_dir, exit_code)`` reads what the command printed (and any report
    it wrote under ``report_dir``) and returns its counts.
    """

    name: str
    unit: str
    command: Sequence[str]
    parse: Callable[[str, Path, int], Counts]
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageResult:
    stage: Stage
    counts: Counts
    exit_code: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.counts.failed == 0


# ------------------------------------------------------------------------------ parsers


def parse_gate(_output: str, _reports: Path, exit_code: int) -> Counts:
    """A quality gate is one check: passed when its command exits 0."""
    return Counts(passed=1) if exit_code == 0 else Counts(failed=1)


def parse_pytest_junit(xml_text: str) -> Counts:
    """Counts of a pytest JUnit XML report (errors count as failures)."""
    root = ET.fromstring(xml_text)
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return Counts(passed=total - failed - skipped, failed=failed, skipped=skipped)


_PYTEST_TERMS = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")


def parse_pytest_text(output: str) -> Counts:
    """Counts from pytest's final ``N failed, M passed in Ts`` line (``-q`` drops the
    ``===`` around it)."""
    for line in reversed(output.splitlines()):
        if re.match(r"^(=+ )?\d+ \w+.* in [\d.]+s", line.strip()):
            numbers = {word: int(count) for count, word in _PYTEST_TERMS.findall(line)}
            failed = numbers.get("failed", 0) + numbers.get("error", 0) + numbers.get("errors", 0)
            passed = numbers.get("passed", 0) + numbers.get("xfailed", 0)
            return Counts(passed, failed, numbers.get("skipped", 0))
    return Counts()


def parse_pytest(output: str, reports: Path, exit_code: int) -> Counts:
    junit = reports / "pytest.xml"
    counts = parse_pytest_junit(junit.read_text()) if junit.is_file() else parse_pytest_text(output)
    return _at_least_one_failure(counts, exit_code)


def parse_vitest_json(json_text: str) -> Counts:
    """Counts of Vitest's JSON reporter output (jest-compatible fields)."""
    report = json.loads(json_text)
    failed = int(report["numFailedTests"])
    if not report.get("success", failed == 0) and failed == 0:
        failed = max(1, int(report.get("numFailedTestSuites", 0)))  # a file failed to load
    skipped = int(report.get("numPendingTests", 0)) + int(report.get("numTodoTests", 0))
    return Counts(int(report["numPassedTests"]), failed, skipped)


def parse_vitest(output: str, reports: Path, exit_code: int) -> Counts:
    path = reports / "vitest.json"
    counts = parse_vitest_json(path.read_text()) if path.is_file() else Counts()
    return _at_least_one_failure(counts, exit_code)


_ST_CASES = re.compile(r"^\s*(\d+) generated(.*)$", re.MULTILINE)


def parse_schemathesis_text(output: str) -> Counts:
    """Counts from schemathesis' ``Test cases:`` block.

    ``2209 generated, 2209 passed, 28 skipped`` or ``2209 generated, 5 found 3 unique
    failures, 28 skipped`` (the 5 cases with failures are the failed ones; ``errored``
    cases count as failed too).
    """
    matches = list(_ST_CASES.finditer(output))
    if not matches:
        return Counts()
    match = matches[-1]
    generated, rest = int(match.group(1)), match.group(2)
    found = re.search(r"(\d+) found \d+ unique failures?", rest)
    errored = re.search(r"(\d+) errored", rest)
    skipped = re.search(r"(\d+) skipped", rest)
    failed = (int(found.group(1)) if found else 0) + (int(errored.group(1)) if errored else 0)
    passed_match = re.search(r"(\d+) passed", rest)
    passed = int(passed_match.group(1)) if passed_match else generated - failed
    return Counts(passed, failed, int(skipped.group(1)) if skipped else 0)


def parse_schemathesis(output: str, _reports: Path, exit_code: int) -> Counts:
    return _at_least_one_failure(parse_schemathesis_text(output), exit_code)


def parse_e2e_text(output: str) -> Counts:
    """Counts of the browser e2e: one ``ok   <step>`` line per passed step, and
    ``e2e FAILED`` when a step (or the setup) failed."""
    passed = len(re.findall(r"^ok {3}\S", output, re.MULTILINE))
    failed = 1 if re.search(r"^e2e FAILED", output, re.MULTILINE) else 0
    return Counts(passed=passed, failed=failed)


def parse_e2e(output: str, _reports: Path, exit_code: int) -> Counts:
    return _at_least_one_failure(parse_e2e_text(output), exit_code)


def _at_least_one_failure(counts: Counts, exit_code: int) -> Counts:
    """A stage that exited non-zero failed, even when its report counted no failure."""
    if exit_code != 0 and counts.failed == 0:
        return Counts(counts.passed, 1, counts.skipped)
    return counts


# ------------------------------------------------------------------------------ running


def run_stage(stage: Stage, reports: Path) -> StageResult:
    """Run one stage, echoing its output live, and count its outcomes."""
    print(f"\n>>> {stage.name}: {' '.join(stage.command)}", flush=True)
    started = time.monotonic()
    lines: list[str] = []
    try:
        process = subprocess.Popen(
            list(stage.command),
            cwd=REPO_ROOT,
            env={**os.environ, "QE_REPORTS": str(reports), **stage.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as error:
        print(f"cannot start {stage.name}: {error}", flush=True)
        return StageResult(stage, Counts(failed=1), 127, time.monotonic() - started)
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        lines.append(line)
    exit_code = process.wait()
    seconds = time.monotonic() - started
    counts = stage.parse("".join(lines), reports, exit_code)
    return StageResult(stage, counts, exit_code, seconds)


def summary_line(total: Counts, seconds: float) -> str:
    """pytest's form: ``==== 3 failed, 2552 passed, 30 skipped in 347.2s ====``."""
    parts = []
    if total.failed:
        parts.append(f"{total.failed} failed")
    parts.append(f"{total.passed} passed")
    if total.skipped:
        parts.append(f"{total.skipped} skipped")
    text = f" {', '.join(parts)} in {seconds:.1f}s "
    left = (SUMMARY_WIDTH - len(text)) // 2
    right = SUMMARY_WIDTH - len(text) - left
    return "=" * max(left, 4) + text + "=" * max(right, 4)


def report(results: Sequence[StageResult], seconds: float) -> tuple[str, bool]:
    """The per-stage table and the summary line; True when every stage passed."""
    rows = [f"{'stage':<18}{'counted':<18}{'passed':>8}{'failed':>8}{'skipped':>9}{'time':>9}"]
    for result in results:
        counts = result.counts
        rows.append(
            f"{result.stage.name:<18}{result.stage.unit:<18}{counts.passed:>8}"
            f"{counts.failed:>8}{counts.skipped:>9}{result.seconds:>8.1f}s"
        )
    total = sum((result.counts for result in results), Counts())
    ok = all(result.ok for result in results)
    return "\n".join([*rows, summary_line(total, seconds)]), ok


def run_suite(stages: Sequence[Stage]) -> int:
    """Run ``stages`` in order, print the table and the summary line last; exit status."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="qe-suite-") as tmp:
        reports = Path(tmp)
        results = [run_stage(stage, reports) for stage in stages]
    text, ok = report(results, time.monotonic() - started)
    print("\n" + text, flush=True)
    return 0 if ok else 1


def default_stages() -> list[Stage]:
    """The stages of ``make test``, in order (``$QE_REPORTS`` is the report folder)."""
    venv_bin = Path(sys.executable).parent
    make = ["make", "--no-print-directory"]
    return [
        Stage("check-generated", "check", [*make, "check-generated"], parse_gate),
        Stage("ruff check", "check", [str(venv_bin / "ruff"), "check", *LINTED], parse_gate),
        Stage(
            "ruff format",
            "check",
            [str(venv_bin / "ruff"), "format", "--check", *LINTED],
            parse_gate,
        ),
        Stage(
            "mypy --strict",
            "check",
            [str(venv_bin / "mypy"), "--strict", "quant_engine"],
            parse_gate,
        ),
        Stage("import-linter", "check", [str(venv_bin / "lint-imports")], parse_gate),
        Stage("tsc", "check", [*make, "frontend-check"], parse_gate),
        Stage(
            "vitest",
            "tests",
            [
                "sh",
                "-c",
                "cd frontend && npx --no-install vitest run --reporter=default "
                '--reporter=json --outputFile="$QE_REPORTS/vitest.json"',
            ],
            parse_vitest,
        ),
        Stage(
            "pytest",
            "tests",
            ["sh", "-c", f'"{venv_bin}/pytest" -q --junitxml="$QE_REPORTS/pytest.xml"'],
            parse_pytest,
        ),
        Stage("schemathesis", "generated cases", [*make, "fuzz"], parse_schemathesis),
        Stage("browser e2e", "steps", [*make, "e2e"], parse_e2e),
    ]


LINTED = ("quant_engine", "tests", "bench")


def main() -> int:
    return run_suite(default_stages())


if __name__ == "__main__":
    sys.exit(main())
