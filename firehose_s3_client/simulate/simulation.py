"""One ``simulate`` run: input lines -> records on the virtual clock -> the engine -> objects, and the report.

The report (``--report FILE``, also the summary's source) holds the counts of :class:`Tally` (``records_in =
records_delivered + records_dropped + sum(records_failed)``), the input (lines, blank lines, records the API
would refuse), the stream, the virtual time span, the Lambda function (invocations, retries, cold starts, the
binary packages that were substituted), the local secrets, the notes (every configured property without a
local effect, named), and the keys written.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from firehose_s3_client.errors import EXIT_FAILED, EXIT_USAGE, CliError
from firehose_s3_client.simulate.engine import DeliveryEngine
from firehose_s3_client.simulate.input_records import (
    ArrivalClock,
    InputStats,
    KinesisMetadata,
    read_records,
    record_limit,
)
from firehose_s3_client.simulate.lambda_invoker import LambdaInvoker
from firehose_s3_client.simulate.object_writer import to_datetime
from firehose_s3_client.simulate.sinks import DirectorySink, S3Sink, Sink, SinkError
from firehose_s3_client.simulate.stream_setup import PreparedStream, SetupError, StreamOptions, prepare_stream

__all__ = ["SimulationRun", "stream_report", "stream_sink"]

#: Keys listed in the report per kind of object (the counts are always complete).
REPORTED_KEYS = 1000


def _iso(epoch_ms: int) -> str:
    return to_datetime(epoch_ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class SimulationRun:
    """A prepared run (see the module docstring)."""

    prepared: PreparedStream
    sink: Sink
    start_ms: int
    rate: float
    mode: str
    output: dict[str, Any]

    @classmethod
    def prepare(
        cls, args: argparse.Namespace, *, secrets: dict[str, str], buckets: dict[str, str], start_ms: int
    ) -> SimulationRun:
        options = StreamOptions.from_args(
            args, stack=args.stack, stream=args.stream, processor=args.processor, secrets=secrets
        )
        try:
            prepared = prepare_stream(options)
        except SetupError as error:
            raise CliError(str(error), EXIT_FAILED) from None
        sink, output = stream_sink(prepared, args, buckets)
        mode = "aggregate" if args.aggregate else "raw" if args.raw else "base64" if args.base64 else "lines"
        return cls(prepared, sink, start_ms, args.rate, mode, output)

    def run(self, source: IO[bytes], *, name: str) -> dict[str, Any]:
        """Feed the input through the engine, flush it, and return the report."""
        config = self.prepared.config
        stats = InputStats()
        clock = ArrivalClock(self.start_ms, self.rate)
        kinesis = None
        if config.source_kinesis_arn is not None and config.processing.lambda_processor is not None:
            kinesis = KinesisMetadata(config.source_shards, random.Random(self.prepared.options.seed + 1))
        started = time.perf_counter()
        with self.prepared.open_invoker() as invoker:
            engine = self.prepared.engine(self.sink, invoker)
            try:
                for block in read_records(
                    source,
                    mode=self.mode,
                    limit=record_limit(config.source_kinesis_arn is not None),
                    stats=stats,
                    stream_name=config.name if _producer_name(config.name) else "simulated",
                ):
                    arrivals = clock.times(len(block))
                    engine.put(block, arrivals, kinesis.metadata(arrivals) if kinesis is not None else None)
                engine.flush(clock.last)
            except SinkError as error:
                raise CliError(str(error), EXIT_FAILED) from None
            except OSError as error:
                raise CliError(f"cannot read {name!r}: {error.strerror or error}", EXIT_USAGE) from None
            return self._report(
                engine, invoker=invoker, stats=stats, clock=clock, name=name, seconds=time.perf_counter() - started
            )

    def _report(
        self,
        engine: DeliveryEngine,
        *,
        invoker: LambdaInvoker | None,
        stats: InputStats,
        clock: ArrivalClock,
        name: str,
        seconds: float,
    ) -> dict[str, Any]:
        details = {
            "records_rejected": stats.rejected_count,
            "input": {
                "file": name,
                "mode": self.mode,
                "lines": stats.lines,
                "blank_lines": stats.blank_lines,
                "rejected": [{"line": line, "bytes": size, "reason": why} for line, size, why in stats.rejected],
            },
            "virtual_time": {"start": _iso(clock.start_ms), "last_arrival": _iso(clock.last), "rate": self.rate},
        }
        report = stream_report(
            self.prepared, engine, invoker=invoker, sink=self.sink, output=self.output, details=details
        )
        report["wall_seconds"] = round(seconds, 3)
        return report

    @staticmethod
    def print_summary(report: Mapping[str, Any], out: IO[str], extra_rows: Sequence[tuple[str, Any]] = ()) -> None:
        """The summary of a report; ``extra_rows`` (label, value) follow the output row (``serve``'s API counts)."""
        failed = report["records_failed"]
        rows = [
            ("stream", f"{report['stream']['name']} ({report['stack']})"),
            ("records in", report["records_in"]),
            ("delivered", report["records_delivered"]),
            ("dropped", report["records_dropped"]),
            ("failed", ", ".join(f"{kind} {count}" for kind, count in failed.items()) or "0"),
        ]
        if "input" in report:  # simulate's input file (serve has none)
            rows.append(("input lines rejected", report["records_rejected"]))
            rows.append(("blank lines skipped", report["input"].get("blank_lines", 0)))
        rows += [
            ("objects written", ", ".join(f"{kind} {count}" for kind, count in report["objects"].items()) or "0"),
            ("bytes delivered", report["bytes_delivered"]),
            ("billed bytes", report["billed_bytes"]),
        ]
        if "virtual_time" in report:
            rows.append(
                ("virtual time", f"{report['virtual_time']['start']} .. {report['virtual_time']['last_arrival']}")
            )
        rows.append(("output", report["output"].get("dir") or report["output"].get("endpoint_url")))
        rows.extend(extra_rows)
        if "lambda" in report:
            rows.append(("lambda invocations", f"{report['lambda_invocations']} ({report['lambda_retries']} retries)"))
        for secret, details in report.get("secrets", {}).items():
            rows.append(("local secret", f"{secret} ({details['source']}; hashes differ from the deployed stack's)"))
        width = max(len(label) for label, _ in rows) + 1
        for label, value in rows:
            out.write(f"{label + ':':<{width}} {value}\n")
        for note in report.get("notes", []):
            out.write(f"note: {note}\n")
        out.flush()


def stream_report(
    prepared: PreparedStream,
    engine: DeliveryEngine,
    *,
    invoker: LambdaInvoker | None,
    sink: Sink,
    output: Mapping[str, Any],
    details: Mapping[str, Any],
) -> dict[str, Any]:
    """The report of one stream's run (see the module docstring); ``details`` (the input of ``simulate``, the
    API calls of ``serve``) follow the counts."""
    config = prepared.config
    report: dict[str, Any] = {"stack": prepared.stack.stack_name}
    report["stream"] = {
        "logical_id": config.logical_id,
        "name": config.name,
        "construct_path": config.construct_path,
    }
    report.update(engine.tally.as_dict())
    report.update(details)
    if prepared.function is not None:
        function = prepared.function
        report["lambda"] = {
            "function": function.name,
            "handler": function.handler,
            "code": str(function.code_dir)
            if function.code_dir is not None
            else f"--processor {prepared.options.processor}",
            "runtime": function.runtime,
            "timeout_seconds": function.timeout_seconds,
            "cold_starts": invoker.cold_starts if invoker is not None else 0,
            "init_error": invoker.init_error if invoker is not None else None,
            "binary_packages": [replacement.describe() for replacement in function.replacements],
        }
    if prepared.secrets:
        report["secrets"] = {secret.logical_id: secret.report() for secret in prepared.secrets}
    if config.dynamic_partitioning:
        report["peak_active_partitions"] = engine.destination.peak_partitions
    report["notes"] = prepared.notes
    report["output"] = dict(output)
    if isinstance(sink, DirectorySink):
        report["output"]["escaped_keys"] = sink.escaped_keys
    report["keys"] = _keys(engine)
    return report


def _producer_name(name: str) -> bool:
    import re

    from firehose_transform.contract import STREAM_NAME_PATTERN

    return re.fullmatch(STREAM_NAME_PATTERN, name) is not None


def _keys(engine: DeliveryEngine) -> dict[str, list[str]]:
    writers = [engine.destination.writer, engine.errors.writer]
    out: dict[str, list[str]] = {}
    for writer in writers:
        out.setdefault(writer.kind, []).extend(writer.keys[:REPORTED_KEYS])
    if engine.backup_writer is not None:
        out["backup"] = engine.backup_writer.keys[:REPORTED_KEYS]
    return out


def stream_sink(
    prepared: PreparedStream, args: argparse.Namespace, buckets: dict[str, str]
) -> tuple[Sink, dict[str, Any]]:
    """The sink of ``--out`` (``args.out``) or ``--endpoint-url`` with ``buckets`` (``args.endpoint_url``,
    ``args.region``), and its description for the report; a missing or unknown ``--bucket`` is a CliError."""
    config = prepared.config
    used = {config.destination.bucket} | ({config.backup.bucket} if config.backup is not None else set())
    if args.endpoint_url is None:
        out: Path = args.out
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CliError(f"cannot create {str(out)!r}: {error.strerror or error}", EXIT_USAGE) from None
        return DirectorySink(out), {"dir": str(out)}
    missing = sorted(used - set(buckets))
    if missing:
        raise CliError(
            f"--endpoint-url needs --bucket {missing[0]}=NAME for every bucket the stream writes "
            f"({', '.join(sorted(used))})",
            EXIT_USAGE,
        )
    unknown = sorted(set(buckets) - used)
    if unknown:
        raise CliError(f"--bucket {unknown[0]}: the stream writes to {', '.join(sorted(used))} only", EXIT_USAGE)
    import boto3

    client = boto3.client("s3", endpoint_url=args.endpoint_url, region_name=args.region)
    return S3Sink(client, buckets), {"endpoint_url": args.endpoint_url, "buckets": buckets}
