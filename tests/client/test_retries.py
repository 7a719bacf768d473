"""Partial failures, retries, backoff, time bounds and failure reporting of FirehoseProducer."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from producer_fakes import ENDPOINT, Action, FakeClock, OutageFirehose, ScriptedFirehose, client_error

from firehose_s3_client.producer import (
    DeliveryFailedError,
    FailedRecord,
    FirehoseProducer,
    RetryPolicy,
    is_retryable_error_code,
)


def make(client: ScriptedFirehose, clock: FakeClock, *, random: float = 1.0, **options: Any) -> FirehoseProducer:
    return FirehoseProducer(
        "stream-1",
        client=client,
        sleep=clock.sleep,
        clock=clock.clock,
        random=lambda: random,
        max_buffered_seconds=None,  # only the calls these tests make send anything
        **options,
    )


def error_id(error: object) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code") or type(error).__name__)


def test_only_entries_with_an_error_code_are_resent() -> None:
    client = ScriptedFirehose([[None, "ServiceUnavailableException", None, "InternalFailure", None]])
    clock = FakeClock()
    with make(client, clock, aggregate=False) as producer:
        for i in range(5):
            producer.put(b"%d" % i)
    assert client.calls == [[b"0\n", b"1\n", b"2\n", b"3\n", b"4\n"], [b"1\n", b"3\n"]]
    assert sorted(client.stored) == [b"0\n", b"1\n", b"2\n", b"3\n", b"4\n"]
    stats = producer.stats
    assert (stats.api_calls, stats.retries, stats.records_delivered, stats.records_failed) == (2, 1, 5, 0)


@pytest.mark.parametrize(
    "error",
    [
        client_error("ServiceUnavailableException", "Slow down.", 503),
        client_error("ThrottlingException", "Rate exceeded"),
        client_error("LimitExceededException", "limit"),
        client_error("InternalFailure", "", 500),
        client_error("ServiceUnavailable", "", 503),
        client_error("SomethingNew", "", 502),
        ReadTimeoutError(endpoint_url=ENDPOINT),
        ConnectTimeoutError(endpoint_url=ENDPOINT),
        EndpointConnectionError(endpoint_url=ENDPOINT),
        ConnectionClosedError(endpoint_url=ENDPOINT),
    ],
    ids=error_id,
)
def test_retryable_call_errors_resend_the_whole_batch(error: Exception) -> None:
    client = ScriptedFirehose([error])
    clock = FakeClock()
    with make(client, clock, aggregate=False) as producer:
        producer.put("a")
        producer.put("b")
    assert client.calls == [[b"a\n", b"b\n"], [b"a\n", b"b\n"]]
    assert producer.stats.retries == 1
    assert clock.sleeps == [0.1]


def test_timeout_after_a_partial_write_resends_everything_at_least_once() -> None:
    client = ScriptedFirehose([ReadTimeoutError(endpoint_url=ENDPOINT)], partial=2)
    clock = FakeClock()
    with make(client, clock, aggregate=False) as producer:
        for record in ("a", "b", "c"):
            producer.put(record)
    assert client.calls[1] == [b"a\n", b"b\n", b"c\n"]
    assert client.stored == [b"a\n", b"b\n", b"a\n", b"b\n", b"c\n"]  # duplicates, nothing lost


@pytest.mark.parametrize(
    "error",
    [
        client_error("ResourceNotFoundException", "Firehose stream-1 not found"),
        client_error("InvalidArgumentException", "bad"),
        client_error("AccessDeniedException", "no", 403),
        client_error("InvalidKMSResourceException", "kms"),
        client_error("UnrecognizedClientException", "bad token"),
        NoCredentialsError(),
    ],
    ids=error_id,
)
def test_non_retryable_errors_fail_the_batch_immediately(error: Exception) -> None:
    client = ScriptedFirehose([error])
    clock = FakeClock()
    producer = make(client, clock)
    producer.put({"id": 1})
    producer.put({"id": 2})
    with pytest.raises(DeliveryFailedError) as excinfo:
        producer.flush()
    assert len(client.calls) == 1
    assert clock.sleeps == []
    failed = excinfo.value.failed_records
    assert [f.record for f in failed] == [{"id": 1}, {"id": 2}]
    assert not excinfo.value.retryable
    assert not any(f.retryable for f in failed)
    assert producer.stats.records_failed == 2


def test_permanent_per_entry_code_is_not_retried() -> None:
    client = ScriptedFirehose([["InvalidArgumentException", None]])
    clock = FakeClock()
    producer = make(client, clock, aggregate=False)
    producer.put("bad")
    producer.put("good")
    with pytest.raises(DeliveryFailedError) as excinfo:
        producer.flush()
    assert len(client.calls) == 1
    assert [f.record for f in excinfo.value.failed_records] == ["bad"]


def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    throttle = client_error("ThrottlingException")
    client = ScriptedFirehose([throttle] * 7)
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=10, base_delay_seconds=0.5, max_delay_seconds=4.0, max_elapsed_seconds=1e9)
    with make(client, clock, retry=policy) as producer:
        producer.put("x")
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]  # random() = 1.0: the ceiling
    jittered = FakeClock()
    with make(ScriptedFirehose([throttle] * 3), jittered, random=0.25, retry=policy) as producer:
        producer.put("x")
    assert jittered.sleeps == [0.125, 0.25, 0.5]
    assert RetryPolicy().delay(3, lambda: 0.0) == 0.0


def test_attempts_are_bounded_and_failures_carry_codes_and_originals() -> None:
    records: list[object] = [{"n": 1}, "two", b"three\n"]
    script: list[Action] = [client_error("ThrottlingException", "slow")] * 3
    client = ScriptedFirehose(script)
    clock = FakeClock()
    producer = make(client, clock, retry=RetryPolicy(max_attempts=3))
    for record in records:
        producer.put(record)  # type: ignore[arg-type]
    with pytest.raises(DeliveryFailedError) as excinfo:
        producer.flush()
    error = excinfo.value
    assert len(client.calls) == 3
    assert [f.record for f in error.failed_records] == records
    assert error.failed_records[0].record is records[0]
    assert [f.data for f in error.failed_records] == [b'{"n":1}\n', b"two\n", b"three\n"]
    assert error.error_codes == {"ThrottlingException": 3}
    assert error.retryable
    assert "3 records could not be delivered" in str(error)
    assert "ThrottlingException x3" in str(error)
    assert producer.stats.records_failed == 3


def test_aggregates_are_mapped_back_to_their_records() -> None:
    client = ScriptedFirehose([["InternalFailure", None]] + [["InternalFailure"]] * 2)
    clock = FakeClock()
    producer = make(client, clock, aggregate_max_bytes=5120, retry=RetryPolicy(max_attempts=3))
    first = [{"agg": 1, "i": i, "pad": "p" * 100} for i in range(60)]  # ~7 KB: two aggregates
    for record in first:
        producer.put(record)
    producer.put({"agg": 2})
    with pytest.raises(DeliveryFailedError) as excinfo:
        producer.flush()
    assert len(client.calls[0]) == 2
    failed = excinfo.value.failed_records
    assert [f.record for f in failed] == first[: len(failed)]
    assert len(failed) == client.calls[0][0].count(b"\n")
    assert b"".join(f.data for f in failed) == client.calls[0][0]
    assert all(f.error_code == "InternalFailure" for f in failed)


def test_the_time_budget_ends_with_a_last_attempt_at_its_end() -> None:
    client = ScriptedFirehose([client_error("ThrottlingException")] * 100)
    clock = FakeClock()
    policy = RetryPolicy(base_delay_seconds=1.0, max_delay_seconds=1.0, max_elapsed_seconds=5.5)
    producer = make(client, clock, retry=policy)
    producer.put("x")
    with pytest.raises(DeliveryFailedError):
        producer.flush()
    assert clock.sleeps == [1.0] * 5 + [0.5]  # the sixth sleep is cut to end with the budget
    assert len(client.calls) == 7


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url=ENDPOINT),
        ConnectTimeoutError(endpoint_url=ENDPOINT),
        ReadTimeoutError(endpoint_url=ENDPOINT),
        ConnectionClosedError(endpoint_url=ENDPOINT),
        client_error("BadGateway", "<html>502</html>", 502),
    ],
    ids=error_id,
)
def test_an_outage_that_ends_within_the_budget_loses_nothing(error: Exception) -> None:
    """Without the shortened last sleep the producer would give up at 6.2 s, before the outage ends at 9.9 s."""
    clock = FakeClock()
    outage_end = clock.now + 9.9
    client = OutageFirehose(error, until=outage_end, clock=clock)
    producer = FirehoseProducer(
        "stream-1",
        client=client,
        sleep=clock.sleep,
        clock=clock.clock,
        random=lambda: 0.99,
        retry=RetryPolicy(max_elapsed_seconds=10.0),
        max_buffered_seconds=None,
    )
    producer.put("survives")
    producer.flush()
    assert client.stored == [b"survives\n"]
    assert clock.now - 1000.0 == pytest.approx(10.0)  # the last attempt came when the budget ended
    assert producer.stats.records_delivered == 1
    assert producer.stats.records_failed == 0


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url=ENDPOINT),
        ConnectTimeoutError(endpoint_url=ENDPOINT),
        ReadTimeoutError(endpoint_url=ENDPOINT),
        ConnectionClosedError(endpoint_url=ENDPOINT),
        client_error("SomethingNew", "", 503),
    ],
    ids=error_id,
)
def test_connection_failures_are_reported_retryable(error: Exception) -> None:
    client = ScriptedFirehose([error] * 3)
    clock = FakeClock()
    producer = make(client, clock, retry=RetryPolicy(max_attempts=3))
    producer.put("x")
    with pytest.raises(DeliveryFailedError) as excinfo:
        producer.flush()
    assert excinfo.value.retryable
    [failure] = excinfo.value.failed_records
    assert failure.retryable
    assert failure.attempted
    assert failure.error_code == error_id(error)


def test_on_failure_callback_receives_records_instead_of_an_exception() -> None:
    received: list[FailedRecord] = []
    client = ScriptedFirehose([["InternalFailure", None], ["InternalFailure"]])
    clock = FakeClock()
    producer = make(client, clock, aggregate=False, retry=RetryPolicy(max_attempts=2), on_failure=received.extend)
    producer.put("lost")
    producer.put("ok")
    producer.flush()  # no exception
    assert [(f.record, f.error_code) for f in received] == [("lost", "InternalFailure")]
    assert sorted(client.stored) == [b"ok\n"]


def test_put_raises_when_the_batch_it_sent_failed() -> None:
    client = ScriptedFirehose([client_error("ResourceNotFoundException")])
    clock = FakeClock()
    producer = make(client, clock, aggregate=False, max_batch_records=2)
    producer.put("a")
    with pytest.raises(DeliveryFailedError) as excinfo:
        producer.put("b")
    assert [f.record for f in excinfo.value.failed_records] == ["a", "b"]


def test_context_manager_exit_raises_delivery_failures() -> None:
    client = ScriptedFirehose([client_error("InvalidArgumentException")])
    clock = FakeClock()
    with pytest.raises(DeliveryFailedError), make(client, clock) as producer:
        producer.put("x")


def test_incomplete_response_is_treated_as_unknown_and_resent() -> None:
    class Truncating(ScriptedFirehose):
        def put_record_batch(self, **kwargs: Any) -> dict[str, Any]:
            response = super().put_record_batch(**kwargs)
            if len(self.calls) == 1:
                response["RequestResponses"] = response["RequestResponses"][:1]
            return response

    client = Truncating([])
    clock = FakeClock()
    with make(client, clock, aggregate=False) as producer:
        producer.put("a")
        producer.put("b")
    assert client.calls[1] == [b"a\n", b"b\n"]


def test_error_code_classification() -> None:
    assert is_retryable_error_code("ServiceUnavailableException")
    assert is_retryable_error_code("InternalFailure")
    assert not is_retryable_error_code("ResourceNotFoundException", 500)
    assert not is_retryable_error_code("KMS.AccessDeniedException", 500)
    assert is_retryable_error_code("Unknown", 503)
    assert is_retryable_error_code("Unknown", 429)
    assert not is_retryable_error_code("Unknown", 400)
    assert not is_retryable_error_code("Unknown")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": 0}, "max_attempts must be at least 1"),
        ({"base_delay_seconds": -1}, "base_delay_seconds must be >= 0"),
        ({"base_delay_seconds": 2, "max_delay_seconds": 1}, "max_delay_seconds must be >= base_delay_seconds"),
        ({"max_elapsed_seconds": -1}, "max_elapsed_seconds must be >= 0"),
    ],
)
def test_retry_policy_validation(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
