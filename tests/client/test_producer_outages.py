"""The producer library through real network failures: a TCP proxy between boto3 and a local Firehose endpoint.

In every scenario the records put equal, record by record, the records the service acknowledged (seen on the
wire by the proxy) plus the records handed back; the destination holds the acknowledged records, plus copies
of records whose call reached the service but lost its answer (at least once), and nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from client.fault_proxy import CUT_REQUEST, CUT_RESPONSE, PASS, RESET, Fault, FaultProxy
from client.local_firehose import LocalFirehose

from firehose_s3_client.aws_clients import create_boto3_client
from firehose_s3_client.producer import FailedRecord, FirehoseProducer, RetryPolicy

RECORDS = [b'{"id":%d,"pad":"%s"}\n' % (i, b"p" * (i % 40)) for i in range(1200)]
FAST_RETRY = RetryPolicy(base_delay_seconds=0.02, max_delay_seconds=0.3, max_elapsed_seconds=5.0)


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


def producer_through(
    proxy: FaultProxy, local: LocalFirehose, stream: str, retry: RetryPolicy = FAST_RETRY, **options: object
) -> FirehoseProducer:
    client = create_boto3_client(
        "firehose", session=local.session(), endpoint_url=proxy.url, connect_timeout=0.5, read_timeout=1.0
    )
    # 12 lines per aggregate, 10 aggregates per call: about 10 calls for RECORDS.
    return FirehoseProducer(
        stream,
        client=client,
        retry=retry,
        aggregate_max_records=12,
        max_batch_records=10,
        max_buffered_seconds=None,
        **options,  # type: ignore[arg-type]
    )


def send_all(producer: FirehoseProducer, records: list[bytes] = RECORDS) -> None:
    for record in records:
        producer.put(record)
    producer.flush()


def test_connections_cut_mid_request_are_retried_without_duplicates(proxy: FaultProxy, local: LocalFirehose) -> None:
    stream = local.create_stream("cut-request")
    proxy.plan = lambda index, target: CUT_REQUEST if index in {1, 2, 4, 7} else RESET if index == 9 else PASS
    producer = producer_through(proxy, local, stream)
    send_all(producer)
    assert Counter(proxy.acknowledged_lines()) == Counter(RECORDS)
    assert Counter(local.delivered_lines(stream)) == Counter(RECORDS)  # nothing reached the service twice
    stats = producer.stats
    assert (stats.records_delivered, stats.records_failed, stats.retries) == (len(RECORDS), 0, 5)


def test_answers_lost_mid_response_are_resent_and_only_their_records_can_be_duplicated(
    proxy: FaultProxy, local: LocalFirehose
) -> None:
    stream = local.create_stream("cut-response")
    proxy.plan = lambda index, target: CUT_RESPONSE if index in {2, 5} else PASS
    producer = producer_through(proxy, local, stream)
    send_all(producer)
    acknowledged = Counter(proxy.acknowledged_lines())
    assert acknowledged == Counter(RECORDS)
    lost_answers = b"".join(proxy.written_but_unacknowledged()).splitlines(keepends=True)
    assert lost_answers  # the service did write those calls
    assert Counter(local.delivered_lines(stream)) == acknowledged + Counter(lost_answers)
    assert producer.stats.records_delivered == len(RECORDS)


def test_refused_connections_for_less_than_the_budget_lose_nothing(proxy: FaultProxy, local: LocalFirehose) -> None:
    stream = local.create_stream("refused")

    def plan(index: int, target: str) -> Fault:
        if index == 3:
            proxy.refuse_for(1.0)  # this request's connection is dropped too
        return PASS

    proxy.plan = plan
    producer = producer_through(proxy, local, stream)
    send_all(producer)
    assert Counter(proxy.acknowledged_lines()) == Counter(RECORDS)
    assert producer.stats.records_failed == 0
    assert producer.stats.retries >= 1


def test_5xx_answers_are_retried_like_throttling(proxy: FaultProxy, local: LocalFirehose) -> None:
    stream = local.create_stream("five-hundred")
    errors = {1: Fault.status_error(503, "ServiceUnavailableException"), 3: Fault.status_error(500, "InternalFailure")}
    errors[4] = Fault.status_error(502, "BadGateway")
    proxy.plan = lambda index, target: errors.get(index, PASS)
    producer = producer_through(proxy, local, stream)
    send_all(producer)
    assert Counter(local.delivered_lines(stream)) == Counter(RECORDS)
    assert producer.stats.retries == 3


def test_an_outage_longer_than_the_budget_hands_back_every_record_not_acknowledged(
    proxy: FaultProxy, local: LocalFirehose
) -> None:
    stream = local.create_stream("long-outage")
    handed_back: list[FailedRecord] = []

    def plan(index: int, target: str) -> Fault:
        if index == 4:
            proxy.refuse()  # for good
        return PASS

    proxy.plan = plan
    retry = RetryPolicy(base_delay_seconds=0.02, max_delay_seconds=0.2, max_elapsed_seconds=0.8)
    producer = producer_through(proxy, local, stream, retry, on_failure=handed_back.extend)
    put: list[bytes] = []
    for record in RECORDS:
        producer.put(record)
        put.append(record)
        if handed_back:  # stop at the first failure, as the CLI does
            break
    handed_back += producer.abort()
    assert handed_back
    assert {f.error_code for f in handed_back} <= {"EndpointConnectionError", "ConnectionClosedError", "NotAttempted"}
    assert all(f.retryable for f in handed_back)
    assert Counter(put) == Counter(proxy.acknowledged_lines()) + Counter(f.data for f in handed_back)
    # The call in progress when the connection died had reached the service: its records are at the destination
    # although they were not acknowledged, and they are handed back marked attempted (a resend duplicates them).
    written = b"".join(proxy.written_but_unacknowledged()).splitlines(keepends=True)
    assert Counter(local.delivered_lines(stream)) == Counter(proxy.acknowledged_lines()) + Counter(written)
    assert all(f.attempted for f in handed_back if f.data in set(written))
    stats = producer.stats
    assert stats.records_put == stats.records_delivered + stats.records_failed + stats.records_not_attempted


def test_access_denied_fails_the_batch_at_once(proxy: FaultProxy, local: LocalFirehose) -> None:
    stream = local.create_stream("denied")
    proxy.plan = lambda index, target: Fault.status_error(400, "AccessDeniedException")
    handed_back: list[FailedRecord] = []
    producer = producer_through(proxy, local, stream, on_failure=handed_back.extend)
    producer.put(RECORDS[0])
    producer.flush()
    assert len(proxy.exchanges) == 1
    [failure] = handed_back
    assert (failure.error_code, failure.retryable, failure.attempted) == ("AccessDeniedException", False, True)


def test_a_stream_deleted_during_the_run(proxy: FaultProxy, local: LocalFirehose) -> None:
    stream = local.create_stream("deleted")
    handed_back: list[FailedRecord] = []

    def delete_before_the_fourth_call(index: int, target: str) -> Fault:
        if index == 3:
            local.delete_stream(stream)
        return PASS

    proxy.plan = delete_before_the_fourth_call
    producer = producer_through(proxy, local, stream, on_failure=handed_back.extend)
    send_all(producer)  # keeps sending: each later batch fails at once (a permanent error is not retried)
    handed_back += producer.abort()
    assert {f.error_code for f in handed_back} == {"ResourceNotFoundException"}
    assert not any(f.retryable for f in handed_back)
    assert Counter(RECORDS) == Counter(proxy.acknowledged_lines()) + Counter(f.data for f in handed_back)
    assert len(proxy.acknowledged()) == 30
    assert Counter(local.delivered_lines(stream)) == Counter(proxy.acknowledged_lines())
