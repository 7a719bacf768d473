"""What FirehoseToS3 promises: secure defaults, least-privilege IAM, the options and the escape hatches."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from cdk_helpers import make_app, only, resources_of, template_json

from firehose_s3_constructs import FirehoseToS3
from firehose_s3_constructs.delivery_role import S3_BUCKET_ACTIONS, S3_OBJECT_ACTIONS
from firehose_s3_constructs.monitoring import MonitoringOptions
from firehose_s3_constructs.transform import ProcessorOptions, TransformOptions

Template = dict[str, Any]


def _build(**options: Any) -> tuple[cdk.Stack, FirehoseToS3, Template]:
    app = make_app()
    stack = cdk.Stack(app, "Test")
    pipeline = FirehoseToS3(stack, "Pipeline", **options)
    return stack, pipeline, template_json(stack)


@pytest.fixture(scope="module")
def default() -> tuple[cdk.Stack, FirehoseToS3, Template]:
    return _build()


@pytest.fixture(scope="module")
def default_template(default: tuple[cdk.Stack, FirehoseToS3, Template]) -> Template:
    return default[2]


@pytest.fixture(scope="module")
def kinesis_source() -> tuple[cdk.Stack, FirehoseToS3, Template]:
    app = make_app()
    stack = cdk.Stack(app, "Test")
    key = kms.Key(stack, "StreamKey", enable_key_rotation=True)
    stream = kinesis.Stream(stack, "Source", encryption=kinesis.StreamEncryption.KMS, encryption_key=key)
    pipeline = FirehoseToS3(stack, "Pipeline", source_stream=stream)
    return stack, pipeline, template_json(stack)


@pytest.fixture(scope="module")
def kms_template() -> Template:
    return _build(
        bucket_encryption=s3.BucketEncryption.KMS,
        buffering_size=cdk.Size.mebibytes(64),
        buffering_interval=cdk.Duration.seconds(60),
        compression=firehose.Compression.SNAPPY,
        file_extension=".json.snappy",
        time_zone=cdk.TimeZone.ASIA_SEOUL,
        delivery_stream_name="web-logs",
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )[2]


def _stream(template: Template) -> dict[str, Any]:
    return only(template, "AWS::KinesisFirehose::DeliveryStream")


def _destination(template: Template) -> dict[str, Any]:
    result: dict[str, Any] = _stream(template)["Properties"]["ExtendedS3DestinationConfiguration"]
    return result


def _policy_statements(template: Template) -> list[dict[str, Any]]:
    policy_id = _logical_id(template, "AWS::IAM::ManagedPolicy", "DeliveryRole")
    statements: list[dict[str, Any]] = template["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _statement(template: Template, sid: str) -> dict[str, Any]:
    matches = [s for s in _policy_statements(template) if s.get("Sid") == sid]
    assert len(matches) == 1, f"no single statement {sid}"
    return matches[0]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _logical_id(template: Template, resource_type: str, path_fragment: str = "") -> str:
    ids = [k for k in resources_of(template, resource_type) if path_fragment in k]
    assert len(ids) == 1, f"{resource_type} {path_fragment}: {ids}"
    return ids[0]


# --- defaults -------------------------------------------------------------------------------------------
def test_default_stream_is_direct_put_with_aws_owned_key(default_template: Template) -> None:
    properties = _stream(default_template)["Properties"]
    assert properties["DeliveryStreamType"] == "DirectPut"
    assert properties["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
    assert "DeliveryStreamName" not in properties


def test_default_buffering_compression_and_hive_prefixes(default_template: Template) -> None:
    destination = _destination(default_template)
    assert destination["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 5}
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["Prefix"] == (
        "data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
    )
    assert destination["ErrorOutputPrefix"].startswith("errors/!{firehose:error-output-type}/year=")
    assert "EncryptionConfiguration" not in destination  # the bucket's SSE-S3 default applies


def test_default_error_logging_is_wired_to_a_one_year_log_group(default_template: Template) -> None:
    logging = _destination(default_template)["CloudWatchLoggingOptions"]
    group_id = _logical_id(default_template, "AWS::Logs::LogGroup")
    assert logging["Enabled"] is True
    assert logging["LogGroupName"] == {"Ref": group_id}
    stream_id = logging["LogStreamName"]["Ref"]
    assert default_template["Resources"][stream_id]["Type"] == "AWS::Logs::LogStream"
    group = default_template["Resources"][group_id]
    assert group["Properties"]["RetentionInDays"] == 365
    assert group["DeletionPolicy"] == "Retain"
    assert "KmsKeyId" not in group["Properties"]


def test_created_buckets_are_hardened_and_retained(default_template: Template) -> None:
    buckets = resources_of(default_template, "AWS::S3::Bucket")
    assert len(buckets) == 2  # data + access logs (no backup without a transform)
    for bucket in buckets.values():
        properties = bucket["Properties"]
        assert bucket["DeletionPolicy"] == "Retain"
        assert bucket["UpdateReplacePolicy"] == "Retain"
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        sse = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
        rule = properties["LifecycleConfiguration"]["Rules"][0]
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
        assert "ExpirationInDays" not in rule
    assert not resources_of(default_template, "Custom::S3AutoDeleteObjects")


def test_data_bucket_logs_to_the_access_log_bucket(default_template: Template) -> None:
    data_id = _logical_id(default_template, "AWS::S3::Bucket", "PipelineBucket")
    logs_id = _logical_id(default_template, "AWS::S3::Bucket", "AccessLogs")
    logging = default_template["Resources"][data_id]["Properties"]["LoggingConfiguration"]
    assert logging == {"DestinationBucketName": {"Ref": logs_id}, "LogFilePrefix": "data-bucket/"}


def test_bucket_policies_deny_insecure_transport_and_old_tls(default_template: Template) -> None:
    policies = resources_of(default_template, "AWS::S3::BucketPolicy")
    assert len(policies) == 2
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        denies = [s for s in statements if s["Effect"] == "Deny"]
        conditions = [json.dumps(s["Condition"]) for s in denies]
        assert any('"aws:SecureTransport": "false"' in c for c in conditions)
        assert any('"s3:TlsVersion": 1.2' in c for c in conditions)


# --- least-privilege IAM --------------------------------------------------------------------------------
def test_role_trusts_only_firehose_from_this_account(default_template: Template) -> None:
    role = only(default_template, "AWS::IAM::Role")["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}},
            "Effect": "Allow",
            "Principal": {"Service": "firehose.amazonaws.com"},
        }
    ]
    assert "Policies" not in role  # no inline policy
    assert "ManagedPolicyArns" not in role


def test_policy_has_exactly_the_documented_s3_actions(default_template: Template) -> None:
    bucket_id = _logical_id(default_template, "AWS::S3::Bucket", "PipelineBucket")
    bucket_arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    bucket_statement = _statement(default_template, "DeliveryBucket")
    assert sorted(bucket_statement["Action"]) == sorted(S3_BUCKET_ACTIONS)
    assert bucket_statement["Resource"] == bucket_arn
    objects = _statement(default_template, "DeliveryObjects")
    assert sorted(objects["Action"]) == sorted(S3_OBJECT_ACTIONS)
    assert objects["Resource"] == [
        {"Fn::Join": ["", [bucket_arn, "/data/year=*"]]},
        {"Fn::Join": ["", [bucket_arn, "/errors/*"]]},
    ]
    all_actions = [a for s in _policy_statements(default_template) for a in _as_list(s["Action"])]
    assert sorted(set(S3_BUCKET_ACTIONS + S3_OBJECT_ACTIONS)) == sorted(a for a in all_actions if a[:3] == "s3:")
    assert not any("*" in action for action in all_actions)
    assert not any(r == "*" for s in _policy_statements(default_template) for r in _as_list(s["Resource"]))


def test_logs_permission_is_the_exact_log_stream(default_template: Template) -> None:
    statement = _statement(default_template, "ErrorLogging")
    assert statement["Action"] == "logs:PutLogEvents"
    group_id = _logical_id(default_template, "AWS::Logs::LogGroup")
    stream_id = _destination(default_template)["CloudWatchLoggingOptions"]["LogStreamName"]["Ref"]
    parts = statement["Resource"]["Fn::Join"][1]
    assert {"Ref": group_id} in parts
    assert {"Ref": stream_id} in parts
    assert ":log-stream:" in parts


def test_stream_depends_on_its_policy(default_template: Template) -> None:
    policy_id = _logical_id(default_template, "AWS::IAM::ManagedPolicy")
    assert policy_id in _stream(default_template)["DependsOn"]


def test_no_kms_or_kinesis_statements_without_keys_or_source(default_template: Template) -> None:
    actions = [a for s in _policy_statements(default_template) for a in _as_list(s["Action"])]
    assert not [a for a in actions if a.startswith(("kms:", "kinesis:", "lambda:", "glue:"))]


# --- Kinesis source -------------------------------------------------------------------------------------
def test_kinesis_source_reads_the_stream_without_stream_encryption(
    kinesis_source: tuple[cdk.Stack, FirehoseToS3, Template],
) -> None:
    template = kinesis_source[2]
    properties = _stream(template)["Properties"]
    assert properties["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert "DeliveryStreamEncryptionConfigurationInput" not in properties
    source_id = _logical_id(template, "AWS::Kinesis::Stream")
    role_id = _logical_id(template, "AWS::IAM::Role")
    assert properties["KinesisStreamSourceConfiguration"] == {
        "KinesisStreamARN": {"Fn::GetAtt": [source_id, "Arn"]},
        "RoleARN": {"Fn::GetAtt": [role_id, "Arn"]},
    }
    read = _statement(template, "ReadSourceStream")
    assert sorted(read["Action"]) == [
        "kinesis:DescribeStream",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    ]
    assert read["Resource"] == {"Fn::GetAtt": [source_id, "Arn"]}


def test_kinesis_source_with_customer_key_gets_decrypt_on_that_key(
    kinesis_source: tuple[cdk.Stack, FirehoseToS3, Template],
) -> None:
    template = kinesis_source[2]
    key_id = _logical_id(template, "AWS::KMS::Key", "StreamKey")
    decrypt = _statement(template, "DecryptSourceStream")
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", ["kinesis.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
    }


# --- SSE-KMS and the other options ----------------------------------------------------------------------
def test_kms_option_creates_a_rotating_key_used_everywhere(kms_template: Template) -> None:
    key_id = _logical_id(kms_template, "AWS::KMS::Key", "DataKey")
    key = kms_template["Resources"][key_id]
    assert key["Properties"]["EnableKeyRotation"] is True
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    data_id = _logical_id(kms_template, "AWS::S3::Bucket", "PipelineBucket")
    sse = kms_template["Resources"][data_id]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse == {
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {"KMSMasterKeyID": key_arn, "SSEAlgorithm": "aws:kms"},
    }
    assert _destination(kms_template)["EncryptionConfiguration"] == {"KMSEncryptionConfig": {"AWSKMSKeyARN": key_arn}}
    assert only(kms_template, "AWS::Logs::LogGroup")["Properties"]["KmsKeyId"] == key_arn


def test_kms_statement_is_scoped_by_service_and_encryption_context(kms_template: Template) -> None:
    statement = _statement(kms_template, "DeliveryKms")
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    key_id = _logical_id(kms_template, "AWS::KMS::Key", "DataKey")
    assert statement["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
    }
    data_id = _logical_id(kms_template, "AWS::S3::Bucket", "PipelineBucket")
    bucket_arn = {"Fn::GetAtt": [data_id, "Arn"]}
    # Both the bucket (S3 Bucket Keys) and its objects must be admitted.
    assert statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [
        bucket_arn,
        {"Fn::Join": ["", [bucket_arn, "/data/year=*"]]},
        {"Fn::Join": ["", [bucket_arn, "/errors/*"]]},
    ]


def test_options_reach_the_destination(kms_template: Template) -> None:
    destination = _destination(kms_template)
    assert destination["BufferingHints"] == {"IntervalInSeconds": 60, "SizeInMBs": 64}
    assert destination["CompressionFormat"] == "Snappy"
    assert destination["FileExtension"] == ".json.snappy"
    assert destination["CustomTimeZone"] == "Asia/Seoul"
    assert _stream(kms_template)["Properties"]["DeliveryStreamName"] == "web-logs"


def test_destroy_deletes_buckets_and_their_objects(kms_template: Template) -> None:
    for bucket in resources_of(kms_template, "AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Delete"
    assert len(resources_of(kms_template, "Custom::S3AutoDeleteObjects")) == 2


def test_stream_customer_key_is_used_for_direct_put() -> None:
    app = make_app()
    stack = cdk.Stack(app, "Test")
    key = kms.Key(stack, "StreamKey", enable_key_rotation=True)
    FirehoseToS3(stack, "Pipeline", stream_encryption_key=key)
    encryption = _stream(template_json(stack))["Properties"]["DeliveryStreamEncryptionConfigurationInput"]
    assert encryption["KeyType"] == "CUSTOMER_MANAGED_CMK"
    assert encryption["KeyARN"] == {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]}  # type: ignore[arg-type]


def test_bring_your_own_bucket_creates_no_bucket() -> None:
    app = make_app()
    stack = cdk.Stack(app, "Test")
    bucket = s3.Bucket.from_bucket_name(stack, "Existing", "my-existing-bucket")
    pipeline = FirehoseToS3(stack, "Pipeline", bucket=bucket)
    template = template_json(stack)
    assert not resources_of(template, "AWS::S3::Bucket")
    assert pipeline.bucket is bucket
    assert pipeline.access_logs_bucket is None
    assert _statement(template, "DeliveryBucket")["Resource"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-existing-bucket"]]
    }


def test_custom_static_prefix_scopes_objects_to_it() -> None:
    _, _, template = _build(data_output_prefix="firehose-output/", error_output_prefix="firehose-errors/")
    resources = _statement(template, "DeliveryObjects")["Resource"]
    suffixes = [r["Fn::Join"][1][1] for r in resources]
    assert suffixes == ["/firehose-errors/*", "/firehose-output/*"]


def test_prefix_starting_with_an_expression_needs_the_whole_bucket() -> None:
    _, _, template = _build(
        data_output_prefix="!{timestamp:yyyy}/", error_output_prefix="!{firehose:error-output-type}/"
    )
    resources = _as_list(_statement(template, "DeliveryObjects")["Resource"])
    assert [r["Fn::Join"][1][1] for r in resources] == ["/*"]


# --- attributes, grants and metrics ---------------------------------------------------------------------
def test_attributes_are_the_underlying_resources(default: tuple[cdk.Stack, FirehoseToS3, Template]) -> None:
    _, pipeline, _ = default
    assert isinstance(pipeline.delivery_stream, firehose.DeliveryStream)
    assert isinstance(pipeline.bucket, s3.Bucket)
    assert isinstance(pipeline.role, iam.Role)
    assert pipeline.backup_bucket is None
    assert pipeline.encryption_key is None
    assert pipeline.log_group is not None


def test_grant_put_records_is_scoped_to_the_stream() -> None:
    app = make_app()
    stack = cdk.Stack(app, "Test")
    pipeline = FirehoseToS3(stack, "Pipeline")
    producer = iam.Role(stack, "Producer", assumed_by=iam.AccountRootPrincipal())
    pipeline.grant_put_records(producer)
    template = template_json(stack)
    policy = next(iter(resources_of(template, "AWS::IAM::Policy").values()))
    statement = policy["Properties"]["PolicyDocument"]["Statement"][0]
    assert sorted(statement["Action"]) == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    stream_id = _logical_id(template, "AWS::KinesisFirehose::DeliveryStream")
    assert statement["Resource"] == {"Fn::GetAtt": [stream_id, "Arn"]}


@pytest.mark.parametrize(
    ("method", "metric_name", "statistic"),
    [
        ("metric_incoming_bytes", "IncomingBytes", "Sum"),
        ("metric_incoming_records", "IncomingRecords", "Sum"),
        ("metric_throttled_records", "ThrottledRecords", "Sum"),
        ("metric_delivery_to_s3_data_freshness", "DeliveryToS3.DataFreshness", "Maximum"),
        ("metric_delivery_to_s3_success", "DeliveryToS3.Success", "Average"),
        ("metric_delivery_to_s3_records", "DeliveryToS3.Records", "Sum"),
    ],
)
def test_metric_helpers(
    default: tuple[cdk.Stack, FirehoseToS3, Template], method: str, metric_name: str, statistic: str
) -> None:
    stack, pipeline, _ = default
    metric = getattr(pipeline, method)()
    assert metric.namespace == "AWS/Firehose"
    assert metric.metric_name == metric_name
    assert metric.statistic == statistic
    assert metric.period.to_seconds() == 300
    dimension = stack.resolve(metric.dimensions["DeliveryStreamName"])
    assert dimension == {"Ref": stack.get_logical_id(pipeline.delivery_stream.node.default_child)}  # type: ignore[arg-type]


# --- source-record backup -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def backup_template() -> Template:
    return _build(source_backup=True, bucket_encryption=s3.BucketEncryption.KMS)[2]


def test_backup_goes_to_a_hardened_backup_bucket(backup_template: Template) -> None:
    destination = _destination(backup_template)
    assert destination["S3BackupMode"] == "Enabled"
    backup = destination["S3BackupConfiguration"]
    backup_id = _logical_id(backup_template, "AWS::S3::Bucket", "BackupBucket")
    assert backup["BucketARN"] == {"Fn::GetAtt": [backup_id, "Arn"]}
    assert backup["Prefix"] == "source-records/"
    assert backup["CompressionFormat"] == "GZIP"
    assert backup["BufferingHints"]["IntervalInSeconds"] >= 60  # zero buffering is not allowed for backup
    bucket = backup_template["Resources"][backup_id]
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["Properties"]["LoggingConfiguration"]["LogFilePrefix"] == "backup-bucket/"
    assert bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["BucketKeyEnabled"]


def test_backup_has_its_own_log_stream_and_scoped_permissions(backup_template: Template) -> None:
    backup = _destination(backup_template)["S3BackupConfiguration"]
    backup_stream = backup["CloudWatchLoggingOptions"]["LogStreamName"]
    main_stream = _destination(backup_template)["CloudWatchLoggingOptions"]["LogStreamName"]
    assert backup_stream != main_stream
    resources = _as_list(_statement(backup_template, "ErrorLogging")["Resource"])
    assert len(resources) == 2
    backup_id = _logical_id(backup_template, "AWS::S3::Bucket", "BackupBucket")
    objects = _statement(backup_template, "BackupObjects")
    assert objects["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [backup_id, "Arn"]}, "/source-records/*"]]}
    assert sorted(objects["Action"]) == sorted(S3_OBJECT_ACTIONS)
    assert "BackupKms" in {s["Sid"] for s in _policy_statements(backup_template)}


def test_backup_bucket_without_backup_is_rejected() -> None:
    app = make_app()
    stack = cdk.Stack(app, "Test")
    bucket = s3.Bucket.from_bucket_name(stack, "Existing", "backup")
    with pytest.raises(ValueError, match="backup_bucket is set but source backup is off"):
        FirehoseToS3(stack, "Pipeline", backup_bucket=bucket, source_backup=False)


# --- monitoring wiring (the alarm set itself is tested in test_monitoring.py) ----------------------------
def test_default_pipeline_has_alarms_topic_and_dashboard(default: tuple[cdk.Stack, FirehoseToS3, Template]) -> None:
    _, pipeline, template = default
    assert pipeline.alarm_topic is not None
    assert pipeline.dashboard is not None
    assert {"DeliveryFreshness", "DeliverySuccess", "ThrottledRecords"} <= set(pipeline.alarms)
    assert "KinesisLag" not in pipeline.alarms
    assert len(resources_of(template, "AWS::CloudWatch::Alarm")) == len(pipeline.alarms)
    freshness = next(
        a["Properties"]
        for a in resources_of(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "DeliveryToS3.DataFreshness"
    )
    assert freshness["Dimensions"] == [
        {"Name": "DeliveryStreamName", "Value": {"Ref": _logical_id(template, "AWS::KinesisFirehose::DeliveryStream")}}
    ]


def test_kinesis_pipeline_alarms_follow_the_source(kinesis_source: tuple[cdk.Stack, FirehoseToS3, Template]) -> None:
    alarms = kinesis_source[1].alarms
    assert "KinesisLag" in alarms
    assert "ThrottledRecords" not in alarms


def test_monitoring_can_be_switched_off() -> None:
    _, pipeline, template = _build(monitoring=MonitoringOptions(enabled=False, dashboard=False))
    assert pipeline.alarm_topic is None
    assert pipeline.alarms == {}
    assert pipeline.dashboard is None
    assert not resources_of(template, "AWS::CloudWatch::Alarm")
    assert not resources_of(template, "AWS::SNS::Topic")


# --- transform wiring -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def transformed() -> tuple[cdk.Stack, FirehoseToS3, Template]:
    return _build(
        transform=TransformOptions(drop_fields=("email",)),
        transform_processor=ProcessorOptions(retries=0, buffer_size=cdk.Size.kibibytes(512)),
    )


def _processor_parameters(template: Template) -> dict[str, Any]:
    processors = _destination(template)["ProcessingConfiguration"]["Processors"]
    assert [p["Type"] for p in processors] == ["Lambda"]
    return {p["ParameterName"]: p["ParameterValue"] for p in processors[0]["Parameters"]}


def test_transform_is_wired_as_the_lambda_processor(transformed: tuple[cdk.Stack, FirehoseToS3, Template]) -> None:
    _, pipeline, template = transformed
    assert pipeline.transform is not None
    function_id = _logical_id(template, "AWS::Lambda::Function", "Transform")
    parameters = _processor_parameters(template)
    assert parameters["LambdaArn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert parameters["NumberOfRetries"] == "0"  # honoured, unlike the L2
    assert parameters["BufferSizeInMBs"] == "0.5"
    assert parameters["BufferIntervalInSeconds"] == "60"
    environment = template["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    assert environment["DROP_FIELDS"] == "email"


def test_transform_grants_exactly_invoke_and_configuration(
    transformed: tuple[cdk.Stack, FirehoseToS3, Template],
) -> None:
    template = transformed[2]
    function_id = _logical_id(template, "AWS::Lambda::Function", "Transform")
    statement = _statement(template, "InvokeTransform")
    assert sorted(statement["Action"]) == ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction"]
    assert statement["Resource"] == {"Fn::GetAtt": [function_id, "Arn"]}


def test_transform_turns_source_backup_and_its_alarms_on(
    transformed: tuple[cdk.Stack, FirehoseToS3, Template],
) -> None:
    _, pipeline, template = transformed
    assert _destination(template)["S3BackupMode"] == "Enabled"
    assert pipeline.backup_bucket is not None
    assert {"TransformSuccess", "TransformErrors", "TransformRecordsFailed", "BackupFreshness"} <= set(pipeline.alarms)


def test_own_function_is_used_as_is_without_library_metrics() -> None:
    app = make_app()
    stack = cdk.Stack(app, "Test")
    function = lambda_.Function(
        stack,
        "Mine",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
        timeout=cdk.Duration.minutes(2),
    )
    pipeline = FirehoseToS3(stack, "Pipeline", transform=function)
    template = template_json(stack)
    function_id = stack.get_logical_id(function.node.default_child)  # type: ignore[arg-type]
    assert _processor_parameters(template)["LambdaArn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert pipeline.transform is None
    assert pipeline.transform_function is function
    assert "TransformRecordsFailed" not in pipeline.alarms  # a user function emits no such metric
    assert "TransformDuration" in pipeline.alarms


def test_imported_function_is_accepted() -> None:
    app = make_app()
    stack = cdk.Stack(app, "Test")
    function = lambda_.Function.from_function_arn(
        stack, "Imported", "arn:aws:lambda:eu-west-1:123456789012:function:transform"
    )
    pipeline = FirehoseToS3(stack, "Pipeline", transform=function)
    assert pipeline.transform_function is function
    assert "TransformDuration" in pipeline.alarms


def test_own_function_with_too_long_timeout_is_rejected() -> None:
    app = make_app()
    stack = cdk.Stack(app, "Test")
    function = lambda_.Function(
        stack,
        "Slow",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
        timeout=cdk.Duration.minutes(6),
    )
    with pytest.raises(ValueError, match=r"transform function timeout must be at most 300 seconds.*got 360 s"):
        FirehoseToS3(stack, "Pipeline", transform=function)


def test_processor_options_without_transform_are_rejected() -> None:
    app = make_app()
    with pytest.raises(ValueError, match="transform_processor is set but transform is None"):
        FirehoseToS3(cdk.Stack(app, "Test"), "Pipeline", transform_processor=ProcessorOptions())
