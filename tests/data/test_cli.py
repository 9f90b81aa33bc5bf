"""The import command's helper: exit codes, summary table, progress on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from quant_engine.data import run_import_cli

CLEAN = "date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,7\n2020-01-03,1,2,0.5,1.5,8\n"
WITH_MISSING = (
    "date,open,high,low,close,volume\n2020-01-02,,2,0.5,1.5,7\n2020-01-03,1,2,0.5,1.5,8\n"
)


def _folder(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return folder


def test_summary_counts_reasons_and_lists_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(
        tmp_path,
        {"A.csv": CLEAN, "B.csv": WITH_MISSING, "C.csv": CLEAN, "JUNK.csv": b"\x00\x01" * 50},
    )
    code = run_import_cli(folder, tmp_path / "store", force=False)
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert "tickers stored               3" in lines
    assert "  missing_value              1" in lines
    assert "status failed                1" in lines
    assert "failed sources (1):" in lines
    assert any(line.startswith("  JUNK.csv") and "binary content" in line for line in lines)


def test_more_than_half_failed_exits_with_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path, {"A.csv": CLEAN, "X.csv": "a,b\n1,2\n", "Y.csv": ""})
    assert run_import_cli(folder, tmp_path / "store", force=False) == 1
    assert "failed sources (2):" in capsys.readouterr().out


def test_unchanged_reimport_says_nothing_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path, {"A.csv": CLEAN})
    assert run_import_cli(folder, tmp_path / "store", force=False) == 0
    assert run_import_cli(folder, tmp_path / "store", force=False) == 0
    out = capsys.readouterr().out.splitlines()
    assert sum(line.endswith("— nothing changed") for line in out) == 1
    assert "  unchanged                  1" in out


def test_missing_folder_exits_with_two_and_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_import_cli(tmp_path / "absent", tmp_path / "store", force=False) == 2
    assert "does not exist" in capsys.readouterr().err


def test_sample_import_without_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_import_cli(None, tmp_path / "store", force=False) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("data import (sample) from sample")
    assert "tickers stored               52" in captured.out.splitlines()
