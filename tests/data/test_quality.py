"""Quality rules: one reason per bad row, precedence, duplicates, ordering, gaps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from quant_engine.data import QuarantineCounts, Store, import_directory
from quant_engine.data.quality import AssessInput, Assessment, assess, assess_many, find_gaps
from quant_engine.data.readers import SourceRows, read_source

HEADER = "date,open,high,low,close,volume\n"
# One row of each defect between clean rows; 2020-01-03 (Fri) -> 2020-01-20 (Mon) leaves
# ten weekdays (Jan 6-10, 13-17) without a bar.
ONE_OF_EACH = HEADER + (
    "2020-01-02,10,11,9,10.5,1000\n"
    "2020-01-03,10,11,9,10.5,1000\n"
    "2020-01-20,10,11,9,10.5,1000\n"
    "2020-01-21,,11,9,10.5,1000\n"  # missing_value
    "2020-01-22,0,11,9,10.5,1000\n"  # non_positive_price
    "2020-01-23,10,11,9,10.5,-5\n"  # negative_volume
    "2020-01-24,10,8,9,10.5,1000\n"  # inconsistent_ohlc: high < low
    "2020-01-20,10.2,11,9,10.5,1000\n"  # duplicate_date
    "2020-13-01,10,11,9,10.5,1000\n"  # unparseable_date
    "2020-01-27,10,11,9,10.5,1000\n"
)


def _rows(tmp_path: Path, text: str, name: str = "TEST.csv") -> SourceRows:
    path = tmp_path / name
    path.write_text(text)
    parsed = read_source(path, path.read_bytes())
    assert isinstance(parsed, SourceRows), parsed
    return parsed


def _assess(tmp_path: Path, text: str) -> Assessment:
    rows = _rows(tmp_path, text)
    return assess(AssessInput(raw=rows.raw, ticker=rows.ticker, source_file="TEST.csv"))


def test_each_defect_is_counted_once_under_its_reason(tmp_path: Path) -> None:
    assessment = _assess(tmp_path, ONE_OF_EACH)
    quality = assessment.quality
    assert quality.quarantined == QuarantineCounts(
        unparseable_date=1,
        missing_value=1,
        non_positive_price=1,
        negative_volume=1,
        inconsistent_ohlc=1,
        duplicate_date=1,
    )
    assert (quality.rows_read, quality.rows_stored) == (10, 4)
    assert quality.status == "warnings"
    assert (quality.first_date, quality.last_date) == (dt.date(2020, 1, 2), dt.date(2020, 1, 27))


def test_ten_business_day_hole_is_reported_as_gap(tmp_path: Path) -> None:
    assessment = _assess(tmp_path, ONE_OF_EACH)
    gaps = assessment.quality.gaps
    assert [(gap.start, gap.end, gap.business_days) for gap in gaps] == [
        (dt.date(2020, 1, 3), dt.date(2020, 1, 20), 10)
    ]


def test_holes_of_five_business_days_or_fewer_are_not_gaps() -> None:
    days = np.array(
        [np.datetime64("2020-01-03"), np.datetime64("2020-01-13"), np.datetime64("2020-01-21")],
        dtype="datetime64[D]",
    ).astype(np.int64)
    # Fri Jan 3 -> Mon Jan 13: 5 weekdays missing; Jan 13 -> Tue Jan 21: 5 weekdays missing
    assert find_gaps(days.astype(np.int32)) == ()


def test_quarantine_keeps_each_bad_row_with_reason_and_original_text(tmp_path: Path) -> None:
    assessment = _assess(tmp_path, ONE_OF_EACH)
    assert assessment.quarantine is not None
    quarantine = assessment.quarantine.to_pylist()
    by_reason = {row["reason"]: row for row in quarantine}
    assert [row["row_index"] for row in quarantine] == [3, 4, 5, 6, 7, 8]
    assert by_reason["unparseable_date"]["date"] == "2020-13-01"
    assert by_reason["missing_value"]["open"] is None
    assert by_reason["negative_volume"]["volume"] == "-5"
    assert by_reason["duplicate_date"]["open"] == "10.2"


def test_row_with_several_defects_takes_the_highest_precedence_reason(tmp_path: Path) -> None:
    text = HEADER + (
        "bad-date,,11,12,10.5,-1\n"  # unparseable_date beats missing, inconsistent, volume
        "2020-01-02,,-1,9,10.5,1000\n"  # missing_value beats non_positive and inconsistent
        "2020-01-03,-1,11,9,10.5,-1\n"  # non_positive_price beats negative_volume, inconsistent
        "2020-01-06,10,8,9,10.5,-1\n"  # negative_volume beats inconsistent_ohlc
        "2020-01-07,10,11,9,10.5,1000\n"
    )
    assessment = _assess(tmp_path, text)
    assert assessment.quality.quarantined == QuarantineCounts(
        unparseable_date=1, missing_value=1, non_positive_price=1, negative_volume=1
    )


def test_unsorted_rows_are_stored_ascending_and_first_duplicate_wins(tmp_path: Path) -> None:
    text = HEADER + (
        "2020-01-06,3,3,3,3,3\n2020-01-02,1,1,1,1,1\n2020-01-03,2,2,2,2,2\n2020-01-02,9,9,9,9,9\n"
    )
    assessment = _assess(tmp_path, text)
    days, opens = assessment.columns[0], assessment.columns[1]
    assert days.astype("datetime64[D]").astype(str).tolist() == [
        "2020-01-02",
        "2020-01-03",
        "2020-01-06",
    ]
    assert opens.tolist() == [1.0, 2.0, 3.0]
    assert assessment.quality.quarantined.duplicate_date == 1


def test_duplicate_of_a_bad_row_keeps_the_valid_copy(tmp_path: Path) -> None:
    text = HEADER + "2020-01-02,,1,1,1,1\n2020-01-02,2,2,2,2,2\n"
    assessment = _assess(tmp_path, text)
    quality = assessment.quality
    assert (quality.quarantined.missing_value, quality.quarantined.duplicate_date) == (1, 0)
    assert assessment.columns[1].tolist() == [2.0]


def test_source_without_valid_rows_fails_with_reason_counts(tmp_path: Path) -> None:
    assessment = _assess(tmp_path, HEADER + "2020-01-02,,1,1,1,1\n")
    quality = assessment.quality
    assert quality.status == "failed"
    assert quality.message == "no valid rows among 1 (missing_value: 1)"


def test_clean_source_is_ok_without_quarantine(tmp_path: Path) -> None:
    assessment = _assess(tmp_path, HEADER + "2020-01-02,1,2,0.5,1.5,10\n")
    assert assessment.quality.status == "ok"
    assert assessment.quarantine is None


def test_batched_assessment_equals_one_by_one(tmp_path: Path) -> None:
    texts = [
        ONE_OF_EACH,
        HEADER + "2020-01-02,1,2,0.5,1.5,10\n2020-01-03,1,2,0.5,1.5,10\n",
        HEADER,
        HEADER + "2020-01-03,1,2,0.5,1.5,10\n2020-01-02,1,2,0.5,1.5,10\n",
    ]
    inputs = []
    for index, text in enumerate(texts):
        rows = _rows(tmp_path, text, name=f"T{index}.csv")
        inputs.append(AssessInput(raw=rows.raw, ticker=rows.ticker, source_file=f"T{index}.csv"))
    together = assess_many(inputs)
    alone = [assess(item) for item in inputs]
    assert [a.quality for a in together] == [a.quality for a in alone]
    assert [a.fingerprint for a in together] == [a.fingerprint for a in alone]


def test_import_reports_each_defect_and_keeps_the_quarantine(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "TEST.csv").write_text(ONE_OF_EACH)
    store = Store(tmp_path / "store")
    report = import_directory(source, store)
    assert report.imported == ("TEST",)
    (quality,) = store.quality(status="warnings")
    assert quality.quarantined.total == 6
    assert quality.gaps[0].business_days == 10
    quarantine = store.quarantine("TEST")
    assert quarantine is not None
    assert sorted(quarantine.column("reason").to_pylist()) == sorted(QuarantineCounts().as_dict())


@pytest.mark.parametrize(
    ("cell", "reason"),
    [("abc", "missing_value"), ("inf", "missing_value"), ("", "missing_value")],
)
def test_non_numeric_cells_count_as_missing(tmp_path: Path, cell: str, reason: str) -> None:
    text = HEADER + f"2020-01-02,{cell},2,0.5,1.5,10\n2020-01-03,1,2,0.5,1.5,10\n"
    assessment = _assess(tmp_path, text)
    assert assessment.quality.quarantined.as_dict()[reason] == 1
    assert assessment.quality.rows_stored == 1
