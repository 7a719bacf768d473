"""The sample app's five stacks: template snapshots (asset hashes masked), the outputs a user deploys for, cdk-nag,
and the seed document's two practical examples as deployed (web logs and IoT telemetry).

The app is built once with the four nag packs and synthesized once: the templates and the findings come from
that one synthesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from cdk_helpers import (
    acknowledged,
    make_app,
    mask_template,
    nag_findings,
    only,
    resources_of,
    synthesized_template,
    template_json,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from firehose_s3_constructs import ConfigurationError
from sample_app.stacks import (
    ALARM_EMAIL_CONTEXT,
    IOT_PREFIX,
    LOG_ARCHIVE_ERROR_PREFIX,
    LOG_ARCHIVE_PREFIX,
    WEB_LOG_COLUMNS,
    add_sample_stacks,
)

STACKS = [
    "FirehoseS3Pipeline",
    "FirehoseS3KinesisSource",
    "FirehoseS3WebLogs",
    "FirehoseS3IotTelemetry",
    "FirehoseS3LogArchive",
]
Template = dict[str, Any]


@dataclass(frozen=True)
class SampleApp:
    app: cdk.App
    stacks: dict[str, cdk.Stack]
    templates: dict[str, Template]
    findings: list[tuple[str, str]]


@pytest.fixture(scope="module")
def sample() -> SampleApp:
    app = make_app(nag=True)
    stacks = add_sample_stacks(app)
    findings = nag_findings(app)
    return SampleApp(app, stacks, {name: synthesized_template(app, name) for name in STACKS}, findings)


@pytest.fixture(scope="module")
def templates(sample: SampleApp) -> dict[str, Template]:
    return sample.templates


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


# --- templates and outputs ------------------------------------------------------------------------------
def test_the_app_has_the_five_stacks(sample: SampleApp) -> None:
    assert sorted(sample.stacks) == sorted(STACKS)


@pytest.mark.parametrize("stack_name", STACKS)
def test_template_snapshot(templates: dict[str, Template], stack_name: str, json_snapshot: SnapshotAssertion) -> None:
    assert mask_template(templates[stack_name]) == json_snapshot


@pytest.mark.parametrize("stack_name", STACKS)
def test_outputs_name_the_stream_and_bucket(templates: dict[str, Template], stack_name: str) -> None:
    outputs = templates[stack_name]["Outputs"]
    assert {"DeliveryStreamName", "BucketName", "LogGroupName"} <= set(outputs)
    stream_ref = outputs["DeliveryStreamName"]["Value"]["Ref"]
    assert templates[stack_name]["Resources"][stream_ref]["Type"] == "AWS::KinesisFirehose::DeliveryStream"
    bucket_ref = outputs["BucketName"]["Value"]["Ref"]
    assert templates[stack_name]["Resources"][bucket_ref]["Type"] == "AWS::S3::Bucket"


def test_sample_app_is_environment_agnostic(templates: dict[str, Template]) -> None:
    for template in templates.values():
        # The L2's unused Firehose CIDR mapping lists regions; resources and outputs must name none.
        text = str(template["Resources"]) + str(template["Outputs"])
        assert "123456789012" not in text
        assert "us-east-1" not in text


def test_mask_template_hides_only_volatile_values() -> None:
    template = {"Resources": {"A": {"Properties": {"S3Key": "a" * 64 + ".zip", "Name": "keep"}}}}
    masked = {"Resources": {"A": {"Properties": {"S3Key": "<asset-hash>.zip", "Name": "keep"}}}}
    assert mask_template(template) == masked


def test_same_app_twice_gives_the_same_templates(templates: dict[str, Template]) -> None:
    again = add_sample_stacks(make_app())
    for name in STACKS:
        assert mask_template(template_json(again[name])) == mask_template(templates[name]), name


# --- cdk-nag --------------------------------------------------------------------------------------------
def test_sample_app_has_no_unacknowledged_findings(sample: SampleApp) -> None:
    assert sample.findings == []


def test_acknowledgments_are_narrow(sample: SampleApp) -> None:
    for stack in sample.app.node.children:
        if not isinstance(stack, cdk.Stack):
            continue
        for finding_id, path, _ in acknowledged(stack):
            assert path != stack.node.path, f"{finding_id} is acknowledged on a whole stack"
            assert "-" in finding_id
            if "IAM5" in finding_id:
                assert "[" in finding_id, "IAM5 must name the exact resource or action"


# --- the seed document's examples: web logs -------------------------------------------------------------
def _destination(template: Template) -> dict[str, Any]:
    result: dict[str, Any] = only(template, "AWS::KinesisFirehose::DeliveryStream")["Properties"][
        "ExtendedS3DestinationConfiguration"
    ]
    return result


def _transform_environment(template: Template) -> dict[str, str]:
    functions = [f for k, f in resources_of(template, "AWS::Lambda::Function").items() if "Transform" in k]
    assert len(functions) == 1
    result: dict[str, str] = functions[0]["Properties"]["Environment"]["Variables"]
    return result


def test_web_logs_transform_drops_masks_and_hashes_pii(templates: dict[str, Template]) -> None:
    environment = _transform_environment(templates["FirehoseS3WebLogs"])
    assert environment["DROP_FIELDS"] == "ident"
    assert environment["MASK_FIELDS"] == "user"
    assert environment["HASH_FIELDS"] == "ip"
    secret_ref = environment["HASH_KEY_SECRET_ARN"]["Ref"]  # type: ignore[index]
    secret = templates["FirehoseS3WebLogs"]["Resources"][secret_ref]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert "SecretString" not in secret["Properties"]  # generated by Secrets Manager, never in the template


def test_web_logs_are_gzip_json_in_hive_hourly_partitions(templates: dict[str, Template]) -> None:
    destination = _destination(templates["FirehoseS3WebLogs"])
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["FileExtension"] == ".json.gz"
    assert destination["Prefix"].startswith("data/year=!{timestamp:yyyy}/month=")
    assert "DataFormatConversionConfiguration" not in destination


def test_web_logs_table_projects_exactly_the_prefix(templates: dict[str, Template]) -> None:
    table = only(templates["FirehoseS3WebLogs"], "AWS::Glue::Table")["Properties"]["TableInput"]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["storage.location.template"]["Fn::Join"][1][-1] == (
        "/data/year=${year}/month=${month}/day=${day}/hour=${hour}/"
    )
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month", "day", "hour"]
    assert parameters["projection.month.digits"] == "2"
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == list(WEB_LOG_COLUMNS)


def test_web_logs_workgroup_encrypts_results_and_caps_scans(templates: dict[str, Template]) -> None:
    configuration = only(templates["FirehoseS3WebLogs"], "AWS::Athena::WorkGroup")["Properties"][
        "WorkGroupConfiguration"
    ]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert configuration["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] in ("SSE_S3", "SSE_KMS")


def test_web_logs_outputs_name_what_to_query(templates: dict[str, Template]) -> None:
    assert {"DeliveryStreamName", "BucketName", "GlueDatabase", "GlueTable", "AthenaWorkgroup"} <= set(
        templates["FirehoseS3WebLogs"]["Outputs"]
    )


# --- the seed document's examples: IoT telemetry --------------------------------------------------------
def test_iot_converts_to_parquet_through_the_glue_table(templates: dict[str, Template]) -> None:
    template = templates["FirehoseS3IotTelemetry"]
    destination = _destination(template)
    conversion = destination["DataFormatConversionConfiguration"]
    assert conversion["OutputFormatConfiguration"]["Serializer"] == {"ParquetSerDe": {"Compression": "SNAPPY"}}
    assert "OpenXJsonSerDe" in conversion["InputFormatConfiguration"]["Deserializer"]
    table_id = conversion["SchemaConfiguration"]["TableName"]["Ref"]
    assert template["Resources"][table_id]["Type"] == "AWS::Glue::Table"
    assert destination.get("CompressionFormat", "UNCOMPRESSED") == "UNCOMPRESSED"
    assert destination["BufferingHints"]["SizeInMBs"] >= 64


def test_iot_partitions_by_device_type_and_event_day(templates: dict[str, Template]) -> None:
    destination = _destination(templates["FirehoseS3IotTelemetry"])
    assert destination["Prefix"] == IOT_PREFIX
    assert destination["DynamicPartitioningConfiguration"]["Enabled"] is True
    processors = destination["ProcessingConfiguration"]["Processors"]
    extraction = next(p for p in processors if p["Type"] == "MetadataExtraction")
    query = next(
        p["ParameterValue"] for p in extraction["Parameters"] if p["ParameterName"] == "MetadataExtractionQuery"
    )
    assert '"device_type":.device_type' in query
    assert '"dt":.ts[0:10]' in query  # the reading's own time, not arrival time


def test_iot_rule_forwards_to_the_stream_with_an_error_action(templates: dict[str, Template]) -> None:
    template = templates["FirehoseS3IotTelemetry"]
    payload = only(template, "AWS::IoT::TopicRule")["Properties"]["TopicRulePayload"]
    stream_id = next(iter(resources_of(template, "AWS::KinesisFirehose::DeliveryStream")))
    firehose_action = payload["Actions"][0]["Firehose"]
    assert firehose_action["DeliveryStreamName"] == {"Ref": stream_id}
    assert firehose_action["Separator"] == "\n"
    assert payload["Sql"] == "SELECT * FROM 'devices/+/telemetry'"
    error = payload["ErrorAction"]["S3"]
    assert error["Key"].startswith("iot-rule-errors/")
    assert error["RoleArn"] == firehose_action["RoleArn"]


def test_iot_rule_role_can_only_put_to_its_stream_and_error_prefix(templates: dict[str, Template]) -> None:
    template = templates["FirehoseS3IotTelemetry"]
    role_id = only(template, "AWS::IoT::TopicRule")["Properties"]["TopicRulePayload"]["ErrorAction"]["S3"]["RoleArn"][
        "Fn::GetAtt"
    ][0]
    role = template["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "iot.amazonaws.com"}
    policies = [
        p
        for p in resources_of(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    assert len(policies) == 1
    statements = {s["Sid"]: s for s in policies[0]["Properties"]["PolicyDocument"]["Statement"]}
    assert set(statements) == {"PutTelemetry", "WriteRuleErrors"}
    assert sorted(statements["PutTelemetry"]["Action"]) == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    stream_id = next(iter(resources_of(template, "AWS::KinesisFirehose::DeliveryStream")))
    assert statements["PutTelemetry"]["Resource"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    assert statements["WriteRuleErrors"]["Action"] == "s3:PutObject"
    assert statements["WriteRuleErrors"]["Resource"]["Fn::Join"][1][-1] == "/iot-rule-errors/*"


def test_iot_alarms_include_conversion_and_partition_failures(templates: dict[str, Template]) -> None:
    metrics = {
        a["Properties"].get("MetricName")
        for a in resources_of(templates["FirehoseS3IotTelemetry"], "AWS::CloudWatch::Alarm").values()
    }
    assert {"FailedConversion.Records", "PartitionCountExceeded", "DeliveryToS3.DataFreshness"} <= metrics


# --- the seed's log storage: CloudWatch Logs -> Firehose -> S3 ------------------------------------------------
def test_log_archive_stores_plain_log_lines_from_a_subscription(templates: dict[str, Template]) -> None:
    template = templates["FirehoseS3LogArchive"]
    destination = _destination(template)
    processors = destination["ProcessingConfiguration"]["Processors"]
    assert [p["Type"] for p in processors] == ["Decompression", "CloudWatchLogProcessing", "AppendDelimiterToRecord"]
    assert destination["Prefix"] == LOG_ARCHIVE_PREFIX
    assert destination["ErrorOutputPrefix"] == LOG_ARCHIVE_ERROR_PREFIX
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["FileExtension"] == ".log.gz"
    subscription = only(template, "AWS::Logs::SubscriptionFilter")["Properties"]
    app_logs = next(k for k in resources_of(template, "AWS::Logs::LogGroup") if k.startswith("AppLogs"))
    assert subscription["LogGroupName"] == {"Ref": app_logs}
    assert "DecompressionFailed" in str(resources_of(template, "AWS::CloudWatch::Alarm"))


def test_log_archive_buckets_log_to_the_central_bucket(templates: dict[str, Template]) -> None:
    template = templates["FirehoseS3LogArchive"]
    buckets = resources_of(template, "AWS::S3::Bucket")
    central = next(k for k in buckets if k.startswith("CentralAccessLogs"))
    logged = {
        k: b["Properties"]["LoggingConfiguration"]
        for k, b in buckets.items()
        if "LoggingConfiguration" in b["Properties"]
    }
    assert logged
    for configuration in logged.values():
        assert configuration["DestinationBucketName"] == {"Ref": central}
        assert configuration["LogFilePrefix"].startswith("firehose/log-archive/")


def test_alarm_email_context_subscribes_the_address_in_every_stack() -> None:
    app = make_app()
    app.node.set_context(ALARM_EMAIL_CONTEXT, "ops@example.com")
    stacks = add_sample_stacks(app)
    for name in STACKS:
        subscription = only(template_json(stacks[name]), "AWS::SNS::Subscription")["Properties"]
        assert subscription["Protocol"] == "email"
        assert subscription["Endpoint"] == "ops@example.com"


def test_without_the_context_nobody_is_subscribed(templates: dict[str, Template]) -> None:
    for name in STACKS:
        assert not resources_of(templates[name], "AWS::SNS::Subscription")


def test_a_bad_alarm_email_context_fails_at_synth() -> None:
    app = make_app()
    app.node.set_context(ALARM_EMAIL_CONTEXT, "not-an-address")
    with pytest.raises(ConfigurationError, match="email must look like an email address"):
        add_sample_stacks(app)
