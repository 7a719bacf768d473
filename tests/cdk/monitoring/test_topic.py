"""The alarm topic: encrypted with a rotating key CloudWatch may use, TLS-only, open to this account's alarms."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from cdk_helpers import make_app, resources_of
from cdk_helpers.monitoring import Monitored

from firehose_s3_constructs.monitoring.topic import create_alarm_topic


def test_topic_is_encrypted_with_a_rotating_customer_key(direct: Monitored) -> None:
    monitoring = direct.monitoring
    assert monitoring.alarm_topic is not None
    assert monitoring.alarm_topic_key is not None
    topic = direct.template["Resources"][direct.lid(monitoring.alarm_topic)]
    key_id = direct.lid(monitoring.alarm_topic_key)
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = direct.template["Resources"][key_id]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Delete"


def test_key_policy_lets_cloudwatch_use_the_key(direct: Monitored) -> None:
    assert direct.monitoring.alarm_topic_key is not None
    key = direct.template["Resources"][direct.lid(direct.monitoring.alarm_topic_key)]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch_statements = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch_statements == [
        {
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Resource": "*",
            "Sid": "AllowCloudWatchAlarmsToUseTheKey",
        }
    ]


def test_topic_policy_is_tls_only_and_admits_this_accounts_alarms(direct: Monitored) -> None:
    assert direct.monitoring.alarm_topic is not None
    topic = direct.ref(direct.monitoring.alarm_topic)
    (policy,) = resources_of(direct.template, "AWS::SNS::TopicPolicy").values()
    assert policy["Properties"]["Topics"] == [topic]
    deny, allow = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny == {
        "Action": "sns:Publish",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": "*",
        "Resource": topic,
        "Sid": "AllowPublishThroughSSLOnly",
    }
    assert allow["Effect"] == "Allow"
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Resource"] == topic
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":alarm:*" in json.dumps(allow["Condition"]["ArnLike"]["aws:SourceArn"])


def test_create_alarm_topic_names_its_two_children() -> None:
    scope = cdk.Stack(make_app(), "Test")
    topic, key = create_alarm_topic(scope)
    assert isinstance(topic, sns.Topic)
    assert isinstance(key, kms.Key)
    assert (topic.node.id, key.node.id) == ("AlarmTopic", "AlarmTopicKey")
    assert topic.node.scope is scope
