"""The delivery engine on hand-written stream configurations: buffering on the virtual clock, the Lambda
processor's batches and retries, dynamic partitions, the built-in processors, the error output, the backup."""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simulator_helpers import (
    BACKUP_ID,
    FUNCTION_ID,
    START_MS,
    bucket_arn,
    decoded,
    error_documents,
    function_resource,
    inprocess_invoke,
    lambda_processor,
    objects,
    processing,
    run_engine,
    stream_config,
    stream_resource,
    write_assembly,
)

from firehose_s3_client.simulate.stream_config import DeliveryStreamConfig

NAME = r"Stream-1-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9a-f-]{36}"


def _config(tmp_path: Path, **destination: Any) -> DeliveryStreamConfig:
    resources = {"Stream": stream_resource(**destination), FUNCTION_ID: function_resource("unused")}
    return stream_config(write_assembly(tmp_path / "cdk.out", resources))


def _echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": r["data"]} for r in event["records"]]}


def _lines(count: int, size: int = 0) -> list[bytes]:
    return [json.dumps({"n": i, "pad": "x" * max(0, size - 20)}).encode() + b"\n" for i in range(count)]


def test_an_object_never_exceeds_the_size_hint(tmp_path: Path) -> None:
    config = _config(tmp_path, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 900})
    records = _lines(3000, size=1000)
    run_engine(config, records, tmp_path / "out")
    bodies = sorted(decoded(tmp_path / "out").values(), key=lambda body: json.loads(body.split(b"\n")[0])["n"])
    assert len(bodies) == 3
    assert b"".join(bodies) == b"".join(records)  # in order, nothing lost or repeated
    position = 0
    for body in bodies[:-1]:
        position += body.count(b"\n")
        assert len(body) <= 1024 * 1024 < len(body) + len(records[position])  # full: the next one did not fit


def test_the_interval_closes_buffers_on_the_virtual_clock(tmp_path: Path) -> None:
    config = _config(tmp_path, Prefix="logs/", BufferingHints={"SizeInMBs": 128, "IntervalInSeconds": 60})
    run_engine(config, _lines(200), tmp_path / "out", rate=1.0)
    found = {key: body.count(b"\n") for key, body in decoded(tmp_path / "out").items()}
    stamps = sorted((key.split("-1-")[1][:19], count) for key, count in found.items())
    assert stamps == [
        ("2026-11-26-09-00-00", 60),
        ("2026-11-26-09-01-00", 60),
        ("2026-11-26-09-02-00", 60),
        ("2026-11-26-09-03-00", 20),  # flushed at the end of the input
    ]
    assert all(key.startswith("logs/2026/11/26/09/Stream-1-") for key in found)  # the default yyyy/MM/dd/HH/


def test_custom_time_zone_applies_to_prefix_and_name(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        Prefix="d=!{timestamp:yyyy-MM-dd'T'HH}/",
        CustomTimeZone="Asia/Tokyo",
        ErrorOutputPrefix="e/!{firehose:error-output-type}/",
    )
    run_engine(config, _lines(3), tmp_path / "out")
    (key,) = objects(tmp_path / "out")
    assert key.startswith("d=2026-11-26T18/Stream-1-2026-11-26-18-00-00-")


@pytest.mark.parametrize(
    ("parameters", "rate", "expected"),
    [
        ({"BufferSizeInMBs": "0.2", "BufferIntervalInSeconds": "900"}, 1000.0, 209),
        ({"BufferIntervalInSeconds": "10"}, 1.0, 10),
    ],
    ids=["size", "interval"],
)
def test_lambda_batches_follow_its_own_buffer(
    tmp_path: Path, parameters: dict[str, str], rate: float, expected: int
) -> None:
    config = _config(tmp_path, ProcessingConfiguration=processing(lambda_processor(**parameters)))
    sizes: list[int] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        sizes.append(len(event["records"]))
        return _echo(event, context)

    engine = run_engine(config, _lines(1000, size=1000), tmp_path / "out", invoke=inprocess_invoke(handler), rate=rate)
    assert sizes[0] == expected
    assert all(size <= expected for size in sizes)
    assert sum(sizes) == 1000
    assert engine.tally.records_delivered == 1000


def _numbers(event: dict[str, Any]) -> list[int]:
    return [json.loads(base64.b64decode(record["data"]))["n"] for record in event["records"]]


def test_invocation_failures_are_retried_then_fail_the_batch(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        ProcessingConfiguration=processing(lambda_processor(NumberOfRetries="2", BufferIntervalInSeconds="1")),
        ErrorOutputPrefix="err/!{firehose:error-output-type}/",
    )
    calls: list[list[int]] = []

    def broken_for_record_0(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(_numbers(event))
        if 0 in calls[-1]:
            raise RuntimeError("always")
        return _echo(event, context)

    records = _lines(10)
    engine = run_engine(config, records, tmp_path / "out", invoke=inprocess_invoke(broken_for_record_0), rate=5.0)
    assert calls == [[0, 1, 2, 3, 4]] * 3 + [[5, 6, 7, 8, 9]]  # 1 attempt + 2 retries, then the next batch
    assert engine.tally.records_failed == {"processing-failed": 5}
    assert engine.tally.records_delivered == 5
    assert engine.tally.lambda_retries == 2
    documents = error_documents(tmp_path / "out")
    assert [base64.b64decode(d["rawData"]) for d in documents] == records[:5]
    assert {(d["errorCode"], d["attemptsMade"]) for d in documents} == {("Lambda.FunctionError", 3)}
    assert {d["attemptEndingTimestamp"] for d in documents} == {START_MS + 1000}  # the batch closed at 1 s
    assert any(key.startswith("err/processing-failed/Stream-1-") for key in objects(tmp_path / "out"))


def test_a_transient_failure_is_retried_until_it_succeeds(tmp_path: Path) -> None:
    config = _config(tmp_path, ProcessingConfiguration=processing(lambda_processor()))
    attempts: list[int] = []

    def fails_twice(event: dict[str, Any], context: Any) -> dict[str, Any]:
        attempts.append(len(event["records"]))
        if len(attempts) <= 2:
            raise RuntimeError("throttled")
        return _echo(event, context)

    engine = run_engine(config, _lines(5), tmp_path / "out", invoke=inprocess_invoke(fails_twice))
    assert attempts == [5, 5, 5]
    assert (engine.tally.records_delivered, engine.tally.lambda_retries) == (5, 2)


def test_results_are_routed_per_record(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        ProcessingConfiguration=processing(lambda_processor()),
        ErrorOutputPrefix="err/!{firehose:error-output-type}/",
    )

    def by_number(event: dict[str, Any], context: Any) -> dict[str, Any]:
        out = []
        for record in event["records"]:
            n = json.loads(base64.b64decode(record["data"]))["n"]
            result = ("Ok", "Dropped", "ProcessingFailed")[n % 3]
            data = base64.b64encode(b"out %d\n" % n).decode()
            out.append({"recordId": record["recordId"], "result": result, "data": data})
        return {"records": out}

    records = _lines(30)
    engine = run_engine(config, records, tmp_path / "out", invoke=inprocess_invoke(by_number))
    assert (engine.tally.records_delivered, engine.tally.records_dropped) == (10, 10)
    assert engine.tally.records_failed == {"processing-failed": 10}
    data = [body for key, body in decoded(tmp_path / "out").items() if not key.startswith("err/")]
    assert data == [b"".join(b"out %d\n" % n for n in range(0, 30, 3))]
    failed = error_documents(tmp_path / "out")
    assert [base64.b64decode(d["rawData"]) for d in failed] == records[2::3]
    assert {d["errorCode"] for d in failed} == {"Lambda.ProcessingFailedStatus"}


def _partitioned(tmp_path: Path, **extra: Any) -> DeliveryStreamConfig:
    return _config(
        tmp_path,
        Prefix="k=!{partitionKeyFromLambda:k}/",
        ErrorOutputPrefix="err/!{firehose:error-output-type}/",
        DynamicPartitioningConfiguration={"Enabled": True},
        BufferingHints={"SizeInMBs": 64, "IntervalInSeconds": 60},
        ProcessingConfiguration=processing(lambda_processor(), {"Type": "AppendDelimiterToRecord"}),
        **extra,
    )


def _keyed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    out = []
    for record in event["records"]:
        document = json.loads(base64.b64decode(record["data"]))
        keys = {"k": document["k"]} if "k" in document else {}
        out.append({**record, "result": "Ok", "metadata": {"partitionKeys": keys}})
    return {"records": [{k: v for k, v in r.items() if k != "approximateArrivalTimestamp"} for r in out]}


def test_dynamic_partitions_from_lambda_keys(tmp_path: Path) -> None:
    records = [json.dumps({"k": "abc"[i % 3], "i": i}).encode() for i in range(9)] + [b'{"i":99}']
    engine = run_engine(_partitioned(tmp_path), records, tmp_path / "out", invoke=inprocess_invoke(_keyed))
    found = decoded(tmp_path / "out")
    by_folder = {key.rsplit("/", 1)[0]: body for key, body in found.items()}
    assert by_folder["k=a"] == b"".join(records[i] + b"\n" for i in (0, 3, 6))  # AppendDelimiterToRecord
    assert set(by_folder) == {"k=a", "k=b", "k=c", "err/partitioning-failed"}
    (failure,) = error_documents(tmp_path / "out")
    assert base64.b64decode(failure["rawData"]) == b'{"i":99}'
    assert failure["errorCode"] == "DynamicPartitioning.MetadataExtractionFailed"
    assert engine.tally.records_failed == {"partitioning-failed": 1}


def test_records_over_the_active_partition_limit_go_to_active_partition_exceeded(tmp_path: Path) -> None:
    records = [json.dumps({"k": f"p{i}"}).encode() for i in range(5)]
    engine = run_engine(
        _partitioned(tmp_path), records, tmp_path / "out", invoke=inprocess_invoke(_keyed), active_partitions=3
    )
    folders = sorted(key.rsplit("/", 1)[0] for key in objects(tmp_path / "out"))
    assert folders == ["err/activePartitionExceeded", "k=p0", "k=p1", "k=p2"]
    assert engine.tally.records_failed == {"activePartitionExceeded": 2}
    assert engine.destination.peak_partitions == 3


def test_json_de_aggregation_splits_records_before_the_lambda(tmp_path: Path) -> None:
    deaggregate = {
        "Type": "RecordDeAggregation",
        "Parameters": [{"ParameterName": "SubRecordType", "ParameterValue": "JSON"}],
    }
    config = _config(
        tmp_path,
        ProcessingConfiguration=processing(deaggregate, lambda_processor(), {"Type": "AppendDelimiterToRecord"}),
    )
    seen: list[bytes] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.extend(base64.b64decode(r["data"]) for r in event["records"])
        return _echo(event, context)

    records = [b'{"a":1}{"a":2}\n{"a":3}', b'{"a":4}', b"not json at all"]
    engine = run_engine(config, records, tmp_path / "out", invoke=inprocess_invoke(handler))
    assert seen == [b'{"a":1}', b'{"a":2}', b'{"a":3}', b'{"a":4}', b"not json at all"]
    assert engine.tally.records_delivered == 3  # input records, each counted once
    assert engine.tally.sub_records == {"delivered": 5}
    assert list(decoded(tmp_path / "out").values()) == [b"".join(r + b"\n" for r in seen)]


def test_delimited_de_aggregation(tmp_path: Path) -> None:
    deaggregate = {
        "Type": "RecordDeAggregation",
        "Parameters": [
            {"ParameterName": "SubRecordType", "ParameterValue": "DELIMITED"},
            {"ParameterName": "Delimiter", "ParameterValue": base64.b64encode(b"####").decode()},
        ],
    }
    config = _config(tmp_path, ProcessingConfiguration=processing(deaggregate, {"Type": "AppendDelimiterToRecord"}))
    run_engine(config, [b"a####b####", b"c"], tmp_path / "out")
    assert list(decoded(tmp_path / "out").values()) == [b"a\nb\nc\n"]


def _cloudwatch(*messages: str) -> bytes:
    document = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "g",
        "logEvents": [{"id": str(i), "timestamp": 1, "message": m} for i, m in enumerate(messages)],
    }
    return gzip.compress(json.dumps(document).encode())


def test_cloudwatch_logs_are_decompressed_and_messages_extracted(tmp_path: Path) -> None:
    decompress = {
        "Type": "Decompression",
        "Parameters": [{"ParameterName": "CompressionFormat", "ParameterValue": "GZIP"}],
    }
    extract = {
        "Type": "CloudWatchLogProcessing",
        "Parameters": [{"ParameterName": "DataMessageExtraction", "ParameterValue": "true"}],
    }
    config = _config(
        tmp_path,
        ProcessingConfiguration=processing(decompress, extract, {"Type": "AppendDelimiterToRecord"}),
        ErrorOutputPrefix="err/!{firehose:error-output-type}/",
    )
    records = [_cloudwatch("one", "two"), b"not gzip", _cloudwatch("three"), _cloudwatch()]
    engine = run_engine(config, records, tmp_path / "out")
    data = [body for key, body in decoded(tmp_path / "out").items() if not key.startswith("err/")]
    assert data == [b"one\ntwo\nthree\n"]  # each message a record, AppendDelimiterToRecord after each
    (failure,) = error_documents(tmp_path / "out")
    assert base64.b64decode(failure["rawData"]) == b"not gzip"
    assert engine.tally.records_failed == {"decompression-failed": 1}
    assert (engine.tally.records_delivered, engine.tally.records_dropped) == (2, 1)  # no log event: dropped
    assert engine.tally.sub_records == {"delivered": 3, "dropped": 1, "decompression-failed": 1}


def test_without_a_delimiter_messages_are_concatenated(tmp_path: Path) -> None:
    decompress = {"Type": "Decompression", "Parameters": []}
    extract = {
        "Type": "CloudWatchLogProcessing",
        "Parameters": [{"ParameterName": "DataMessageExtraction", "ParameterValue": "true"}],
    }
    config = _config(tmp_path, ProcessingConfiguration=processing(decompress, extract))
    run_engine(config, [_cloudwatch("one", "two")], tmp_path / "out")
    assert list(decoded(tmp_path / "out").values()) == [b"onetwo"]  # Firehose adds no delimiter by itself


def test_errors_after_decompression_carry_the_compressed_record(tmp_path: Path) -> None:
    decompress = {"Type": "Decompression", "Parameters": []}
    config = _config(
        tmp_path,
        ProcessingConfiguration=processing(decompress, lambda_processor()),
        ErrorOutputPrefix="err/!{firehose:error-output-type}/",
    )

    def fail_all(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"records": [{**r, "result": "ProcessingFailed"} for r in event["records"]]}

    compressed = _cloudwatch("secret")
    run_engine(config, [compressed], tmp_path / "out", invoke=inprocess_invoke(_strip(fail_all)))
    (failure,) = error_documents(tmp_path / "out")
    assert base64.b64decode(failure["rawData"]) == compressed


def _strip(handler: Any) -> Any:
    def wrapped(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response = handler(event, context)
        return {"records": [{k: r[k] for k in ("recordId", "result", "data")} for r in response["records"]]}

    return wrapped


def test_the_backup_holds_the_source_records_before_the_transform(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        ProcessingConfiguration=processing(lambda_processor()),
        S3BackupMode="Enabled",
        S3BackupConfiguration={"BucketARN": bucket_arn(BACKUP_ID), "Prefix": "raw/", "CompressionFormat": "GZIP"},
    )

    def upper(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {
            "records": [
                {
                    "recordId": r["recordId"],
                    "result": "Ok",
                    "data": base64.b64encode(base64.b64decode(r["data"]).upper()).decode(),
                }
                for r in event["records"]
            ]
        }

    records = _lines(50)
    run_engine(config, records, tmp_path / "out", invoke=inprocess_invoke(upper))
    ((backup_key, backup),) = decoded(tmp_path / "out", BACKUP_ID).items()
    assert backup == b"".join(records)
    assert backup_key.startswith("raw/2026/11/26/09/Stream-1-")
    assert backup_key.endswith(".gz")
    assert list(decoded(tmp_path / "out").values()) == [b"".join(records).upper()]


def test_time_never_goes_backwards(tmp_path: Path) -> None:
    from firehose_s3_client.simulate.engine import DeliveryEngine
    from firehose_s3_client.simulate.sinks import DirectorySink

    engine = DeliveryEngine(_config(tmp_path), sink=DirectorySink(tmp_path / "out"))
    engine.advance(START_MS + 1000)
    with pytest.raises(ValueError, match="backwards"):
        engine.put([b"x"], [START_MS])


# ---------------------------------------------------------------------------------------------- properties


class _MemorySink:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def write(self, bucket: str, key: str, body: bytes, *, content_encoding: str | None = None) -> None:
        assert (bucket, key) not in self.objects
        self.objects[(bucket, key)] = body


def _tag(data: bytes) -> bytes:
    return b"<" + data.hex().encode() + b">"


def _verdict(data: bytes) -> str:
    return ("Ok", "Ok", "Dropped", "ProcessingFailed")[sum(data) % 4]


def _traceable(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Ok (twice as often), Dropped or ProcessingFailed by content; Ok data names its input exactly."""
    out = []
    for record in event["records"]:
        data = base64.b64decode(record["data"])
        result = _verdict(data)
        body = _tag(data) + b"\n" + (_tag(data) + b"\n" if len(data) % 3 == 0 else b"")  # sometimes two lines
        keys = {"metadata": {"partitionKeys": {"p": str(len(data) % 3)}}}
        out.append({"recordId": record["recordId"], "result": result, "data": base64.b64encode(body).decode(), **keys})
    return {"records": out}


_shapes = st.sampled_from(["plain", "lambda", "lambda-dp", "deaggregate"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(st.binary(min_size=0, max_size=300).filter(lambda b: b"\n" not in b), max_size=60),
    shape=_shapes,
    size_mb=st.sampled_from(["0.2", "1"]),
)
def test_conservation_and_traceability(tmp_path: Path, records: list[bytes], shape: str, size_mb: str) -> None:
    processors: list[dict[str, Any]] = []
    destination: dict[str, Any] = {"ErrorOutputPrefix": "err/!{firehose:error-output-type}/"}
    if shape == "deaggregate":
        delimiter = base64.b64encode(b"|").decode()
        processors.append(
            {
                "Type": "RecordDeAggregation",
                "Parameters": [
                    {"ParameterName": "SubRecordType", "ParameterValue": "DELIMITED"},
                    {"ParameterName": "Delimiter", "ParameterValue": delimiter},
                ],
            }
        )
    if shape != "plain":
        processors.append(lambda_processor(BufferSizeInMBs=size_mb))
    else:
        processors.append({"Type": "AppendDelimiterToRecord"})
    if shape == "lambda-dp":
        destination.update(
            Prefix="p=!{partitionKeyFromLambda:p}/",
            DynamicPartitioningConfiguration={"Enabled": True},
            BufferingHints={"SizeInMBs": 64, "IntervalInSeconds": 60},
        )
    directory = tmp_path / f"{shape}-{len(records)}-{hash(tuple(records)) & 0xFFFF}"
    config = _config(directory, ProcessingConfiguration=processing(*processors), **destination)
    sink = _MemorySink()
    from firehose_s3_client.simulate.engine import DeliveryEngine

    engine = DeliveryEngine(config, sink=sink, invoke=inprocess_invoke(_traceable), active_partitions=2)
    arrivals = [START_MS + 7 * i for i in range(len(records))]
    engine.put(list(records), arrivals)
    engine.flush(arrivals[-1] if arrivals else START_MS)
    tally = engine.tally
    assert tally.records_in == len(records)
    assert tally.undecided == 0  # conservation: every record delivered, dropped or failed, once

    pieces = (
        [[part for part in record.split(b"|") if part] for record in records]
        if shape == "deaggregate"
        else [[record] for record in records]
    )
    expected: Counter[bytes] = Counter()
    for parts in pieces:
        for part in parts:
            if shape == "plain":
                expected[part + b"\n"] += 1
            elif _verdict(part) == "Ok":
                expected[_tag(part) + b"\n"] += 1 if len(part) % 3 else 2
    delivered: Counter[bytes] = Counter()
    failed_raw: Counter[bytes] = Counter()
    for (_, key), data in sink.objects.items():  # UNCOMPRESSED: the objects are the bytes
        lines = [line + b"\n" for line in data.split(b"\n")[:-1]]
        assert b"".join(lines) == data  # newline-terminated throughout
        if key.startswith("err/"):
            failed_raw.update(base64.b64decode(json.loads(line)["rawData"]) for line in lines)
        else:
            delivered.update(lines)
    # Every delivered byte traces back to one input record: nothing delivered that no record produced.
    assert not delivered - expected
    # What is missing from the data was dropped or failed, and every failure carries its input's data.
    all_parts = Counter(part for parts in pieces for part in parts)
    assert not failed_raw - all_parts
    if shape in {"plain", "lambda"}:
        assert delivered == expected  # nothing but the transform's own verdicts keeps a record out


@pytest.mark.parametrize(
    ("compression", "extension"),
    [("UNCOMPRESSED", ""), ("GZIP", ".gz"), ("ZIP", ".zip"), ("Snappy", ".snappy"), ("HADOOP_SNAPPY", ".snappy")],
)
def test_every_compression_format_decodes_to_the_records(tmp_path: Path, compression: str, extension: str) -> None:
    config = _config(tmp_path, CompressionFormat=compression)
    records = _lines(300, size=200)
    run_engine(config, records, tmp_path / "out")
    ((key, body),) = decoded(tmp_path / "out").items()
    assert key.endswith(extension)
    assert body == b"".join(records)


def test_a_kinesis_source_adds_its_metadata_to_the_event(tmp_path: Path) -> None:
    import random

    from firehose_s3_client.simulate.engine import DeliveryEngine
    from firehose_s3_client.simulate.input_records import KinesisMetadata
    from firehose_s3_client.simulate.sinks import DirectorySink

    resource = stream_resource(ProcessingConfiguration=processing(lambda_processor()))
    resource["Properties"].update(
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": {"Fn::GetAtt": ["Source", "Arn"]}},
    )
    resources = {"Stream": resource, FUNCTION_ID: function_resource("x"), "Source": {"Type": "AWS::Kinesis::Stream"}}
    config = stream_config(write_assembly(tmp_path / "cdk.out", resources))
    events: list[dict[str, Any]] = []

    def capture(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        return _echo(event, context)

    engine = DeliveryEngine(config, sink=DirectorySink(tmp_path / "out"), invoke=inprocess_invoke(capture))
    arrivals = [START_MS, START_MS + 1]
    metadata = KinesisMetadata(config.source_shards, random.Random(0)).metadata(arrivals)
    engine.put([b"a\n", b"b\n"], arrivals, metadata)
    engine.flush(START_MS + 1)
    (event,) = events
    assert event["sourceKinesisStreamArn"] == "arn:aws:kinesis:us-east-1:123456789012:stream/Source"
    assert [record["kinesisRecordMetadata"] for record in event["records"]] == metadata
    assert list(event) == ["invocationId", "deliveryStreamArn", "region", "sourceKinesisStreamArn", "records"]
