"""Deployable, environment-agnostic stacks of the sample app."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_iot as iot
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from firehose_s3_constructs import ConfigurationError, FirehoseToS3, MonitoringOptions
from firehose_s3_constructs.analytics import (
    DynamicPartitioning,
    FormatConversion,
    Projection,
    QueryTable,
    QueryWorkgroup,
)
from firehose_s3_constructs.compliance import acknowledge
from firehose_s3_constructs.encryption import allow_cloudwatch_logs
from firehose_s3_constructs.storage import AccessLogging, access_log_bucket
from firehose_s3_constructs.transform import TransformOptions

__all__ = [
    "IotTelemetryStack",
    "KinesisSourceStack",
    "LogArchiveStack",
    "PipelineStack",
    "WebLogsStack",
    "add_pipeline_outputs",
    "add_sample_stacks",
]


#: ``npx cdk deploy -c alarmEmail=ops@example.com`` subscribes that address to every stack's alarm topic.
ALARM_EMAIL_CONTEXT = "alarmEmail"


def monitoring_options(scope: Construct) -> MonitoringOptions:
    """The alarms' options: the address from the ``alarmEmail`` context (if given) receives every alarm."""
    email = scope.node.try_get_context(ALARM_EMAIL_CONTEXT)
    if email is not None and not isinstance(email, str):
        raise ConfigurationError(f"context {ALARM_EMAIL_CONTEXT} must be an email address, got {email!r}")
    return MonitoringOptions(email=email or None)


def add_pipeline_outputs(stack: Stack, pipeline: FirehoseToS3) -> None:
    """The names a producer and ``firehose-s3 verify`` need after ``cdk deploy``."""
    CfnOutput(stack, "DeliveryStreamName", value=pipeline.delivery_stream.delivery_stream_name)
    CfnOutput(stack, "BucketName", value=pipeline.bucket.bucket_name)
    if pipeline.log_group is not None:
        CfnOutput(stack, "LogGroupName", value=pipeline.log_group.log_group_name)


class PipelineStack(Stack):
    """Direct PUT into the default secure pipeline, with the seed document's transform (drop ``email``)."""

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.pipeline = FirehoseToS3(
            self, "Pipeline", transform=TransformOptions(drop_fields=("email",)), monitoring=monitoring_options(self)
        )
        add_pipeline_outputs(self, self.pipeline)


class KinesisSourceStack(Stack):
    """A Kinesis Data Stream encrypted with a customer managed key, read by Firehose into S3."""

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        stream_key = kms.Key(
            self,
            "StreamKey",
            description="Encrypts the source Kinesis data stream",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.source_stream = kinesis.Stream(
            self,
            "SourceStream",
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=stream_key,
            stream_mode=kinesis.StreamMode.ON_DEMAND,
            retention_period=Duration.hours(24),
        )
        acknowledge(
            self.source_stream,
            {
                "AwsSolutions-KDS3": (
                    "This sample shows a source stream encrypted with a customer managed key on purpose: it "
                    "exercises the delivery role's kms:Decrypt grant on that key."
                )
            },
        )
        self.pipeline = FirehoseToS3(
            self,
            "Pipeline",
            source_stream=self.source_stream,
            bucket_encryption=s3.BucketEncryption.KMS,
            monitoring=monitoring_options(self),
        )
        add_pipeline_outputs(self, self.pipeline)
        CfnOutput(self, "SourceStreamName", value=self.source_stream.stream_name)


#: Columns of the web-log records after the transform (Fluent Bit's "web_combined" parser; see examples/).
WEB_LOG_COLUMNS = {
    "ts": "string",
    "ip": "string",
    "user": "string",
    "method": "string",
    "path": "string",
    "protocol": "string",
    "request": "string",
    "status": "int",
    "bytes": "bigint",
    "referrer": "string",
    "user_agent": "string",
    "host": "string",
}


class WebLogsStack(Stack):
    """The seed's example 1: web-server access logs from Fluent Bit or the Kinesis Agent, queryable in Athena.

    Direct PUT; the transform drops ``ident``, masks ``user`` and pseudonymises ``ip`` with a keyed hash;
    GZIP JSON lines under Hive-style hourly partitions; a Glue table with partition projection and an Athena
    workgroup with encrypted results and a scan cutoff.
    """

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.pipeline = FirehoseToS3(
            self,
            "Pipeline",
            transform=TransformOptions(drop_fields=("ident",), mask_fields=("user",), hash_fields=("ip",)),
            file_extension=".json.gz",
            query_table=QueryTable(columns=WEB_LOG_COLUMNS, table_name="access_logs", workgroup=QueryWorkgroup()),
            monitoring=monitoring_options(self),
        )
        add_pipeline_outputs(self, self.pipeline)
        add_query_outputs(self, self.pipeline)


#: Columns of the IoT readings, converted to Parquet (the seed's example 2).
IOT_SCHEMA = {
    "device_id": "string",
    "ts": "timestamp",
    "temperature": "double",
    "humidity": "double",
    "battery": "int",
    "location": "struct<lat:double,lon:double>",
    "tags": "map<string,string>",
}
#: Partitions by device type and by the event's own day (from ``ts`` in the data, not arrival time).
IOT_PREFIX = "iot/device_type=!{partitionKeyFromQuery:device_type}/dt=!{partitionKeyFromQuery:dt}/"
IOT_ERROR_PREFIX = "iot-errors/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/"
IOT_TOPIC_FILTER = "devices/+/telemetry"


class IotTelemetryStack(Stack):
    """The seed's example 2: MQTT -> AWS IoT Core topic rule -> Firehose -> Parquet, partitioned by data.

    The rule has its own role that may only put records to this stream, and an error action that writes
    any record the rule fails to deliver to the pipeline's bucket, so telemetry is never dropped silently.
    """

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.pipeline = FirehoseToS3(
            self,
            "Pipeline",
            data_output_prefix=IOT_PREFIX,
            error_output_prefix=IOT_ERROR_PREFIX,
            buffering_interval=Duration.seconds(300),
            format_conversion=FormatConversion(schema=IOT_SCHEMA, table_name="telemetry"),
            # dt is the reading's own day: the first 10 characters of its ISO-8601 "ts" (event time).
            dynamic_partitioning=DynamicPartitioning(
                jq_keys={"device_type": ".device_type", "dt": ".ts[0:10]"},
            ),
            query_table=QueryTable(
                projections={"dt": Projection.date("yyyy-MM-dd", "2024-01-01", "DAYS")},
                workgroup=QueryWorkgroup(),
            ),
            monitoring=monitoring_options(self),
        )
        self.rule = TelemetryRule(self, "Rule", pipeline=self.pipeline, topic_filter=IOT_TOPIC_FILTER)
        add_pipeline_outputs(self, self.pipeline)
        add_query_outputs(self, self.pipeline)
        CfnOutput(self, "TopicRuleName", value=self.rule.rule.ref)


class TelemetryRule(Construct):
    """An IoT Core topic rule that forwards device telemetry to the pipeline, with an error action."""

    #: The rule's error action writes failed messages here in the pipeline's bucket.
    ERROR_PREFIX = "iot-rule-errors/"

    def __init__(self, scope: Construct, id: str, *, pipeline: FirehoseToS3, topic_filter: str) -> None:
        super().__init__(scope, id)
        stream = pipeline.delivery_stream
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "iot.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="Lets the telemetry topic rule put records to its Firehose stream only",
        )
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="PutTelemetry",
                    actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                    resources=[stream.delivery_stream_arn],
                ),
                iam.PolicyStatement(
                    sid="WriteRuleErrors",
                    actions=["s3:PutObject"],
                    resources=[pipeline.bucket.arn_for_objects(f"{self.ERROR_PREFIX}*")],
                ),
            ],
        )
        if pipeline.encryption_key is not None:
            pipeline.encryption_key.grant(role, "kms:GenerateDataKey")
        acknowledge(
            policy,
            {
                f"AwsSolutions-IAM5[Resource::<{_logical_id(pipeline.bucket)}.Arn>/{self.ERROR_PREFIX}*]": (
                    "The rule's error action names each object itself; writes are limited to the error prefix."
                )
            },
        )
        # The rule adds a newline so Firehose's JSON de-aggregation and Athena see one reading per line.
        self.rule = iot.CfnTopicRule(
            self,
            "TopicRule",
            topic_rule_payload=iot.CfnTopicRule.TopicRulePayloadProperty(
                sql=f"SELECT * FROM '{topic_filter}'",
                aws_iot_sql_version="2016-03-23",
                rule_disabled=False,
                actions=[
                    iot.CfnTopicRule.ActionProperty(
                        firehose=iot.CfnTopicRule.FirehoseActionProperty(
                            delivery_stream_name=stream.delivery_stream_name,
                            role_arn=role.role_arn,
                            separator="\n",
                            batch_mode=False,
                        )
                    )
                ],
                error_action=iot.CfnTopicRule.ActionProperty(
                    s3=iot.CfnTopicRule.S3ActionProperty(
                        bucket_name=pipeline.bucket.bucket_name,
                        key=f"{self.ERROR_PREFIX}${{topic()}}/${{timestamp()}}-${{newuuid()}}.json",
                        role_arn=role.role_arn,
                    )
                ),
            ),
        )
        self.rule.node.add_dependency(policy)
        self.role = role


#: Where the log-archive stack writes plain log lines (one per line, GZIP) and the records it cannot use.
LOG_ARCHIVE_PREFIX = "logs/!{timestamp:yyyy/MM/dd}/"
LOG_ARCHIVE_ERROR_PREFIX = "log-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"


class LogArchiveStack(Stack):
    """The seed's log-storage case: CloudWatch Logs -> subscription filter -> Firehose -> S3, plain log lines.

    Firehose decompresses the subscription's gzip records and keeps only each event's message, so objects hold
    the application's own log lines, one per line, GZIP-compressed (``.log.gz``). The buckets' server access
    logs go to a central logging bucket (as in an organisation's log-archive account), under their own prefix.
    """

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        key = kms.Key(
            self,
            "LogsKey",
            description="Encrypts the application log group",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        allow_cloudwatch_logs(key)
        self.app_logs = logs.LogGroup(
            self,
            "AppLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.central_access_logs = access_log_bucket(self, "CentralAccessLogs", removal_policy=RemovalPolicy.RETAIN)
        self.pipeline = FirehoseToS3(
            self,
            "Pipeline",
            decompression=True,
            log_message_extraction=True,
            data_output_prefix=LOG_ARCHIVE_PREFIX,
            error_output_prefix=LOG_ARCHIVE_ERROR_PREFIX,
            file_extension=".log.gz",
            access_logging=AccessLogging(bucket=self.central_access_logs, prefix="firehose/log-archive/"),
            monitoring=monitoring_options(self),
        )
        self.pipeline.subscribe(self.app_logs)
        add_pipeline_outputs(self, self.pipeline)
        CfnOutput(self, "AppLogGroupName", value=self.app_logs.log_group_name)


def _logical_id(bucket: s3.IBucket) -> str:
    cfn = bucket.node.default_child
    assert isinstance(cfn, s3.CfnBucket)
    return Stack.of(bucket).get_logical_id(cfn)


def add_query_outputs(stack: Stack, pipeline: FirehoseToS3) -> None:
    """The Glue database/table and Athena workgroup to query after deploying."""
    table = pipeline.athena_table
    if table is None:
        return
    CfnOutput(stack, "GlueDatabase", value=table.database_name)
    CfnOutput(stack, "GlueTable", value=table.table_name)
    if table.workgroup is not None:
        CfnOutput(stack, "AthenaWorkgroup", value=table.workgroup.ref)


def add_sample_stacks(app: App) -> dict[str, Stack]:
    """Every stack of the sample app, by stack name (app.py and the snapshot tests share this)."""
    return {
        "FirehoseS3Pipeline": PipelineStack(
            app, "FirehoseS3Pipeline", description="Direct PUT Firehose to a hardened S3 bucket"
        ),
        "FirehoseS3KinesisSource": KinesisSourceStack(
            app, "FirehoseS3KinesisSource", description="Encrypted Kinesis Data Stream to S3 through Firehose"
        ),
        "FirehoseS3WebLogs": WebLogsStack(
            app, "FirehoseS3WebLogs", description="Web access logs to compressed, Athena-ready JSON in S3"
        ),
        "FirehoseS3IotTelemetry": IotTelemetryStack(
            app, "FirehoseS3IotTelemetry", description="IoT Core telemetry to partitioned Parquet in S3"
        ),
        "FirehoseS3LogArchive": LogArchiveStack(
            app, "FirehoseS3LogArchive", description="CloudWatch Logs subscription to plain log lines in S3"
        ),
    }
