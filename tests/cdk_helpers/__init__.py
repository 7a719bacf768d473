"""Shared helpers for the CDK tests: the app context of cdk.json, templates, nag reports and snapshot masking.

The submodules hold the builders that several test modules share: ``pipeline`` (FirehoseToS3 stacks and their
template accessors), ``transform``, ``monitoring`` and ``analytics``.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template
from constructs import IConstruct

from firehose_s3_constructs.compliance import acknowledgments_disabled, add_compliance_checks

ROOT = Path(__file__).resolve().parents[2]
CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
#: Skip asset bundling in unit tests (the bundling test turns it back on).
NO_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}


def make_app(*, nag: bool = False, bundling: bool = False, outdir: str | None = None) -> cdk.App:
    """An App with the feature flags of cdk.json, so test templates equal what `cdk synth` deploys."""
    context: dict[str, Any] = dict(CDK_CONTEXT)
    if not bundling:
        context.update(NO_BUNDLING)
    app = cdk.App(
        context=context,
        builtin_cloud_formation_validation=False,
        outdir=outdir or tempfile.mkdtemp(prefix="cdk-test-"),
    )
    if nag:
        add_compliance_checks(app)
    return app


def synthesize_sample_app(outdir: Path) -> Path:
    """The sample app's cloud assembly in ``outdir``, the transform bundled as ``make synth`` bundles it.

    Shared by the local-engine tests (``tests/client/conftest.py``) and the simulate and serve benchmarks.
    """
    from sample_app.stacks import add_sample_stacks  # the sample app is only needed here

    app = make_app(bundling=True, outdir=str(outdir))
    add_sample_stacks(app)
    app.synth()
    return outdir


def template_json(stack: cdk.Stack) -> dict[str, Any]:
    return dict(Template.from_stack(stack).to_json())


def synthesized_template(app: cdk.App, stack_name: str) -> dict[str, Any]:
    """The template of ``stack_name`` as ``app``'s last synthesis wrote it (also after a failed validation)."""
    template: dict[str, Any] = json.loads((Path(app.outdir) / f"{stack_name}.template.json").read_text())
    return template


def resources_of(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = list(resources_of(template, resource_type).values())
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    return found[0]


def logical_id(template: dict[str, Any], resource_type: str, path_fragment: str = "") -> str:
    """The one logical id of ``resource_type`` that contains ``path_fragment``."""
    ids = [k for k in resources_of(template, resource_type) if path_fragment in k]
    assert len(ids) == 1, f"{resource_type} {path_fragment}: {ids}"
    return ids[0]


def as_list(value: Any) -> list[Any]:
    """An IAM ``Action``/``Resource`` value as a list (CloudFormation renders a single one as a scalar)."""
    return value if isinstance(value, list) else [value]


def nag_findings(app: cdk.App) -> list[tuple[str, str]]:
    """Synthesize ``app`` (with nag plugins) and return the unacknowledged (rule, construct path) pairs."""
    try:
        app.synth()
    except RuntimeError as error:
        if "Validation" not in str(error):
            raise
    report_file = Path(app.outdir) / "validation-report.json"
    if not report_file.exists():
        return []
    report = json.loads(report_file.read_text())
    return sorted(
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        if plugin["pluginName"] != "CloudFormation Validate"
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    )


def acknowledged(root: IConstruct) -> list[tuple[str, str, str]]:
    """Every (finding id, construct path, reason) acknowledged under ``root``."""
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    found = []
    for node in root.node.find_all():
        for entry in node.node.metadata:
            if entry.type == key:
                for annotation, reason in entry.data.items():
                    found.append((annotation.removeprefix("Annotation::"), node.node.path, reason))
    return sorted(found)


@contextmanager
def no_acknowledgments() -> Iterator[None]:
    with acknowledgments_disabled():
        yield


_ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def mask_template(template: dict[str, Any]) -> dict[str, Any]:
    """Mask what changes for reasons unrelated to behaviour: asset hashes and CDK bootstrap versions."""
    text = json.dumps(template, sort_keys=True)
    text = _ASSET_HASH.sub("<asset-hash>", text)
    masked: dict[str, Any] = json.loads(text)
    masked.get("Parameters", {}).pop("BootstrapVersion", None)
    masked.pop("Rules", None)
    return masked
