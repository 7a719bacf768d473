"""The analytics test pipelines: the pieces FirehoseToS3 wires, built the way it wires them, and their data.

:class:`AnalyticsScaffold` resolves ``PipelineOptions`` and builds ``PipelineAnalytics`` and the L2 stream from
the result, as ``FirehoseToS3`` does, without the monitoring, backup and transform construct (so the analytics
resources are the stack's whole subject and synthesize fast).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from firehose_s3_constructs import PipelineOptions, resolve
from firehose_s3_constructs.analytics import (
    DataFormatConversion,
    DynamicPartitioning,
    FormatConversion,
    QueryTable,
    QueryWorkgroup,
    event_time_projections,
)
from firehose_s3_constructs.analytics.partitioning import build_processors
from firehose_s3_constructs.analytics.pipeline_analytics import PipelineAnalytics
from firehose_s3_constructs.compliance import acknowledge
from firehose_s3_constructs.delivery_role import DeliveryRole
from firehose_s3_constructs.storage import SecureBucket, access_log_bucket

from . import resources_of

HOURLY = "data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
ERRORS = "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/"
IOT_PREFIX = "iot/device_type=!{partitionKeyFromQuery:device_type}/dt=!{timestamp:yyyy-MM-dd}/"
IOT_SCHEMA = {
    "device_id": "string",
    "ts": "timestamp",
    "temperature": "double",
    "humidity": "double",
    "battery": "int",
    "firmware": "string",
    "location": "struct<lat:double,lon:double>",
    "readings": "map<string,double>",
    "price": "decimal(10,2)",
}
WEB_PREFIX = (
    "weblogs/site=!{partitionKeyFromQuery:site}/year=!{partitionKeyFromLambda:year}/"
    "month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/"
)
WEB_COLUMNS = {
    "ts": "string",
    "host": "string",
    "ip": "string",
    "method": "string",
    "path": "string",
    "status": "int",
    "bytes": "bigint",
    "referrer": "string",
    "user_agent": "string",
    "email": "string",
}


def flat(value: Any) -> Any:
    """Render Fn::Join/Ref/GetAtt as one string (``${Logical}``), so ARNs and templates compare as text."""
    if isinstance(value, dict):
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(flat(p)) for p in parts)
        if "Ref" in value:
            return f"${{{value['Ref']}}}"
        if "Fn::GetAtt" in value:
            return f"${{{'.'.join(value['Fn::GetAtt'])}}}"
        return {k: flat(v) for k, v in value.items()}
    if isinstance(value, list):
        return [flat(v) for v in value]
    return value


def destination_of(template: dict[str, Any], stream_id: str) -> dict[str, Any]:
    """The S3 destination of the one delivery stream whose logical id starts with ``stream_id``."""
    streams = resources_of(template, "AWS::KinesisFirehose::DeliveryStream")
    (config,) = [v for k, v in streams.items() if k.startswith(stream_id)]
    result: dict[str, Any] = config["Properties"]["ExtendedS3DestinationConfiguration"]
    return result


def glue_table(template: dict[str, Any], name: str) -> dict[str, Any]:
    """The one Glue table named ``name``."""
    tables = [
        t for t in resources_of(template, "AWS::Glue::Table").values() if t["Properties"]["TableInput"]["Name"] == name
    ]
    assert len(tables) == 1, f"expected one Glue table {name}"
    return tables[0]


class AnalyticsScaffold:
    """Bucket, delivery role, optional user function, ``PipelineAnalytics`` and the L2 stream, in scope ``id``.

    ``analytics`` are further ``PipelineOptions`` (format_conversion, dynamic_partitioning, query_table, ...).
    """

    def __init__(
        self,
        stack: cdk.Stack,
        id: str,
        *,
        data_prefix: str,
        with_transform: bool = False,
        with_key: bool = False,
        file_extension: str | None = None,
        buffering_interval: Duration = Duration.seconds(300),
        **analytics: Any,
    ) -> None:
        self.scope = Construct(stack, id)
        logs = access_log_bucket(self.scope, "AccessLogs", removal_policy=cdk.RemovalPolicy.DESTROY)
        self.key = kms.Key(self.scope, "Key", enable_key_rotation=True) if with_key else None
        self.bucket = SecureBucket(self.scope, "Bucket", access_logs_bucket=logs, access_logs_prefix="data/").bucket
        self.role = DeliveryRole(self.scope, "DeliveryRole")
        self.role.add_s3_destination(self.bucket, [data_prefix, ERRORS], sid="Delivery")
        function: lambda_.Function | None = None
        if with_transform:
            # A user's function: its partition keys are unknown, so resolve trusts the prefix's Lambda keys.
            function = lambda_.Function(
                self.scope,
                "Transform",
                runtime=lambda_.Runtime.PYTHON_3_12,
                handler="index.handler",
                code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
            )
            self.role.add_lambda_processor(function)
        self.config = resolve(
            PipelineOptions(
                bucket=self.bucket,
                encryption_key=self.key,
                data_output_prefix=data_prefix,
                error_output_prefix=ERRORS,
                buffering_interval=buffering_interval,
                file_extension=file_extension,
                transform=function,
                **analytics,
            )
        )
        self.analytics = PipelineAnalytics(
            self.scope,
            "Analytics",
            config=self.config,
            delivery_role=self.role,
            bucket=self.bucket,
            excluded_prefixes=[ERRORS],
            encryption_key=self.key,
            access_logs_bucket=logs,
        )
        processors = build_processors(
            self.config.processors,
            self.config.options.dynamic_partitioning,
            firehose.LambdaFunctionProcessor(function) if function is not None else None,
        )
        destination = firehose.S3Bucket(
            self.bucket,
            role=self.role.role.without_policy_updates(),
            data_output_prefix=data_prefix,
            error_output_prefix=ERRORS,
            buffering_size=self.config.buffering_size,
            buffering_interval=buffering_interval,
            compression=self.config.compression,
            file_extension=file_extension,
            processors=processors or None,
            data_format_conversion=self.analytics.data_format_conversion,
            dynamic_partitioning=self.analytics.dynamic_partitioning,
        )
        self.stream = firehose.DeliveryStream(self.scope, "Stream", destination=destination)
        # Findings of the bare L2 stream used here (FirehoseToS3 handles them), not of this module.
        reason = "Test scaffold: FirehoseToS3 configures stream encryption and its log group."
        acknowledge(
            self.stream,
            {
                "AwsSolutions-KDF1": reason,
                "HIPAA.Security-CloudWatchLogGroupEncrypted": reason,
                "NIST.800.53.R5-CloudWatchLogGroupEncrypted": reason,
                "PCI.DSS.321-CloudWatchLogGroupEncrypted": reason,
            },
        )


def build_iot(stack: cdk.Stack) -> AnalyticsScaffold:
    """IoT: JQ partitioning by device type + Parquet conversion + enum projection + workgroup (SSE-S3)."""
    return AnalyticsScaffold(
        stack,
        "IoT",
        data_prefix=IOT_PREFIX,
        format_conversion=FormatConversion(schema=IOT_SCHEMA),
        dynamic_partitioning=DynamicPartitioning(jq_keys={"device_type": ".device_type"}),
        query_table=QueryTable(
            table_name="iot_readings",
            partition_values={"device_type": ["thermostat", "air_quality"]},
            workgroup=QueryWorkgroup(),
        ),
    )


def build_weblogs(stack: cdk.Stack) -> AnalyticsScaffold:
    """Web logs: JSON de-aggregation + transform (event-time keys) + a JQ key + GZIP JSON table + KMS workgroup."""
    return AnalyticsScaffold(
        stack,
        "WebLogs",
        data_prefix=WEB_PREFIX,
        with_transform=True,
        with_key=True,
        file_extension=".json.gz",
        buffering_interval=Duration.seconds(120),
        dynamic_partitioning=DynamicPartitioning(
            jq_keys={"site": ".host"}, lambda_keys=["year", "month", "day", "hour"], deaggregation="JSON"
        ),
        query_table=QueryTable(
            columns=WEB_COLUMNS,
            table_name="access_logs",
            projections=event_time_projections(first_year=2025),
            json_key_mappings={"user_agent": "user-agent"},
            workgroup=QueryWorkgroup(name="web-logs", bytes_scanned_cutoff=cdk.Size.mebibytes(1024)),
        ),
    )


def build_plain_partitioning(stack: cdk.Stack) -> AnalyticsScaffold:
    """No Lambda, no conversion: DELIMITED de-aggregation + JQ, so the delimiter processor is added."""
    return AnalyticsScaffold(
        stack,
        "Plain",
        data_prefix="events/tenant=!{partitionKeyFromQuery:tenant}/",
        dynamic_partitioning=DynamicPartitioning(
            jq_keys={"tenant": ".tenant_id"}, deaggregation="DELIMITED", delimiter="####"
        ),
    )


def build_existing_tables(stack: cdk.Stack) -> tuple[DataFormatConversion, DataFormatConversion]:
    """Conversion against tables the library does not create: by names, and an app-defined glue.CfnTable."""
    scope = Construct(stack, "Existing")
    bucket = s3.Bucket(scope, "Bucket")
    role = DeliveryRole(scope, "ByNameRole")
    by_name_options = FormatConversion(
        output_format="ORC",
        compression="ZLIB",
        input_format="HIVE",
        hive_timestamp_formats=("millis", "yyyy-MM-dd'T'HH:mm:ss"),
        database_name="analytics",
        table_name="sensor_readings",
    )
    by_name = DataFormatConversion(
        scope, "ByName", conversion=by_name_options, delivery_role=role, bucket=bucket, data_output_prefix="raw/"
    )
    table = glue.CfnTable(
        scope,
        "OwnTable",
        catalog_id=cdk.Aws.ACCOUNT_ID,
        database_name="shared",
        table_input=glue.CfnTable.TableInputProperty(
            name="own",
            storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                columns=[glue.CfnTable.ColumnProperty(name="a", type="string")]
            ),
        ),
    )
    cfn_role = DeliveryRole(scope, "CfnTableRole")
    from_cfn_options = FormatConversion(existing_table=table, openx_column_to_json_key_mappings={})
    from_cfn = DataFormatConversion(
        scope,
        "FromCfnTable",
        conversion=from_cfn_options,
        delivery_role=cfn_role,
        bucket=bucket,
        data_output_prefix="raw2/",
    )
    for name, conversion, options, conversion_role in (
        ("ByName", by_name, by_name_options, role),
        ("FromCfn", from_cfn, from_cfn_options, cfn_role),
    ):
        prefix = f"{name.lower()}/"
        config = resolve(PipelineOptions(data_output_prefix=prefix, format_conversion=options))
        destination = firehose.S3Bucket(
            bucket,
            role=conversion_role.role.without_policy_updates(),
            data_output_prefix=prefix,
            buffering_size=config.buffering_size,
            data_format_conversion=conversion.props,
        )
        firehose.DeliveryStream(scope, f"{name}Stream", destination=destination)
    return by_name, from_cfn


def build_analytics_stack(stack: cdk.Stack) -> dict[str, Any]:
    """The four builds above in one stack: ``iot``, ``web``, ``plain``, ``existing``."""
    return {
        "iot": build_iot(stack),
        "web": build_weblogs(stack),
        "plain": build_plain_partitioning(stack),
        "existing": build_existing_tables(stack),
    }
