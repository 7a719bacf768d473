"""A delivery stream of a synthesized stack, read into the typed configuration the engine runs.

Every property of ``AWS::KinesisFirehose::DeliveryStream`` is classified: reproduced, accepted with a note
because it has no local effect (IAM roles, encryption at rest, tags: each note is printed and reported), or
rejected with :class:`UnsupportedConfigurationError` naming it. Nothing is ignored silently.

Defaults are Firehose's (https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html):
5 MiB / 300 s, and 128 MiB when data format conversion is on (DG record-format-conversion.html); the
source-record backup also defaults to 5 MiB / 300 s. Sizes are taken as MiB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from firehose_s3_client.simulate.assembly import StackTemplate, ref_target
from firehose_s3_client.simulate.processor_config import (
    MIB,
    ProcessingConfig,
    UnsupportedConfigurationError,
    read_processing,
)
from firehose_s3_client.simulate.template_values import TemplateResolver, TemplateValueError

__all__ = [
    "BufferingHints",
    "DeliveryStreamConfig",
    "LogDestination",
    "S3Location",
    "UnsupportedConfigurationError",
    "choose_stream",
    "read_stream_config",
]

STREAM_TYPE = "AWS::KinesisFirehose::DeliveryStream"
DEFAULT_SIZE_MIB = 5
CONVERSION_DEFAULT_SIZE_MIB = 128
DEFAULT_INTERVAL_SECONDS = 300
COMPRESSION_FORMATS = ("UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY")
_OTHER_DESTINATIONS = (
    "RedshiftDestinationConfiguration",
    "ElasticsearchDestinationConfiguration",
    "AmazonopensearchserviceDestinationConfiguration",
    "AmazonOpenSearchServerlessDestinationConfiguration",
    "SplunkDestinationConfiguration",
    "HttpEndpointDestinationConfiguration",
    "SnowflakeDestinationConfiguration",
    "IcebergDestinationConfiguration",
)


@dataclass(frozen=True)
class BufferingHints:
    """Deliver when ``size_bytes`` are buffered (before compression) or ``interval_seconds`` have passed."""

    size_bytes: int
    interval_seconds: int


@dataclass(frozen=True)
class S3Location:
    """Where and how objects are written: bucket (logical ID, or name outside the stack), prefixes, encoding."""

    bucket: str
    prefix: str | None
    error_prefix: str | None
    compression: str
    buffering: BufferingHints
    file_extension: str | None = None
    time_zone: str | None = None


@dataclass(frozen=True)
class LogDestination:
    """``CloudWatchLoggingOptions``: the log group and stream Firehose writes its error events to."""

    group: str
    stream: str


@dataclass(frozen=True)
class DeliveryStreamConfig:
    """One delivery stream as the engine runs it (see the module docstring)."""

    logical_id: str
    construct_path: str | None
    name: str
    arn: str
    destination: S3Location
    processing: ProcessingConfig
    source_kinesis_arn: str | None = None
    #: Shards of the source Kinesis stream (ShardCount; 4 for an on-demand stream, its initial capacity).
    source_shards: int = 0
    dynamic_partitioning: bool = False
    conversion: dict[str, Any] | None = None
    backup: S3Location | None = None
    logging: LogDestination | None = None
    backup_logging: LogDestination | None = None
    #: Accepted properties without a local effect, one sentence each (printed and reported).
    notes: tuple[str, ...] = field(default=())
    version: int = 1


def stream_choices(stack: StackTemplate) -> dict[str, str | None]:
    """Logical ID -> construct path of every delivery stream of the stack."""
    return {logical_id: stack.construct_path(logical_id) for logical_id in stack.resources_of_type(STREAM_TYPE)}


def choose_stream(stack: StackTemplate, selector: str | None) -> str:
    """The logical ID of the stream ``selector`` names (logical ID, construct path or stream name).

    Without a selector the stack must have exactly one stream. Raises :class:`UnsupportedConfigurationError`
    with the choices otherwise.
    """
    choices = stream_choices(stack)
    if not choices:
        raise UnsupportedConfigurationError(f"stack {stack.stack_name} has no {STREAM_TYPE}")
    listing = ", ".join(f"{lid} ({path})" if path else lid for lid, path in sorted(choices.items()))
    if selector is None:
        if len(choices) == 1:
            return next(iter(choices))
        raise UnsupportedConfigurationError(
            f"stack {stack.stack_name} has several delivery streams: pass --stream with one of {listing}"
        )
    wanted = selector.strip("/")
    for logical_id, path in choices.items():
        paths = {path, path.removesuffix("/Resource")} if path else set()
        name = (stack.resources[logical_id].get("Properties") or {}).get("DeliveryStreamName")
        if wanted in {logical_id, name} | paths:
            return logical_id
    raise UnsupportedConfigurationError(
        f"stack {stack.stack_name} has no delivery stream {selector!r} (streams: {listing})"
    )


def read_stream_config(stack: StackTemplate, logical_id: str, resolver: TemplateResolver) -> DeliveryStreamConfig:
    """Read the stream ``logical_id`` (see :func:`choose_stream`).

    Raises:
        UnsupportedConfigurationError: a property or value this engine does not reproduce, named.
    """
    try:
        return _read(stack, logical_id, resolver)
    except TemplateValueError as error:
        raise UnsupportedConfigurationError(str(error)) from None


def _read(stack: StackTemplate, logical_id: str, resolver: TemplateResolver) -> DeliveryStreamConfig:
    properties = stack.resources[logical_id].get("Properties") or {}
    where = logical_id
    notes: list[str] = []
    for other in _OTHER_DESTINATIONS:
        if other in properties:
            raise UnsupportedConfigurationError(f"{where}.{other}: only S3 destinations are simulated")
    known = {
        "DeliveryStreamName",
        "DeliveryStreamType",
        "ExtendedS3DestinationConfiguration",
        "S3DestinationConfiguration",
        "KinesisStreamSourceConfiguration",
        "DeliveryStreamEncryptionConfigurationInput",
        "DirectPutSourceConfiguration",
        "Tags",
    }
    _only(properties, known, where)
    stream_type = properties.get("DeliveryStreamType", "DirectPut")
    if stream_type not in {"DirectPut", "KinesisStreamAsSource"}:
        raise UnsupportedConfigurationError(f"{where}.DeliveryStreamType {stream_type!r} is not simulated")
    if "DeliveryStreamEncryptionConfigurationInput" in properties:
        notes.append(f"{where}.DeliveryStreamEncryptionConfigurationInput: encryption at rest has no local effect")
    if "DirectPutSourceConfiguration" in properties:
        notes.append(f"{where}.DirectPutSourceConfiguration: throughput limits are not simulated")
    if "Tags" in properties:
        notes.append(f"{where}.Tags: tags have no local effect")
    source_arn, shards = _kinesis_source(properties, stream_type, resolver, where, notes)
    if "ExtendedS3DestinationConfiguration" in properties:
        config = properties["ExtendedS3DestinationConfiguration"]
        here = f"{where}.ExtendedS3DestinationConfiguration"
    elif "S3DestinationConfiguration" in properties:
        config = properties["S3DestinationConfiguration"]
        here = f"{where}.S3DestinationConfiguration"
        _only(config, _SIMPLE_S3, here)
    else:
        raise UnsupportedConfigurationError(f"{where} has no S3 destination")
    if not isinstance(config, dict):
        raise UnsupportedConfigurationError(f"{here} is not an object")
    _only(config, _EXTENDED_S3, here)
    processing, processing_notes = read_processing(
        config.get("ProcessingConfiguration"), resolver, f"{here}.ProcessingConfiguration"
    )
    notes.extend(processing_notes)
    conversion = _conversion(config.get("DataFormatConversionConfiguration"), here)
    dynamic = _dynamic_partitioning(config.get("DynamicPartitioningConfiguration"), here, notes)
    default_size = CONVERSION_DEFAULT_SIZE_MIB if conversion is not None else DEFAULT_SIZE_MIB
    destination = _location(config, resolver, here, default_size=default_size, extended=True)
    _note_no_effect(config, here, notes)
    backup, backup_logging = _backup(config, resolver, here, notes)
    _check_firehose_rules(destination, processing, conversion, dynamic, here)
    name = resolver.physical_name(logical_id)
    return DeliveryStreamConfig(
        logical_id=logical_id,
        construct_path=stack.construct_path(logical_id),
        name=name,
        arn=resolver.arn(logical_id),
        destination=destination,
        processing=processing,
        source_kinesis_arn=source_arn,
        source_shards=shards,
        dynamic_partitioning=dynamic,
        conversion=conversion,
        backup=backup,
        logging=_logging(config.get("CloudWatchLoggingOptions"), resolver, f"{here}.CloudWatchLoggingOptions"),
        backup_logging=backup_logging,
        notes=tuple(notes),
    )


_SIMPLE_S3 = {
    "BucketARN",
    "BufferingHints",
    "CloudWatchLoggingOptions",
    "CompressionFormat",
    "EncryptionConfiguration",
    "ErrorOutputPrefix",
    "Prefix",
    "RoleARN",
}
_EXTENDED_S3 = _SIMPLE_S3 | {
    "CustomTimeZone",
    "DataFormatConversionConfiguration",
    "DynamicPartitioningConfiguration",
    "FileExtension",
    "ProcessingConfiguration",
    "S3BackupConfiguration",
    "S3BackupMode",
}


def _only(value: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise UnsupportedConfigurationError(f"{where}.{unknown[0]} is not supported by the simulator")


def _note_no_effect(config: dict[str, Any], where: str, notes: list[str]) -> None:
    logging = config.get("CloudWatchLoggingOptions")
    if isinstance(logging, dict) and logging.get("Enabled") not in (None, False, "false"):
        notes.append(
            f"{where}.CloudWatchLoggingOptions: Firehose's error log events are not written locally "
            "(every failed record is in the error output and the report)"
        )
    if "RoleARN" in config:
        notes.append(f"{where}.RoleARN: IAM is not simulated (every write is allowed)")
    if "EncryptionConfiguration" in config:
        notes.append(f"{where}.EncryptionConfiguration: objects are written unencrypted locally")


def _kinesis_source(
    properties: dict[str, Any], stream_type: str, resolver: TemplateResolver, where: str, notes: list[str]
) -> tuple[str | None, int]:
    source = properties.get("KinesisStreamSourceConfiguration")
    if stream_type != "KinesisStreamAsSource":
        if source is not None:
            raise UnsupportedConfigurationError(
                f"{where}.KinesisStreamSourceConfiguration needs DeliveryStreamType KinesisStreamAsSource"
            )
        return None, 0
    if not isinstance(source, dict) or "KinesisStreamARN" not in source:
        raise UnsupportedConfigurationError(
            f"{where}: a KinesisStreamAsSource stream needs KinesisStreamSourceConfiguration.KinesisStreamARN"
        )
    _only(source, {"KinesisStreamARN", "RoleARN"}, f"{where}.KinesisStreamSourceConfiguration")
    arn = resolver.string(source["KinesisStreamARN"], f"{where}.KinesisStreamSourceConfiguration.KinesisStreamARN")
    notes.append(
        f"{where}.KinesisStreamSourceConfiguration: each input record is one Kinesis record "
        "(simulated shards and sequence numbers); KPL-aggregated records are not de-aggregated"
    )
    shards = 4  # an on-demand stream starts with 4 shards
    target = ref_target(source["KinesisStreamARN"])
    stream = (resolver.stack.resources.get(target) or {}).get("Properties") or {} if target else {}
    count = stream.get("ShardCount")
    if isinstance(count, int) and count > 0:
        shards = count
    return arn, shards


def _buffering(value: Any, where: str, default_size_mib: int) -> BufferingHints:
    if value is None:
        return BufferingHints(default_size_mib * MIB, DEFAULT_INTERVAL_SECONDS)
    if not isinstance(value, dict):
        raise UnsupportedConfigurationError(f"{where} is not an object")
    _only(value, {"SizeInMBs", "IntervalInSeconds"}, where)
    size = value.get("SizeInMBs", default_size_mib)
    interval = value.get("IntervalInSeconds", DEFAULT_INTERVAL_SECONDS)
    if not isinstance(size, int) or not isinstance(interval, int) or not 1 <= size <= 128 or not 0 <= interval <= 900:
        raise UnsupportedConfigurationError(f"{where}: SizeInMBs must be 1-128 and IntervalInSeconds 0-900")
    return BufferingHints(size * MIB, interval)


def _location(
    config: dict[str, Any], resolver: TemplateResolver, where: str, *, default_size: int, extended: bool
) -> S3Location:
    if "BucketARN" not in config:
        raise UnsupportedConfigurationError(f"{where} has no BucketARN")
    compression = config.get("CompressionFormat", "UNCOMPRESSED")
    if compression not in COMPRESSION_FORMATS:
        raise UnsupportedConfigurationError(
            f"{where}.CompressionFormat {compression!r} is not one of {', '.join(COMPRESSION_FORMATS)}"
        )

    def optional(name: str) -> str | None:
        return resolver.string(config[name], f"{where}.{name}") if config.get(name) is not None else None

    return S3Location(
        bucket=resolver.bucket_id(config["BucketARN"], f"{where}.BucketARN"),
        prefix=optional("Prefix"),
        error_prefix=optional("ErrorOutputPrefix"),
        compression=compression,
        buffering=_buffering(config.get("BufferingHints"), f"{where}.BufferingHints", default_size),
        file_extension=optional("FileExtension") if extended else None,
        time_zone=(optional("CustomTimeZone") or None) if extended else None,
    )


def _backup(
    config: dict[str, Any], resolver: TemplateResolver, where: str, notes: list[str]
) -> tuple[S3Location | None, LogDestination | None]:
    mode = config.get("S3BackupMode", "Disabled")
    if mode not in {"Enabled", "Disabled"}:
        raise UnsupportedConfigurationError(f"{where}.S3BackupMode {mode!r} is not Enabled or Disabled")
    backup = config.get("S3BackupConfiguration")
    if mode == "Disabled":
        if backup is not None:
            notes.append(f"{where}.S3BackupConfiguration: S3BackupMode is Disabled, so no source record is backed up")
        return None, None
    if not isinstance(backup, dict):
        raise UnsupportedConfigurationError(f"{where}: S3BackupMode Enabled needs an S3BackupConfiguration")
    here = f"{where}.S3BackupConfiguration"
    _only(backup, _SIMPLE_S3, here)
    _note_no_effect(backup, here, notes)
    location = _location(backup, resolver, here, default_size=DEFAULT_SIZE_MIB, extended=False)
    return location, _logging(backup.get("CloudWatchLoggingOptions"), resolver, f"{here}.CloudWatchLoggingOptions")


def _logging(value: Any, resolver: TemplateResolver, where: str) -> LogDestination | None:
    if not isinstance(value, dict) or value.get("Enabled") in (None, False, "false"):
        return None
    _only(value, {"Enabled", "LogGroupName", "LogStreamName"}, where)
    if value.get("LogGroupName") is None or value.get("LogStreamName") is None:
        raise UnsupportedConfigurationError(f"{where}: LogGroupName and LogStreamName are required when Enabled")
    return LogDestination(
        group=resolver.string(value["LogGroupName"], f"{where}.LogGroupName"),
        stream=resolver.string(value["LogStreamName"], f"{where}.LogStreamName"),
    )


def _conversion(value: Any, where: str) -> dict[str, Any] | None:
    if not isinstance(value, dict) or value.get("Enabled", True) in (False, "false"):
        return None
    return value


def _dynamic_partitioning(value: Any, where: str, notes: list[str]) -> bool:
    if not isinstance(value, dict) or value.get("Enabled") not in (True, "true"):
        return False
    _only(value, {"Enabled", "RetryOptions"}, f"{where}.DynamicPartitioningConfiguration")
    if "RetryOptions" in value:
        notes.append(
            f"{where}.DynamicPartitioningConfiguration.RetryOptions: "
            "S3 writes never fail locally, so nothing is retried"
        )
    return True


def _check_firehose_rules(
    destination: S3Location,
    processing: ProcessingConfig,
    conversion: dict[str, Any] | None,
    dynamic: bool,
    where: str,
) -> None:
    """Create-time rules Firehose enforces on processors and formats (DG-DP, DG-FMT); the prefix rules are
    :func:`prefix.validate_prefix`'s (checked by :mod:`stream_setup`)."""
    if dynamic:
        if not destination.error_prefix:
            raise UnsupportedConfigurationError(
                f"{where}: dynamic partitioning needs an ErrorOutputPrefix (Firehose refuses it)"
            )
        if processing.metadata_extraction is None and processing.lambda_processor is None:
            raise UnsupportedConfigurationError(
                f"{where}: dynamic partitioning needs a MetadataExtraction or Lambda processor"
            )
    elif processing.metadata_extraction is not None:
        raise UnsupportedConfigurationError(f"{where}: a MetadataExtraction processor needs dynamic partitioning")
    if conversion is not None and destination.compression != "UNCOMPRESSED":
        raise UnsupportedConfigurationError(
            f"{where}: CompressionFormat must be UNCOMPRESSED with data format conversion"
        )
