"""FirehoseToS3: the stream and destination it builds, its attributes, grants and metrics, and how it wires the
transform, the backup, the analytics and the monitoring.

The bucket hardening is tested in test_storage.py, the role's statements in test_delivery_role.py, the option
rules in test_options.py and test_config.py, the alarm set in monitoring/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from cdk_helpers import logical_id, make_app, only, resources_of, template_json
from cdk_helpers.pipeline import BuiltPipeline, build_pipeline, destination_of, statement, stream_of
from cdk_helpers.resolve import inline_function

from firehose_s3_constructs import (
    BucketLifecycle,
    ConfigurationError,
    DynamicPartitioning,
    FirehoseToS3,
    FormatConversion,
    MonitoringOptions,
    ProcessorOptions,
    QueryTable,
    QueryWorkgroup,
    ResolvedPipeline,
    TransformFunction,
    TransformOptions,
)
from firehose_s3_constructs.analytics.pipeline_analytics import PipelineAnalytics
from firehose_s3_constructs.analytics.serializers import ParquetOptions
from firehose_s3_constructs.monitoring import DeliveryStreamMonitoring
from firehose_s3_constructs.storage import AccessLogging

Template = dict[str, Any]


# --- defaults -------------------------------------------------------------------------------------------
def test_default_stream_is_direct_put_with_aws_owned_key(default_pipeline: BuiltPipeline) -> None:
    properties = stream_of(default_pipeline.template)["Properties"]
    assert properties["DeliveryStreamType"] == "DirectPut"
    assert properties["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
    assert "DeliveryStreamName" not in properties


def test_default_buffering_compression_and_hive_prefixes(default_pipeline: BuiltPipeline) -> None:
    destination = destination_of(default_pipeline.template)
    assert destination["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 5}
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["Prefix"] == (
        "data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
    )
    assert destination["ErrorOutputPrefix"].startswith("errors/!{firehose:error-output-type}/year=")
    assert "EncryptionConfiguration" not in destination  # the bucket's SSE-S3 default applies


def test_stream_depends_on_its_policy(default_pipeline: BuiltPipeline) -> None:
    policy_id = logical_id(default_pipeline.template, "AWS::IAM::ManagedPolicy")
    assert policy_id in stream_of(default_pipeline.template)["DependsOn"]


# --- Kinesis source -------------------------------------------------------------------------------------
def test_kinesis_source_reads_the_stream_without_stream_encryption(kinesis_pipeline: BuiltPipeline) -> None:
    template = kinesis_pipeline.template
    properties = stream_of(template)["Properties"]
    assert properties["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert "DeliveryStreamEncryptionConfigurationInput" not in properties
    source_id = logical_id(template, "AWS::Kinesis::Stream")
    role_id = logical_id(template, "AWS::IAM::Role")
    assert properties["KinesisStreamSourceConfiguration"] == {
        "KinesisStreamARN": {"Fn::GetAtt": [source_id, "Arn"]},
        "RoleARN": {"Fn::GetAtt": [role_id, "Arn"]},
    }


# --- SSE-KMS and the other options ----------------------------------------------------------------------
def test_kms_option_creates_a_rotating_key_used_everywhere(kms_pipeline: BuiltPipeline) -> None:
    template = kms_pipeline.template
    key_id = logical_id(template, "AWS::KMS::Key", "DataKey")
    key = template["Resources"][key_id]
    assert key["Properties"]["EnableKeyRotation"] is True
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    data_id = logical_id(template, "AWS::S3::Bucket", "PipelineBucket")
    sse = template["Resources"][data_id]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse == {
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {"KMSMasterKeyID": key_arn, "SSEAlgorithm": "aws:kms"},
    }
    assert destination_of(template)["EncryptionConfiguration"] == {"KMSEncryptionConfig": {"AWSKMSKeyARN": key_arn}}
    assert only(template, "AWS::Logs::LogGroup")["Properties"]["KmsKeyId"] == key_arn
    assert kms_pipeline.pipeline.encryption_key is not None


def test_options_reach_the_destination(kms_pipeline: BuiltPipeline) -> None:
    destination = destination_of(kms_pipeline.template)
    assert destination["BufferingHints"] == {"IntervalInSeconds": 60, "SizeInMBs": 64}
    assert destination["CompressionFormat"] == "Snappy"
    assert destination["FileExtension"] == ".json.snappy"
    assert destination["CustomTimeZone"] == "Asia/Seoul"
    assert stream_of(kms_pipeline.template)["Properties"]["DeliveryStreamName"] == "web-logs"


def test_stream_customer_key_is_used_for_direct_put() -> None:
    stack = cdk.Stack(make_app(), "Test")
    key = kms.Key(stack, "StreamKey", enable_key_rotation=True)
    FirehoseToS3(stack, "Pipeline", stream_encryption_key=key)
    encryption = stream_of(template_json(stack))["Properties"]["DeliveryStreamEncryptionConfigurationInput"]
    assert encryption["KeyType"] == "CUSTOMER_MANAGED_CMK"
    assert encryption["KeyARN"] == {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]}  # type: ignore[arg-type]


def test_bring_your_own_bucket_creates_no_bucket() -> None:
    stack = cdk.Stack(make_app(), "Test")
    bucket = s3.Bucket.from_bucket_name(stack, "Existing", "my-existing-bucket")
    pipeline = FirehoseToS3(stack, "Pipeline", bucket=bucket)
    template = template_json(stack)
    assert not resources_of(template, "AWS::S3::Bucket")
    assert pipeline.bucket is bucket
    assert pipeline.access_logs_bucket is None
    assert statement(template, "DeliveryBucket")["Resource"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-existing-bucket"]]
    }


# --- attributes, grants and metrics ---------------------------------------------------------------------
def test_attributes_are_the_underlying_resources(default_pipeline: BuiltPipeline) -> None:
    pipeline = default_pipeline.pipeline
    assert isinstance(pipeline.delivery_stream, firehose.DeliveryStream)
    assert isinstance(pipeline.bucket, s3.Bucket)
    assert isinstance(pipeline.role, iam.Role)
    assert pipeline.role is pipeline.delivery_role.role
    assert pipeline.backup_bucket is None
    assert pipeline.encryption_key is None
    assert pipeline.log_group is not None
    assert [s.node.id for s in pipeline.log_streams] == ["S3Destination"]
    assert pipeline.transform_function is None
    assert pipeline.library_transform is None
    assert isinstance(pipeline.monitoring, DeliveryStreamMonitoring)


def test_config_is_the_resolved_configuration(default_pipeline: BuiltPipeline) -> None:
    config = default_pipeline.pipeline.config
    assert isinstance(config, ResolvedPipeline)
    assert config.buffering_size.to_mebibytes() == 5
    assert config.compression is not None
    assert config.compression.value == "GZIP"
    assert config.processors == ()
    assert config.backup is False
    assert config.options.buffering_interval.to_seconds() == 300


def test_analytics_exist_only_with_an_analytics_option(default_pipeline: BuiltPipeline) -> None:
    assert default_pipeline.pipeline.analytics is None
    assert default_pipeline.pipeline.athena_table is None
    pipeline = FirehoseToS3(
        cdk.Stack(make_app(), "Test"), "Pipeline", query_table=QueryTable(columns={"message": "string"})
    )
    assert isinstance(pipeline.analytics, PipelineAnalytics)
    assert pipeline.athena_table is not None
    assert pipeline.athena_table is pipeline.analytics.athena_table
    assert pipeline.athena_table.table_name == "pipeline"


def _producer_statement(build: Any) -> tuple[dict[str, Any], str]:
    """Build a pipeline and a producer role, call ``build(pipeline, role)``: the role's statement, the stream id."""
    stack = cdk.Stack(make_app(), "Test")
    pipeline = FirehoseToS3(stack, "Pipeline")
    producer = iam.Role(stack, "Producer", assumed_by=iam.AccountRootPrincipal())
    build(pipeline, producer)
    template = template_json(stack)
    (policy,) = resources_of(template, "AWS::IAM::Policy").values()
    (granted,) = policy["Properties"]["PolicyDocument"]["Statement"]
    return granted, logical_id(template, "AWS::KinesisFirehose::DeliveryStream")


def test_grant_put_records_is_scoped_to_the_stream() -> None:
    granted, stream_id = _producer_statement(lambda pipeline, role: pipeline.grant_put_records(role))
    assert sorted(granted["Action"]) == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    assert granted["Resource"] == {"Fn::GetAtt": [stream_id, "Arn"]}


def test_grant_gives_exactly_the_named_actions_on_the_stream() -> None:
    granted, stream_id = _producer_statement(
        lambda pipeline, role: pipeline.grant(
            role, "firehose:DescribeDeliveryStream", "firehose:ListTagsForDeliveryStream"
        )
    )
    assert granted == {
        "Action": ["firehose:DescribeDeliveryStream", "firehose:ListTagsForDeliveryStream"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [stream_id, "Arn"]},
    }


@pytest.mark.parametrize(
    ("method", "metric_name", "statistic"),
    [
        ("metric_incoming_bytes", "IncomingBytes", "Sum"),
        ("metric_incoming_records", "IncomingRecords", "Sum"),
        ("metric_throttled_records", "ThrottledRecords", "Sum"),
        ("metric_delivery_to_s3_data_freshness", "DeliveryToS3.DataFreshness", "Maximum"),
        ("metric_delivery_to_s3_success", "DeliveryToS3.Success", "Average"),
        ("metric_delivery_to_s3_records", "DeliveryToS3.Records", "Sum"),
        ("metric_backup_to_s3_data_freshness", "BackupToS3.DataFreshness", "Maximum"),
        ("metric_backup_to_s3_success", "BackupToS3.Success", "Average"),
        ("metric_backup_to_s3_records", "BackupToS3.Records", "Sum"),
    ],
)
def test_metric_helpers(default_pipeline: BuiltPipeline, method: str, metric_name: str, statistic: str) -> None:
    stack, pipeline = default_pipeline.stack, default_pipeline.pipeline
    metric = getattr(pipeline, method)()
    assert metric.namespace == "AWS/Firehose"
    assert metric.metric_name == metric_name
    assert metric.statistic == statistic
    assert metric.period.to_seconds() == 300
    assert list(metric.dimensions) == ["DeliveryStreamName"]
    dimension = stack.resolve(metric.dimensions["DeliveryStreamName"])
    assert dimension == {"Ref": stack.get_logical_id(pipeline.delivery_stream.node.default_child)}  # type: ignore[arg-type]


def test_metric_period_can_be_changed(default_pipeline: BuiltPipeline) -> None:
    metric = default_pipeline.pipeline.metric_backup_to_s3_records(period=cdk.Duration.minutes(1))
    assert metric.period.to_seconds() == 60
    assert default_pipeline.pipeline.metric("DeliveryToS3.Bytes").statistic == "Sum"


# --- source-record backup -------------------------------------------------------------------------------
def test_backup_goes_to_a_hardened_backup_bucket(backup_pipeline: BuiltPipeline) -> None:
    template = backup_pipeline.template
    destination = destination_of(template)
    assert destination["S3BackupMode"] == "Enabled"
    backup = destination["S3BackupConfiguration"]
    backup_id = logical_id(template, "AWS::S3::Bucket", "BackupBucket")
    assert backup["BucketARN"] == {"Fn::GetAtt": [backup_id, "Arn"]}
    assert backup["Prefix"] == "source-records/"
    assert backup["CompressionFormat"] == "GZIP"
    assert backup["BufferingHints"]["IntervalInSeconds"] >= 60  # zero buffering is not allowed for backup
    bucket = template["Resources"][backup_id]
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["Properties"]["LoggingConfiguration"]["LogFilePrefix"] == "backup-bucket/"
    assert bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["BucketKeyEnabled"]
    assert backup_pipeline.pipeline.backup_bucket is not None
    assert [s.node.id for s in backup_pipeline.pipeline.log_streams] == ["S3Destination", "S3Backup"]


# --- monitoring wiring (the alarm set itself is tested in monitoring/) ----------------------------------
def test_default_pipeline_has_alarms_topic_and_dashboard(default_pipeline: BuiltPipeline) -> None:
    pipeline, template = default_pipeline.pipeline, default_pipeline.template
    assert pipeline.alarm_topic is not None
    assert pipeline.dashboard is not None
    assert pipeline.alarms is pipeline.monitoring.alarms
    assert {"DeliveryFreshness", "DeliverySuccess", "ThrottledRecords"} <= set(pipeline.alarms)
    assert "KinesisLag" not in pipeline.alarms
    assert len(resources_of(template, "AWS::CloudWatch::Alarm")) == len(pipeline.alarms)
    freshness = next(
        a["Properties"]
        for a in resources_of(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "DeliveryToS3.DataFreshness"
    )
    assert freshness["Dimensions"] == [
        {"Name": "DeliveryStreamName", "Value": {"Ref": logical_id(template, "AWS::KinesisFirehose::DeliveryStream")}}
    ]


def test_kinesis_pipeline_alarms_follow_the_source(kinesis_pipeline: BuiltPipeline) -> None:
    alarms = kinesis_pipeline.pipeline.alarms
    assert "KinesisLag" in alarms
    assert "ThrottledRecords" not in alarms


def test_monitoring_can_be_switched_off() -> None:
    built = build_pipeline(monitoring=MonitoringOptions(enabled=False, dashboard=False))
    assert built.pipeline.alarm_topic is None
    assert built.pipeline.alarms == {}
    assert built.pipeline.dashboard is None
    assert not resources_of(built.template, "AWS::CloudWatch::Alarm")
    assert not resources_of(built.template, "AWS::SNS::Topic")


# --- transform wiring -----------------------------------------------------------------------------------
def _processor_parameters(template: Template) -> dict[str, Any]:
    processors = destination_of(template)["ProcessingConfiguration"]["Processors"]
    assert [p["Type"] for p in processors] == ["Lambda"]
    return {p["ParameterName"]: p["ParameterValue"] for p in processors[0]["Parameters"]}


def test_transform_is_wired_as_the_lambda_processor(transformed_pipeline: BuiltPipeline) -> None:
    pipeline, template = transformed_pipeline.pipeline, transformed_pipeline.template
    assert isinstance(pipeline.library_transform, TransformFunction)
    assert pipeline.transform_function is pipeline.library_transform.function
    function_id = logical_id(template, "AWS::Lambda::Function", "Transform")
    parameters = _processor_parameters(template)
    assert parameters["LambdaArn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert parameters["NumberOfRetries"] == "0"  # honoured, unlike the L2
    assert parameters["BufferSizeInMBs"] == "0.5"
    assert parameters["BufferIntervalInSeconds"] == "60"
    environment = template["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    assert environment["DROP_FIELDS"] == "email"


def test_transform_turns_source_backup_and_its_alarms_on(transformed_pipeline: BuiltPipeline) -> None:
    pipeline, template = transformed_pipeline.pipeline, transformed_pipeline.template
    assert destination_of(template)["S3BackupMode"] == "Enabled"
    assert pipeline.backup_bucket is not None
    assert {"TransformSuccess", "TransformErrors", "TransformRecordsFailed", "BackupFreshness"} <= set(pipeline.alarms)


def test_own_function_is_used_as_is_without_library_metrics() -> None:
    stack = cdk.Stack(make_app(), "Test")
    function = inline_function(stack, "Mine", cdk.Duration.minutes(2))
    pipeline = FirehoseToS3(stack, "Pipeline", transform=function)
    template = template_json(stack)
    function_id = stack.get_logical_id(function.node.default_child)  # type: ignore[arg-type]
    assert _processor_parameters(template)["LambdaArn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert pipeline.library_transform is None
    assert pipeline.transform_function is function
    assert "TransformRecordsFailed" not in pipeline.alarms  # a user function emits no such metric
    assert "TransformDuration" in pipeline.alarms


def test_imported_function_is_accepted() -> None:
    stack = cdk.Stack(make_app(), "Test")
    function = lambda_.Function.from_function_arn(
        stack, "Imported", "arn:aws:lambda:eu-west-1:123456789012:function:transform"
    )
    pipeline = FirehoseToS3(stack, "Pipeline", transform=function)
    assert pipeline.transform_function is function
    assert "TransformDuration" in pipeline.alarms
    # Its timeout is unknown: monitoring assumes Firehose's 5-minute limit.
    assert pipeline.monitoring.transform_timeout_ms == 300_000


# --- errors name the construct ------------------------------------------------------------------------
def test_own_function_with_too_long_timeout_is_rejected() -> None:
    stack = cdk.Stack(make_app(), "Test")
    function = inline_function(stack, "Slow", cdk.Duration.minutes(6))
    with pytest.raises(ValueError, match=r"transform function timeout must be at most 300 seconds.*got 360 s"):
        FirehoseToS3(stack, "Pipeline", transform=function)


def test_processor_options_without_transform_are_rejected() -> None:
    with pytest.raises(ValueError, match="transform_processor is set but transform is None"):
        FirehoseToS3(cdk.Stack(make_app(), "Test"), "Pipeline", transform_processor=ProcessorOptions())


def test_backup_bucket_without_backup_is_rejected() -> None:
    stack = cdk.Stack(make_app(), "Test")
    bucket = s3.Bucket.from_bucket_name(stack, "Existing", "backup")
    with pytest.raises(ValueError, match="backup_bucket is set but source backup is off"):
        FirehoseToS3(stack, "Pipeline", backup_bucket=bucket, source_backup=False)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        # a rule of one option (PipelineOptions) ...
        ({"delivery_stream_name": "my stream"}, "delivery_stream_name must be 1-64 characters"),
        # ... and one of several (resolve)
        ({"buffering_size": cdk.Size.mebibytes(129)}, "buffering_size must be between 1 and 128 MiB, got 129 MiB"),
    ],
)
def test_errors_start_with_the_construct_path(options: dict[str, Any], message: str) -> None:
    app = make_app()
    scope = cdk.Stack(app, "Test")
    with pytest.raises(ConfigurationError) as raised:
        FirehoseToS3(scope, "P", **options)
    assert str(raised.value).startswith(f"Test/P: {message}")
    assert raised.value.path == "Test/P"
    assert raised.value.message.startswith(message)


# --- issue 10: existing buckets, error logs, access logs, tokens -----------------------------------------------
def test_kms_with_an_existing_bucket_encrypts_every_object_with_a_created_key() -> None:
    stack = cdk.Stack(make_app(), "Test")
    bucket = s3.Bucket.from_bucket_name(stack, "Mine", "my-bucket")
    FirehoseToS3(stack, "P", bucket=bucket, bucket_encryption=s3.BucketEncryption.KMS)
    template = template_json(stack)
    key_id = logical_id(template, "AWS::KMS::Key", "PDataKey")
    destination = destination_of(template)
    assert destination["EncryptionConfiguration"] == {
        "KMSEncryptionConfig": {"AWSKMSKeyARN": {"Fn::GetAtt": [key_id, "Arn"]}}
    }
    kms_statement = statement(template, "DeliveryKms")
    assert kms_statement["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert kms_statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_an_existing_bucket_with_a_key_uses_that_key() -> None:
    stack = cdk.Stack(make_app(), "Test")
    key = kms.Key(stack, "Mine")
    bucket = s3.Bucket.from_bucket_attributes(stack, "Bucket", bucket_name="my-bucket", encryption_key=key)
    FirehoseToS3(stack, "P", bucket=bucket, bucket_encryption=s3.BucketEncryption.KMS)
    template = template_json(stack)
    keys = [k for k in resources_of(template, "AWS::KMS::Key") if "AlarmTopicKey" not in k]
    assert keys == [logical_id(template, "AWS::KMS::Key", "Mine")]
    assert destination_of(template)["EncryptionConfiguration"] == {
        "KMSEncryptionConfig": {"AWSKMSKeyARN": {"Fn::GetAtt": [keys[0], "Arn"]}}
    }


def test_central_access_log_bucket_and_prefix() -> None:
    stack = cdk.Stack(make_app(), "Test")
    central = s3.Bucket(stack, "Central")
    pipeline = FirehoseToS3(
        stack, "P", access_logging=AccessLogging(bucket=central, prefix="firehose/"), transform=TransformOptions()
    )
    assert pipeline.access_logs_bucket is central
    template = template_json(stack)
    buckets = resources_of(template, "AWS::S3::Bucket")
    assert not [k for k in buckets if k.startswith("PAccessLogs")]
    prefixes = sorted(
        b["Properties"]["LoggingConfiguration"]["LogFilePrefix"]
        for k, b in buckets.items()
        if k.startswith(("PBucket", "PBackupBucket"))
    )
    assert prefixes == ["firehose/backup-bucket/", "firehose/data-bucket/"]
    central_policy = next(
        v for k, v in resources_of(template, "AWS::S3::BucketPolicy").items() if k.startswith("Central")
    )
    writers = [
        s
        for s in central_policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
    ]
    assert len(writers) == 2


def test_access_logs_off_with_a_reason() -> None:
    stack = cdk.Stack(make_app(), "Test")
    pipeline = FirehoseToS3(stack, "P", access_logging=AccessLogging(enabled=False, disabled_reason="Scratch stack."))
    assert pipeline.access_logs_bucket is None
    template = template_json(stack)
    assert list(resources_of(template, "AWS::S3::Bucket")) == [logical_id(template, "AWS::S3::Bucket", "PBucket")]
    assert "LoggingConfiguration" not in only(template, "AWS::S3::Bucket")["Properties"]


Factory = Callable[[cdk.Stack, str, float], dict[str, Any]]

TOKEN_CASES: dict[str, Factory] = {
    "buffering_size": lambda st, s, n: {"buffering_size": cdk.Size.mebibytes(n)},
    "buffering_interval": lambda st, s, n: {"buffering_interval": cdk.Duration.seconds(n)},
    "data_output_prefix": lambda st, s, n: {"data_output_prefix": s, "error_output_prefix": "errors/"},
    "error_output_prefix": lambda st, s, n: {"error_output_prefix": s},
    "file_extension": lambda st, s, n: {"file_extension": s},
    "time_zone": lambda st, s, n: {"time_zone": cdk.TimeZone.of(s)},
    "delivery_stream_name": lambda st, s, n: {"delivery_stream_name": s},
    "lifecycle.noncurrent_version_expiration": lambda st, s, n: {
        "lifecycle": BucketLifecycle(noncurrent_version_expiration=cdk.Duration.days(n))
    },
    "transform_processor.buffer_size": lambda st, s, n: {
        "transform": TransformOptions(),
        "transform_processor": ProcessorOptions(buffer_size=cdk.Size.mebibytes(n)),
    },
    "transform_processor.buffer_interval": lambda st, s, n: {
        "transform": TransformOptions(),
        "transform_processor": ProcessorOptions(buffer_interval=cdk.Duration.seconds(n)),
    },
    "transform_processor.retries": lambda st, s, n: {
        "transform": TransformOptions(),
        "transform_processor": ProcessorOptions(retries=n),  # type: ignore[arg-type]
    },
    "transform.memory_size": lambda st, s, n: {"transform": TransformOptions(memory_size=cdk.Size.mebibytes(n))},
    "transform.timeout": lambda st, s, n: {"transform": TransformOptions(timeout=cdk.Duration.seconds(n))},
    "transform.reserved_concurrent_executions": lambda st, s, n: {
        "transform": TransformOptions(reserved_concurrent_executions=n)  # type: ignore[arg-type]
    },
    "transform.drop_fields": lambda st, s, n: {"transform": TransformOptions(drop_fields=(s,))},
    "transform.event_time_field": lambda st, s, n: {"transform": TransformOptions(event_time_field=s)},
    "transform.environment[LOG_LEVEL]": lambda st, s, n: {"transform": TransformOptions(environment={"LOG_LEVEL": s})},
    "transform.environment[METRICS_NAMESPACE]": lambda st, s, n: {
        "transform": TransformOptions(environment={"METRICS_NAMESPACE": s})
    },
    "monitoring.email": lambda st, s, n: {"monitoring": MonitoringOptions(email=s)},
    "dynamic_partitioning.retry_duration": lambda st, s, n: {
        "data_output_prefix": "d/k=!{partitionKeyFromQuery:k}/",
        "error_output_prefix": "e/!{firehose:error-output-type}/",
        "dynamic_partitioning": DynamicPartitioning(jq_keys={"k": ".k"}, retry_duration=cdk.Duration.seconds(n)),
    },
    "format_conversion.table_name": lambda st, s, n: {
        "format_conversion": FormatConversion(database_name="db", table_name=s),
    },
    "query_table.database_name": lambda st, s, n: {
        "query_table": QueryTable(columns={"a": "string"}, database_name=s),
    },
    "query_table.workgroup.name": lambda st, s, n: {
        "query_table": QueryTable(columns={"a": "string"}, workgroup=QueryWorkgroup(name=s)),
    },
    "query_table.workgroup.bytes_scanned_cutoff": lambda st, s, n: {
        "query_table": QueryTable(
            columns={"a": "string"}, workgroup=QueryWorkgroup(bytes_scanned_cutoff=cdk.Size.bytes(n))
        ),
    },
    "query_table.workgroup.results_prefix": lambda st, s, n: {
        "query_table": QueryTable(columns={"a": "string"}, workgroup=QueryWorkgroup(results_prefix=s)),
    },
    "access_logging.prefix": lambda st, s, n: {"access_logging": AccessLogging(prefix=s)},
    "format_conversion.catalog_id": lambda st, s, n: {
        "format_conversion": FormatConversion(database_name="db", table_name="t", catalog_id=s),
    },
    "format_conversion.version_id": lambda st, s, n: {
        "format_conversion": FormatConversion(database_name="db", table_name="t", version_id=s),
    },
    "format_conversion.parquet.max_padding": lambda st, s, n: {
        "format_conversion": FormatConversion(
            schema={"a": "string"}, parquet=ParquetOptions(max_padding=cdk.Size.bytes(n))
        ),
    },
}


@pytest.mark.parametrize("option", sorted(TOKEN_CASES))
def test_a_token_passes_through_every_checked_option(option: str) -> None:
    # Each validator skips unresolved tokens, as aws-cdk-lib's withResolved does: they are checked at deploy.
    app = make_app()
    stack = cdk.Stack(app, "Test")
    text = cdk.CfnParameter(stack, "Text").value_as_string
    number = cdk.CfnParameter(stack, "Number", type="Number").value_as_number
    FirehoseToS3(stack, "P", **TOKEN_CASES[option](stack, text, number))
    rendered = json.dumps(template_json(stack))
    assert '"Ref": "Text"' in rendered or '"Ref": "Number"' in rendered, f"{option}: the parameter is not rendered"
