"""``firehose-s3 put`` run as a subprocess through a fault proxy: every input record accounted for, whatever fails.

In every scenario, as multisets of lines and record by record: the input's records equal the records the
service acknowledged (seen on the wire by the proxy) + the lines put reported skipped + the lines of
``--failed-output``; and re-running ``put`` on ``--failed-output`` resumes exactly.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from client.fault_proxy import CUT_REQUEST, CUT_RESPONSE, PASS, Fault, FaultProxy
from client.local_firehose import REGION, LocalFirehose

REPO = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "firehose_s3_client.cli"]
VALID = 3000
# Line 11 is blank, lines 21 and 1502 are rejected (not JSON, NaN), the rest are records.
BAD_LINES = {21: b"not json", 1502: b'{"n": NaN}'}


def make_input() -> tuple[bytes, list[bytes]]:
    """The input file's bytes, and its lines as numbered 1..N (newline-terminated)."""
    numbered: list[bytes] = []
    n = 0
    while len([line for line in numbered if line.startswith(b'{"n":') and b"NaN" not in line]) < VALID:
        number = len(numbered) + 1
        if number == 11:
            numbered.append(b"\n")
        elif number in BAD_LINES:
            numbered.append(BAD_LINES[number] + b"\n")
        else:
            numbered.append(b'{"n":%d,"msg":"hello"}\n' % n)
            n += 1
    return b"".join(numbered), numbered


INPUT, NUMBERED = make_input()
#: Every record of the input (non-blank lines), and the valid ones.
INPUT_RECORDS = [line for line in NUMBERED if line.strip()]
RECORDS = [line for line in INPUT_RECORDS if line.rstrip(b"\n") not in BAD_LINES.values()]


@dataclass
class Put:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def counts(self) -> dict[str, int]:
        last = self.stdout.splitlines()[-1]
        assert last.startswith("summary: "), self.stdout
        fields = last.removeprefix("summary: ").split(";")[0].split(", ")
        return {name: int(value) for name, value in (field.rsplit(" ", 1) for field in fields)}

    def skipped_lines(self) -> list[bytes]:
        numbers = [int(n) for n in re.findall(r": line (\d+): .*; skipped$", self.stderr, re.MULTILINE)]
        return [NUMBERED[n - 1] for n in numbers]

    @property
    def error(self) -> str:
        errors = [line for line in self.stderr.splitlines() if line.startswith("firehose-s3: error:")]
        assert len(errors) == 1, self.stderr
        return errors[0]


@pytest.fixture(scope="module")
def local() -> Iterator[LocalFirehose]:
    endpoint = LocalFirehose()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def proxy(local: LocalFirehose) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(local.address)
    yield fault_proxy
    fault_proxy.stop()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_bytes(INPUT)
    return path


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def start_put(proxy: FaultProxy, tmp_path: Path, *args: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
    # --no-aggregate: 500 records per call, so the 3,000 records take 6 calls.
    argv = [*COMMAND, "put", "--no-aggregate", "--connect-timeout", "0.5", "--endpoint-url", proxy.url, *args]
    return subprocess.Popen(
        argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=environment(tmp_path)
    )


def finish(proc: subprocess.Popen[bytes], started: float, stdin: bytes | None = None) -> Put:
    out, err = proc.communicate(stdin, timeout=60)
    return Put(proc.returncode, out.decode(), err.decode(), time.monotonic() - started)


def put(proxy: FaultProxy, tmp_path: Path, *args: str) -> Put:
    started = time.monotonic()
    return finish(start_put(proxy, tmp_path, *args), started)


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True) if path.exists() else []


def assert_accounted(run: Put, proxy: FaultProxy, failed_output: Path) -> None:
    """input == acknowledged + skipped + failed-output, as multisets, and the summary says the same."""
    acknowledged, skipped, failed = proxy.acknowledged_lines(), run.skipped_lines(), lines_of(failed_output)
    assert Counter(INPUT_RECORDS) == Counter(acknowledged) + Counter(skipped) + Counter(failed)
    counts = run.counts()
    assert counts["read"] == len(RECORDS) + len(BAD_LINES)
    assert counts["sent"] == len(acknowledged)
    assert counts["skipped"] == len(run.skipped_lines()) == len(BAD_LINES)
    assert counts["failed"] + counts["not attempted"] == len(failed)


def test_an_outage_longer_than_the_budget_lists_every_undelivered_record_and_the_rerun_resumes_exactly(
    proxy: FaultProxy, local: LocalFirehose, source: Path, tmp_path: Path
) -> None:
    stream = local.create_stream("cli-outage")
    failed_output = tmp_path / "failed.jsonl"

    def plan(index: int, target: str) -> Fault:
        if index == 2:
            proxy.refuse()  # cut 2 calls into the run; back only when the test says so
            return CUT_REQUEST
        return PASS

    proxy.plan = plan
    run = put(proxy, tmp_path, "--stream", stream, str(source), "--failed-output", str(failed_output),
              "--max-retry-seconds", "0.5")  # fmt: skip
    assert run.returncode == 1, run
    assert "still failed when the retries ran out (EndpointConnectionError" in run.error
    assert f"are in {failed_output}; resume with: firehose-s3 put --stream {stream} {failed_output}" in run.error
    assert_accounted(run, proxy, failed_output)
    assert run.counts()["not attempted"] > 0
    assert run.counts()["sent"] == 1000
    assert Counter(local.delivered_lines(stream)) == Counter(proxy.acknowledged_lines())  # no answer was lost

    proxy.recover()
    proxy.plan = lambda index, target: PASS
    resumed = put(proxy, tmp_path, "--stream", stream, str(failed_output))
    assert resumed.returncode == 0, resumed
    assert Counter(local.delivered_lines(stream)) == Counter(RECORDS)  # everything, exactly once
    assert Counter(proxy.acknowledged_lines()) == Counter(RECORDS)


def test_an_outage_shorter_than_the_budget_loses_nothing(
    proxy: FaultProxy, local: LocalFirehose, source: Path, tmp_path: Path
) -> None:
    stream = local.create_stream("cli-blip")

    def plan(index: int, target: str) -> Fault:
        if index == 2:
            proxy.refuse_for(0.7)
            return CUT_REQUEST
        return PASS

    proxy.plan = plan
    run = put(proxy, tmp_path, "--stream", stream, str(source), "--max-retry-seconds", "3")
    assert run.returncode == 0, run
    assert run.counts() == {"read": VALID + 2, "sent": VALID, "skipped": 2, "failed": 0, "not attempted": 0}
    assert Counter(local.delivered_lines(stream)) == Counter(RECORDS)


def test_cut_requests_lost_answers_and_5xx_are_retried(
    proxy: FaultProxy, local: LocalFirehose, source: Path, tmp_path: Path
) -> None:
    stream = local.create_stream("cli-flaky")
    faults = {1: CUT_REQUEST, 3: CUT_RESPONSE, 4: Fault.status_error(503, "ServiceUnavailableException")}
    faults[6] = Fault.status_error(500, "InternalFailure")
    proxy.plan = lambda index, target: faults.get(index, PASS)
    run = put(proxy, tmp_path, "--stream", stream, str(source), "--max-retry-seconds", "5")
    assert run.returncode == 0, run
    assert run.counts()["sent"] == VALID
    assert Counter(proxy.acknowledged_lines()) == Counter(RECORDS)
    lost_answer = b"".join(proxy.written_but_unacknowledged()).splitlines(keepends=True)
    assert len(lost_answer) == 500  # the call whose answer was cut: written, re-sent, so stored twice
    assert Counter(local.delivered_lines(stream)) == Counter(RECORDS) + Counter(lost_answer)


def test_a_stream_deleted_during_the_run(proxy: FaultProxy, local: LocalFirehose, source: Path, tmp_path: Path) -> None:
    stream = local.create_stream("cli-deleted")
    failed_output = tmp_path / "failed.jsonl"

    def plan(index: int, target: str) -> Fault:
        if index == 3:
            local.delete_stream(stream)
        return PASS

    proxy.plan = plan
    run = put(proxy, tmp_path, "--stream", stream, str(source), "--failed-output", str(failed_output))
    assert run.returncode == 1, run
    assert f"delivery stream {stream!r} not found" in run.error
    assert len(proxy.exchanges) == 4  # a permanent error is not retried, and sending stops
    assert_accounted(run, proxy, failed_output)
    assert run.counts()["sent"] == 1500


def test_without_failed_output_the_line_to_resume_from_is_given(
    proxy: FaultProxy, local: LocalFirehose, source: Path, tmp_path: Path
) -> None:
    stream = local.create_stream("cli-resume")

    def plan(index: int, target: str) -> Fault:
        if index == 2:
            local.delete_stream(stream)
        return PASS

    proxy.plan = plan
    run = put(proxy, tmp_path, "--stream", stream, str(source))
    assert run.returncode == 1, run
    match = re.search(r"resume from line (\d+) \(tail -n \+\1 ", run.error)
    assert match, run.error
    first = int(match.group(1))
    delivered = set(proxy.acknowledged_lines())
    # Every record before that line was delivered; the one on it was not.
    assert all(line in delivered for line in NUMBERED[: first - 1] if line in RECORDS)
    assert NUMBERED[first - 1] not in delivered
    assert f"{VALID - 1000:,} records not delivered" in run.error


def test_ctrl_c_stops_and_lists_every_record(
    proxy: FaultProxy, local: LocalFirehose, source: Path, tmp_path: Path
) -> None:
    stream = local.create_stream("cli-sigint")
    failed_output = tmp_path / "failed.jsonl"
    proxy.plan = lambda index, target: Fault.delay(0.3)
    started = time.monotonic()
    proc = start_put(proxy, tmp_path, "--stream", stream, str(source), "--failed-output", str(failed_output))
    deadline = time.monotonic() + 30
    while len(proxy.exchanges) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    run = finish(proc, started)
    assert run.returncode == 130, run
    assert run.error.startswith("firehose-s3: error: interrupted; ")
    assert "Traceback" not in run.stderr
    assert_accounted(run, proxy, failed_output)
    assert run.counts()["failed"] == 0  # the call in progress finished: nothing is in doubt
    assert 0 < run.counts()["sent"] < VALID


def test_a_second_ctrl_c_stops_at_once_without_losing_a_record(
    proxy: FaultProxy, local: LocalFirehose, source: Path, tmp_path: Path
) -> None:
    stream = local.create_stream("cli-sigint-twice")
    failed_output = tmp_path / "failed.jsonl"
    proxy.plan = lambda index, target: PASS if index == 0 else Fault.delay(30)
    started = time.monotonic()
    proc = start_put(proxy, tmp_path, "--stream", stream, str(source), "--failed-output", str(failed_output))
    deadline = time.monotonic() + 30
    while len(proxy.exchanges) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the second call is waiting for its (held) answer
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    run = finish(proc, started)
    assert run.returncode == 130, run
    assert run.seconds < 20  # not the 30 s the answer is held
    match = re.search(r"input not read after line (\d+)", run.stdout)
    assert match, run.stdout
    last_read = int(match.group(1))
    read = [line for line in NUMBERED[:last_read] if line in RECORDS]
    acknowledged, failed = proxy.acknowledged_lines(), lines_of(failed_output)
    assert Counter(read) == Counter(acknowledged) + Counter(failed)  # nothing read is lost
    in_doubt = b"".join(proxy.written_but_unacknowledged()).splitlines(keepends=True)
    assert set(in_doubt) <= set(failed)  # the abandoned call's records are listed (they may also be stored)
    assert f"then the rest of the input (tail -n +{last_read + 1} {source})" in run.error


def test_access_denied_stops_at_the_first_call(
    proxy: FaultProxy, local: LocalFirehose, source: Path, tmp_path: Path
) -> None:
    stream = local.create_stream("cli-denied")
    failed_output = tmp_path / "failed.jsonl"
    proxy.plan = lambda index, target: Fault.status_error(400, "AccessDeniedException")
    run = put(proxy, tmp_path, "--stream", stream, str(source), "--failed-output", str(failed_output))
    assert run.returncode == 1, run
    assert f"access denied to delivery stream {stream!r} (AccessDeniedException" in run.error
    assert len(proxy.exchanges) == 1
    assert_accounted(run, proxy, failed_output)
    assert run.counts()["sent"] == 0


def test_a_stop_while_reading_a_pipe_gives_the_line_to_resume_from(
    proxy: FaultProxy, local: LocalFirehose, tmp_path: Path
) -> None:
    stream = local.create_stream("cli-pipe")

    def plan(index: int, target: str) -> Fault:
        if index == 1:
            local.delete_stream(stream)
        return PASS

    proxy.plan = plan
    started = time.monotonic()
    proc = start_put(proxy, tmp_path, "--stream", stream, "-", stdin=subprocess.PIPE)
    run = finish(proc, started, INPUT)
    assert run.returncode == 1, run
    assert run.counts()["sent"] == 500
    assert "resume from line " in run.error


def test_records_from_a_slow_pipe_are_sent_without_waiting_for_its_end(
    proxy: FaultProxy, local: LocalFirehose, tmp_path: Path
) -> None:
    stream = local.create_stream("cli-trickle")
    started = time.monotonic()
    proc = start_put(proxy, tmp_path, "--stream", stream, "--max-buffered-seconds", "0.2", "-", stdin=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(RECORDS[0] + RECORDS[1])
    proc.stdin.flush()
    deadline = time.monotonic() + 20
    while not proxy.acknowledged() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proxy.acknowledged_lines() == RECORDS[:2]  # sent while the pipe is still open
    run = finish(proc, started, RECORDS[2])
    assert run.returncode == 0, run
    assert run.counts()["sent"] == 3
    assert Counter(local.delivered_lines(stream)) == Counter(RECORDS[:3])


def test_sigterm_stops_like_ctrl_c(proxy: FaultProxy, local: LocalFirehose, source: Path, tmp_path: Path) -> None:
    stream = local.create_stream("cli-sigterm")
    failed_output = tmp_path / "failed.jsonl"
    proxy.plan = lambda index, target: Fault.delay(0.3)
    started = time.monotonic()
    proc = start_put(proxy, tmp_path, "--stream", stream, str(source), "--failed-output", str(failed_output))
    deadline = time.monotonic() + 30
    while len(proxy.exchanges) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    run = finish(proc, started)
    assert run.returncode == 143, run
    assert run.error.startswith("firehose-s3: error: terminated; ")
    assert_accounted(run, proxy, failed_output)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_failed_output_that_cannot_be_written_is_reported(
    proxy: FaultProxy, local: LocalFirehose, source: Path, tmp_path: Path
) -> None:
    stream = local.create_stream("cli-disk-full")
    proxy.plan = lambda index, target: Fault.status_error(400, "AccessDeniedException")
    run = put(proxy, tmp_path, "--stream", stream, str(source), "--failed-output", "/dev/full")
    assert run.returncode == 1, run
    assert "writing /dev/full failed (No space left on device): it does not hold them all" in run.error
    assert f"resume from line 1 (tail -n +1 {source})" in run.error
    assert run.counts()["not attempted"] + run.counts()["failed"] == VALID
