"""``DescribeDeliveryStream``'s ``DeliveryStreamDescription`` of a served stream, from its template.

The shape is the service model's (``DeliveryStreamDescription``, ``DestinationDescription``,
``ExtendedS3DestinationDescription``): the template's ``ExtendedS3DestinationConfiguration`` (or
``S3DestinationConfiguration``) with its intrinsic functions resolved in the simulated account (as
``simulate`` resolves them: names are logical IDs unless set, buckets lower-cased), the defaults Firehose
fills in (``BufferingHints``, ``CompressionFormat``, ``EncryptionConfiguration: NoEncryption``,
``CloudWatchLoggingOptions.Enabled: false``, ``S3BackupMode: Disabled``), and, like the service, both an
``S3DestinationDescription`` (the basic members) and an ``ExtendedS3DestinationDescription``. The status is
always ``ACTIVE``, the version 1, the destination ``destinationId-000000000001``. With ``--endpoint-url`` and
``--bucket ID=NAME`` a bucket's ARN names the real bucket. A value this engine cannot resolve is shown as
``unresolved: <the template's JSON>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from firehose_s3_client.serve.served_stream import ServedStream
from firehose_s3_client.simulate.sinks import S3Sink
from firehose_s3_client.simulate.stream_config import S3Location
from firehose_s3_client.simulate.template_values import TemplateResolver, TemplateValueError

__all__ = ["DESTINATION_ID", "description"]

DESTINATION_ID = "destinationId-000000000001"
MIB = 1024 * 1024
_INTRINSICS = frozenset({"Ref", "Fn::GetAtt", "Fn::Join", "Fn::Sub", "Fn::Select", "Fn::If", "Fn::ImportValue"})
_BASIC = (
    "RoleARN",
    "BucketARN",
    "Prefix",
    "ErrorOutputPrefix",
    "BufferingHints",
    "CompressionFormat",
    "EncryptionConfiguration",
    "CloudWatchLoggingOptions",
)
_EXTENDED = (
    *_BASIC,
    "ProcessingConfiguration",
    "S3BackupMode",
    "S3BackupDescription",
    "DataFormatConversionConfiguration",
    "DynamicPartitioningConfiguration",
    "FileExtension",
    "CustomTimeZone",
)


def _resolved(resolver: TemplateResolver, value: Any, where: str) -> Any:
    """``value`` with every intrinsic function replaced by its simulated value."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in _INTRINSICS:
            try:
                return resolver.string(value, where)
            except TemplateValueError:
                return f"unresolved: {json.dumps(value, sort_keys=True)}"
        return {key: _resolved(resolver, item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(resolver, item, where) for item in value]
    return value


def _location(
    resolver: TemplateResolver,
    raw: Mapping[str, Any],
    location: S3Location,
    where: str,
    bucket_names: Mapping[str, str],
) -> dict[str, Any]:
    """A destination (or backup) description with Firehose's defaults; keys in the model's order."""
    described: dict[str, Any] = _resolved(resolver, dict(raw), where)
    if location.bucket in bucket_names:
        described["BucketARN"] = f"arn:{resolver.account.partition}:s3:::{bucket_names[location.bucket]}"
    described["BufferingHints"] = {
        "SizeInMBs": location.buffering.size_bytes // MIB,
        "IntervalInSeconds": location.buffering.interval_seconds,
    }
    described["CompressionFormat"] = location.compression
    described.setdefault("EncryptionConfiguration", {"NoEncryptionConfig": "NoEncryption"})
    described.setdefault("CloudWatchLoggingOptions", {"Enabled": False})
    return described


def _ordered(described: Mapping[str, Any], members: tuple[str, ...]) -> dict[str, Any]:
    return {member: described[member] for member in members if member in described}


def description(stream: ServedStream) -> dict[str, Any]:
    """The ``DeliveryStreamDescription`` of ``stream`` (see the module docstring)."""
    prepared = stream.prepared
    config = prepared.config
    resolver = prepared.resolver
    created_ms = stream.created_ms
    names = stream.sink.bucket_names if isinstance(stream.sink, S3Sink) else {}
    properties = prepared.stack.resources[config.logical_id].get("Properties") or {}
    where = config.logical_id
    raw = properties.get("ExtendedS3DestinationConfiguration") or properties.get("S3DestinationConfiguration") or {}
    here = f"{where}.ExtendedS3DestinationConfiguration"
    extended = _location(
        resolver, {k: v for k, v in raw.items() if k != "S3BackupConfiguration"}, config.destination, here, names
    )
    extended.setdefault("S3BackupMode", "Disabled")
    if config.backup is not None:
        backup = _location(
            resolver, raw.get("S3BackupConfiguration") or {}, config.backup, f"{here}.S3BackupConfiguration", names
        )
        extended["S3BackupDescription"] = _ordered(backup, _BASIC)
    out: dict[str, Any] = {
        "DeliveryStreamName": config.name,
        "DeliveryStreamARN": config.arn,
        "DeliveryStreamStatus": "ACTIVE",
        "DeliveryStreamEncryptionConfiguration": _encryption(resolver, properties, where),
        "DeliveryStreamType": stream.stream_type,
        "VersionId": str(config.version),
        "CreateTimestamp": created_ms / 1000,
    }
    source = _source(resolver, properties, where, created_ms)
    if source:
        out["Source"] = source
    out["Destinations"] = [
        {
            "DestinationId": DESTINATION_ID,
            "S3DestinationDescription": _ordered(extended, _BASIC),
            "ExtendedS3DestinationDescription": _ordered(extended, _EXTENDED),
        }
    ]
    out["HasMoreDestinations"] = False
    return out


def _encryption(resolver: TemplateResolver, properties: Mapping[str, Any], where: str) -> dict[str, Any]:
    sse = properties.get("DeliveryStreamEncryptionConfigurationInput")
    if not isinstance(sse, dict):
        return {"Status": "DISABLED"}
    resolved = _resolved(resolver, sse, f"{where}.DeliveryStreamEncryptionConfigurationInput")
    out: dict[str, Any] = {}
    if "KeyARN" in resolved:
        out["KeyARN"] = resolved["KeyARN"]
    out["KeyType"] = resolved.get("KeyType", "AWS_OWNED_CMK")
    out["Status"] = "ENABLED"
    return out


def _source(resolver: TemplateResolver, properties: Mapping[str, Any], where: str, created_ms: int) -> dict[str, Any]:
    kinesis = properties.get("KinesisStreamSourceConfiguration")
    if isinstance(kinesis, dict):
        resolved = _resolved(resolver, kinesis, f"{where}.KinesisStreamSourceConfiguration")
        return {
            "KinesisStreamSourceDescription": {
                **_ordered(resolved, ("KinesisStreamARN", "RoleARN")),
                "DeliveryStartTimestamp": created_ms / 1000,
            }
        }
    direct = properties.get("DirectPutSourceConfiguration")
    if isinstance(direct, dict):
        resolved = _resolved(resolver, direct, f"{where}.DirectPutSourceConfiguration")
        return {"DirectPutSourceDescription": _ordered(resolved, ("ThroughputHintInMBs",))}
    return {}
