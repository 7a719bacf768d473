"""Every record counted once: outcomes of split records combined per input record."""

from __future__ import annotations

from firehose_s3_client.simulate.tally import Tally


def test_plain_counts() -> None:
    tally = Tally(records_in=6)
    tally.delivered([0, 1, 2], record_bytes=30)
    tally.dropped([3])
    tally.failed("processing-failed", [4, 5])
    assert tally.undecided == 0
    report = tally.as_dict()
    assert (report["records_delivered"], report["records_dropped"]) == (3, 1)
    assert report["records_failed"] == {"processing-failed": 2}
    assert "sub_records" not in report


def test_a_split_record_counts_once_with_its_worst_outcome() -> None:
    tally = Tally(split=True, records_in=4)
    tally.parts(0, 3)  # delivered, dropped, failed -> failed
    tally.parts(1, 2)  # dropped, delivered -> delivered
    tally.parts(2, 2)  # dropped, dropped -> dropped
    tally.delivered([0, 1], record_bytes=2)
    tally.dropped([0, 1, 2])
    assert tally.undecided == 4 - 1  # record 1 is decided, 0 and 2 wait for parts, 3 has not arrived
    tally.failed("partitioning-failed", [0])
    tally.dropped([2])
    tally.delivered([3], record_bytes=1)  # record 3 was not split
    assert (tally.records_delivered, tally.records_dropped) == (2, 1)
    assert tally.records_failed == {"partitioning-failed": 1}
    assert tally.undecided == 0
    assert tally.as_dict()["sub_records"] == {"delivered": 3, "dropped": 4, "partitioning-failed": 1}


def test_the_first_failure_decides() -> None:
    tally = Tally(split=True, records_in=1)
    tally.parts(0, 2)
    tally.failed("metadata-extraction-failed", [0])
    tally.failed("format-conversion-failed", [0])
    assert tally.records_failed == {"metadata-extraction-failed": 1}
