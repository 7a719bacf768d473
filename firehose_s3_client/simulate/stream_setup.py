"""From a cloud assembly to a ready-to-run :class:`DeliveryEngine`: everything but the clock and the input.

Shared by ``firehose-s3 simulate`` and, later, ``firehose-s3 serve``::

    prepared = prepare_stream(StreamOptions(assembly=Path("cdk.out"), stack="FirehoseS3WebLogs"))
    with prepared.open_invoker() as invoker:
        engine = prepared.engine(DirectorySink(Path("local-s3")), invoker)
        ...

:func:`prepare_stream` reads the stack, picks the delivery stream, reads its configuration (every property
reproduced, noted or refused by name), and prepares what its processors need: the Lambda function (or
``--processor``), the JQ query, the format converter. Every refusal is a :class:`SetupError`, one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firehose_s3_client.simulate.assembly import AssemblyError, StackTemplate, load_stack
from firehose_s3_client.simulate.engine import DeliveryEngine
from firehose_s3_client.simulate.lambda_function import FunctionSpec, LocalSecret, function_spec, local_secrets
from firehose_s3_client.simulate.lambda_invoker import LambdaInvoker
from firehose_s3_client.simulate.prefix import PrefixTemplateError, error_prefix_for, time_zone_of, validate_prefix
from firehose_s3_client.simulate.processor_config import UnsupportedConfigurationError
from firehose_s3_client.simulate.sinks import Sink
from firehose_s3_client.simulate.stream_config import DeliveryStreamConfig, choose_stream, read_stream_config
from firehose_s3_client.simulate.template_values import SimulatedAccount, TemplateResolver, TemplateValueError
from firehose_transform.contract import DEFAULT_ACTIVE_PARTITIONS

__all__ = ["PreparedStream", "SetupError", "StreamOptions", "prepare_stream"]


class SetupError(Exception):
    """The stream cannot be simulated as asked (one line naming why)."""


@dataclass(frozen=True)
class StreamOptions:
    """What the user chose (the command line's options, with their defaults)."""

    assembly: Path
    stack: str
    stream: str | None = None
    processor: str | None = None
    secrets: dict[str, str] = field(default_factory=dict)
    region: str = "us-east-1"
    seed: int = 0
    active_partitions: int = DEFAULT_ACTIVE_PARTITIONS
    function_log: Path | None = None

    @classmethod
    def from_args(
        cls, args: Any, *, stack: str, stream: str | None, processor: str | None, secrets: dict[str, str]
    ) -> StreamOptions:
        """The options of one stream from a command line built with ``engine_arguments.add_engine_arguments``."""
        return cls(
            assembly=args.app,
            stack=stack,
            stream=stream,
            processor=processor,
            secrets=secrets,
            region=args.region,
            seed=args.seed,
            active_partitions=args.active_partitions,
            function_log=args.function_log,
        )


@dataclass
class PreparedStream:
    """A stream ready to run (see the module docstring)."""

    options: StreamOptions
    stack: StackTemplate
    resolver: TemplateResolver
    config: DeliveryStreamConfig
    function: FunctionSpec | None
    secrets: tuple[LocalSecret, ...]
    query: Any = None
    converter: Any = None
    catalog_table: dict[str, str] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """Every accepted property without a local effect, and every substitution, one sentence each."""
        notes = list(self.config.notes)
        if self.function is not None:
            notes.extend(self.function.notes)
            notes.extend(replacement.describe() for replacement in self.function.replacements)
            if self.function.code_dir is None:
                notes.append(f"--processor {self.options.processor} runs instead of the function's code")
        notes.extend(getattr(self.converter, "notes", ()) or ())
        return notes

    @contextmanager
    def open_invoker(self) -> Iterator[LambdaInvoker | None]:
        """The function's invoker (None without a Lambda processor), stopped on exit."""
        if self.function is None:
            yield None
            return
        invoker = LambdaInvoker(self.function, function_log=self.options.function_log)
        try:
            yield invoker
        finally:
            invoker.close()

    def engine(self, sink: Sink, invoker: LambdaInvoker | None) -> DeliveryEngine:
        return DeliveryEngine(
            self.config,
            sink=sink,
            invoke=invoker.invoke if invoker is not None else None,
            region=self.options.region,
            query=self.query,
            converter=self.converter,
            catalog_table=self.catalog_table,
            seed=self.options.seed,
            active_partitions=self.options.active_partitions,
        )


def prepare_stream(options: StreamOptions) -> PreparedStream:
    """Read and check everything the run needs; raises :class:`SetupError` (one line) when it cannot run."""
    try:
        stack = load_stack(options.assembly, options.stack)
        resolver = TemplateResolver(stack, SimulatedAccount(region=options.region))
        logical_id = choose_stream(stack, options.stream)
        config = read_stream_config(stack, logical_id, resolver)
        _check_prefixes(config)
        secrets = local_secrets(resolver, options.secrets)
        function = None
        if config.processing.lambda_processor is not None:
            function = function_spec(
                resolver, config.processing.lambda_processor, override=options.processor, secrets=secrets
            )
        elif options.processor is not None:
            raise UnsupportedConfigurationError(f"--processor: the stream {config.name} has no Lambda processor")
        prepared = PreparedStream(options, stack, resolver, config, function, secrets)
        _prepare_query(prepared)
        _prepare_conversion(prepared)
    except (AssemblyError, UnsupportedConfigurationError, TemplateValueError, PrefixTemplateError) as error:
        raise SetupError(str(error)) from None
    return prepared


def _check_prefixes(config: DeliveryStreamConfig) -> None:
    """DG s3-prefixes.html rules, as Firehose checks them when the stream is created."""
    destination = config.destination
    where = f"{config.logical_id}: "
    try:
        validate_prefix(destination.prefix or "", error_prefix=False, dynamic_partitioning=config.dynamic_partitioning)
        if destination.error_prefix:
            validate_prefix(
                destination.error_prefix, error_prefix=True, dynamic_partitioning=config.dynamic_partitioning
            )
        error_prefix_for(destination.error_prefix, destination.prefix)
        time_zone_of(destination.time_zone)
        if config.backup is not None:
            validate_prefix(config.backup.prefix or "", error_prefix=False, dynamic_partitioning=False)
    except PrefixTemplateError as error:
        raise PrefixTemplateError(where + str(error)) from None


def _prepare_query(prepared: PreparedStream) -> None:
    extraction = prepared.config.processing.metadata_extraction
    if extraction is None:
        return
    from firehose_s3_client.simulate.jq_keys import JqQueryError, PartitionKeyQuery

    try:
        prepared.query = PartitionKeyQuery(extraction.query, extraction.engine)
    except JqQueryError as error:
        raise UnsupportedConfigurationError(f"MetadataExtractionQuery {extraction.query!r}: {error}") from None
    except ImportError as error:
        raise UnsupportedConfigurationError(f"dynamic partitioning with JQ needs the jq package ({error})") from None


def _prepare_conversion(prepared: PreparedStream) -> None:
    conversion = prepared.config.conversion
    if conversion is None:
        return
    try:
        from firehose_s3_client.simulate.conversion import SchemaError, converter_for
    except ImportError as error:
        raise UnsupportedConfigurationError(f"data format conversion needs pyarrow ({error})") from None
    try:
        prepared.converter = converter_for(prepared.stack, conversion)
    except SchemaError as error:
        raise UnsupportedConfigurationError(f"{prepared.config.logical_id}: {error}") from None
    prepared.catalog_table = _catalog_table(prepared, conversion)


def _catalog_table(prepared: PreparedStream, conversion: dict[str, Any]) -> dict[str, str]:
    """``dataCatalogTable`` of format-conversion-failed records (DG record-format-conversion-error-handling)."""
    schema = conversion.get("SchemaConfiguration") or {}
    resolver = prepared.resolver
    account = resolver.account

    def value(name: str, default: str) -> str:
        raw = schema.get(name)
        return resolver.string(raw, f"SchemaConfiguration.{name}") if raw is not None else default

    database = value("DatabaseName", "")
    table = value("TableName", "")
    region = value("Region", account.region)
    catalog = value("CatalogId", account.account_id)
    return {
        "catalogId": catalog,
        "databaseName": database,
        "tableName": table,
        "region": region,
        "versionId": value("VersionId", "LATEST"),
        "catalogArn": f"arn:{account.partition}:glue:{region}:{catalog}:catalog",
    }
