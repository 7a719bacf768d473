"""The time-based flush (``max_buffered_seconds``) and the flush at interpreter exit: no record waits unbounded."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from producer_fakes import RecordingFirehose, ScriptedFirehose, client_error

from firehose_s3_client.producer import (
    DEFAULT_MAX_BUFFERED_SECONDS,
    DeliveryFailedError,
    FailedRecord,
    FirehoseProducer,
)

REPO = Path(__file__).resolve().parents[2]


def wait_until(condition: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.01)
    return False


def test_records_are_sent_once_the_oldest_has_waited_max_buffered_seconds() -> None:
    client = RecordingFirehose()
    producer = FirehoseProducer("stream-1", client=client, max_buffered_seconds=0.3)
    started = time.monotonic()
    producer.put(b"first")
    producer.put(b"second")
    assert client.calls == []  # far from a full batch: nothing is sent by put
    assert wait_until(lambda: client.calls)
    waited = time.monotonic() - started
    assert waited >= 0.25  # not before its time
    assert client.lines == [b"first\n", b"second\n"]
    assert producer.buffered_records == 0
    producer.close()


def test_the_default_is_five_seconds_and_none_disables_the_thread() -> None:
    assert DEFAULT_MAX_BUFFERED_SECONDS == 5.0
    client = RecordingFirehose()
    producer = FirehoseProducer("no-thread", client=client, max_buffered_seconds=None)
    producer.put(b"x")
    assert not [t for t in threading.enumerate() if t.name == "firehose-flush-no-thread"]
    producer.close()
    assert client.lines == [b"x\n"]


@pytest.mark.parametrize("value", [0, -1.0])
def test_max_buffered_seconds_is_validated(value: float) -> None:
    with pytest.raises(ValueError, match="max_buffered_seconds must be > 0"):
        FirehoseProducer("stream-1", client=RecordingFirehose(), max_buffered_seconds=value)


def test_flush_thread_failures_go_to_on_failure() -> None:
    received: list[FailedRecord] = []
    client = ScriptedFirehose([client_error("ResourceNotFoundException", "gone")])
    producer = FirehoseProducer("stream-1", client=client, max_buffered_seconds=0.05, on_failure=received.extend)
    producer.put(b"lost")
    assert wait_until(lambda: received)
    assert [(f.data, f.error_code) for f in received] == [(b"lost\n", "ResourceNotFoundException")]
    producer.close()


def test_flush_thread_failures_are_raised_by_the_next_call_without_on_failure() -> None:
    client = ScriptedFirehose([client_error("ResourceNotFoundException", "gone")])
    producer = FirehoseProducer("stream-1", client=client, max_buffered_seconds=0.05)
    producer.put(b"lost")
    assert wait_until(lambda: producer.stats.records_failed == 1)
    with pytest.raises(DeliveryFailedError) as excinfo:
        producer.put(b"next")  # buffered, then the earlier failure is raised
    assert [f.data for f in excinfo.value.failed_records] == [b"lost\n"]
    producer.close()
    assert client.stored == [b"next\n"]


def test_an_exception_of_on_failure_in_the_flush_thread_reaches_the_caller() -> None:
    def refuse(failures: list[FailedRecord]) -> None:
        raise RuntimeError("callback broke")

    client = ScriptedFirehose([client_error("ResourceNotFoundException")])
    producer = FirehoseProducer("stream-1", client=client, max_buffered_seconds=0.05, on_failure=refuse)
    producer.put(b"x")
    assert wait_until(lambda: producer.stats.records_failed == 1)
    with pytest.raises(RuntimeError, match="callback broke"):
        producer.flush()
    producer.close()


def test_close_stops_the_flush_thread() -> None:
    producer = FirehoseProducer("stream-9", client=RecordingFirehose(), max_buffered_seconds=60)
    producer.put(b"x")
    assert wait_until(lambda: any(t.name == "firehose-flush-stream-9" for t in threading.enumerate()))
    producer.close()
    assert wait_until(lambda: not any(t.name == "firehose-flush-stream-9" for t in threading.enumerate()))


EXIT_SCRIPT = """
import sys
sys.path[:0] = [{tests!r}]
from producer_fakes import RecordingFirehose, ScriptedFirehose, client_error
from firehose_s3_client.producer import FirehoseProducer

class Printing(RecordingFirehose):
    def put_record_batch(self, **kwargs):
        response = super().put_record_batch(**kwargs)
        print("sent", [r["Data"] for r in kwargs["Records"]], flush=True)
        return response

client = Printing() if sys.argv[1] == "ok" else ScriptedFirehose([client_error("ResourceNotFoundException", "gone")])
producer = FirehoseProducer("exit-stream", client=client, max_buffered_seconds=None)
producer.put(b"forgotten-1")
producer.put(b"forgotten-2")
print("leaving without flush", flush=True)
"""


@pytest.mark.parametrize("outcome", ["ok", "failing"])
def test_unflushed_records_are_flushed_or_reported_at_interpreter_exit(outcome: str) -> None:
    script = textwrap.dedent(EXIT_SCRIPT).format(tests=str(REPO / "tests"))
    proc = subprocess.run(
        [sys.executable, "-c", script, outcome], capture_output=True, text=True, cwd=REPO, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    if outcome == "ok":
        assert proc.stdout.splitlines() == ["leaving without flush", "sent [b'forgotten-1\\nforgotten-2\\n']"]
        assert proc.stderr == ""
    else:
        assert "at interpreter exit: 2 records could not be delivered to Firehose stream 'exit-stream'" in proc.stderr
        assert "ResourceNotFoundException" in proc.stderr
