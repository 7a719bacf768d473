"""The four cdk-nag packs this library is checked against, as CDK policy-validation plugins."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from aws_cdk import Acknowledgment, App, CfnResource, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import IConstruct

__all__ = [
    "COMPLIANCE_PACKS",
    "acknowledge",
    "acknowledgments_disabled",
    "add_compliance_checks",
    "in_packs",
    "skip_checkov",
]


def add_compliance_checks(app: App) -> None:
    """Run AwsSolutions, HIPAA Security, NIST 800-53 R5 and PCI DSS 3.2.1 on every synth of ``app``.

    An unacknowledged error or warning makes synthesis fail; the details are written to
    ``<outdir>/validation-report.json``.
    """
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app),
        HIPAASecurityChecks(app),
        NIST80053R5Checks(app),
        PCIDSS321Checks(app),
    )


#: The packs that share rule names (``<pack>-<Rule>``); AwsSolutions names its rules differently.
COMPLIANCE_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")

_acknowledgments_enabled = True


def in_packs(rule: str, reason: str, packs: Sequence[str] = COMPLIANCE_PACKS) -> dict[str, str]:
    """The finding ids of one rule in several packs, all with the same reason (for :func:`acknowledge`)."""
    return {f"{pack}-{rule}": reason for pack in packs}


@contextmanager
def acknowledgments_disabled() -> Iterator[None]:
    """Build constructs without their acknowledgments, to see every finding they would raise.

    The test suite uses it to prove that each acknowledgment answers a finding that really occurs.
    """
    global _acknowledgments_enabled  # noqa: PLW0603 - a process-wide switch is the point
    _acknowledgments_enabled = False
    try:
        yield
    finally:
        _acknowledgments_enabled = True


def acknowledge(scope: IConstruct, findings: Mapping[str, str]) -> None:
    """Acknowledge cdk-nag findings (full ids, e.g. ``AwsSolutions-IAM5[Action::x]``) on ``scope`` only."""
    if not _acknowledgments_enabled:
        return
    for finding, reason in findings.items():
        Validations.of(scope).acknowledge(Acknowledgment(id=finding, reason=reason))


def skip_checkov(resource: IConstruct, checks: Mapping[str, str]) -> None:
    """Skip checkov checks on one CloudFormation resource, each with its reason in the resource's Metadata."""
    cfn = resource if isinstance(resource, CfnResource) else resource.node.default_child
    if not isinstance(cfn, CfnResource):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource to carry checkov metadata")
    existing = cfn.get_metadata("checkov") or {"skip": []}
    existing["skip"].extend({"id": check, "comment": comment} for check, comment in checks.items())
    cfn.add_metadata("checkov", existing)
