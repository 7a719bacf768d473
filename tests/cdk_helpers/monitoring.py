"""DeliveryStreamMonitoring test stacks: a bare L2 delivery stream, a stand-in transform function, and the
synthesized result (template and cdk-nag findings) of one monitored stack."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import IConstruct

from firehose_s3_constructs.monitoring import DeliveryStreamMonitoring

from . import nag_findings, resources_of, synthesized_template

GT = "GreaterThanThreshold"
LT = "LessThanThreshold"
NB = "notBreaching"
#: The monitored stacks of tests/cdk/monitoring/conftest.py (fixture names).
CONFIGS = ("direct", "full", "kinesis_source", "custom", "off", "extended")


@dataclass
class Monitored:
    """One synthesized stack with a ``DeliveryStreamMonitoring``, its template and its nag findings."""

    stack: cdk.Stack
    monitoring: DeliveryStreamMonitoring
    stream: firehose.IDeliveryStream
    template: dict[str, Any]
    findings: list[tuple[str, str]]
    function: lambda_.Function | None = None
    user_topic: sns.Topic | None = None
    pager_topic: sns.Topic | None = None

    def lid(self, construct: IConstruct) -> str:
        """The logical id of ``construct`` (or of its default child)."""
        element = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
        return self.stack.get_logical_id(cast(cdk.CfnElement, element))

    def ref(self, construct: IConstruct) -> dict[str, str]:
        return {"Ref": self.lid(construct)}

    def alarm(self, name: str) -> dict[str, Any]:
        props: dict[str, Any] = self.template["Resources"][self.lid(self.monitoring.alarms[name])]["Properties"]
        return props

    def dashboard_widgets(self) -> list[dict[str, Any]]:
        """The dashboard's widgets, with every CloudFormation reference in the body replaced by ``<ref>``."""
        (dashboard,) = resources_of(self.template, "AWS::CloudWatch::Dashboard").values()
        parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
        body = "".join(part if isinstance(part, str) else "<ref>" for part in parts)
        widgets: list[dict[str, Any]] = json.loads(body)["widgets"]
        return widgets


def delivery_stream(stack: cdk.Stack, **kwargs: Any) -> firehose.DeliveryStream:
    """A bare L2 stream into a bare bucket (the monitoring's subject, not its concern)."""
    return firehose.DeliveryStream(stack, "Stream", destination=firehose.S3Bucket(s3.Bucket(stack, "Bucket")), **kwargs)


def stand_in_function(stack: cdk.Stack, timeout: Duration | None, id: str = "Transform") -> lambda_.Function:
    """An inline function standing in for a transform; ``timeout`` None = Lambda's default 3 s."""
    return lambda_.Function(
        stack,
        id,
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {'records': []}\n"),
        timeout=timeout,
    )


@dataclass
class Unsynthesized:
    """A monitored stack before synthesis: the parts a test refers to."""

    stack: cdk.Stack
    monitoring: DeliveryStreamMonitoring
    parts: dict[str, Any]


def synthesize(app: cdk.App, built: dict[str, Unsynthesized]) -> dict[str, Monitored]:
    """Synthesize ``app`` (with its nag packs) once: each stack's template and the findings on that stack."""
    findings = nag_findings(app)
    return {
        name: Monitored(
            b.stack,
            b.monitoring,
            b.monitoring.delivery_stream,
            synthesized_template(app, b.stack.stack_name),
            [f for f in findings if f[1].startswith(f"{b.stack.node.path}/")],
            **b.parts,
        )
        for name, b in built.items()
    }
