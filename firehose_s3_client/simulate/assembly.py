"""Reading a CDK cloud assembly (``cdk.out``): its stacks, their templates and their file assets.

The manifest (``manifest.json``) lists artifacts; a stack is an ``aws:cloudformation:stack`` artifact whose
``properties.templateFile`` names its template, and its ``<stack>.assets.json`` maps each file asset's hash
(the ``S3Key`` a Lambda function's ``Code`` points at, ``<hash>.zip``) to a directory in the assembly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"


class AssemblyError(Exception):
    """The cloud assembly is missing, unreadable, or has no such stack (the message is one line)."""


@dataclass(frozen=True)
class StackTemplate:
    """One stack of a cloud assembly."""

    artifact_id: str
    stack_name: str
    template: dict[str, Any]
    assembly_dir: Path
    asset_manifest: dict[str, Any]
    #: The stack artifact's construct metadata: construct path -> entries (``aws:cdk:logicalId``...).
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical ID -> resource, for every resource of ``resource_type``."""
        return {k: v for k, v in self.resources.items() if v.get("Type") == resource_type}

    def asset_directory(self, s3_key: str) -> Path | None:
        """The assembly directory of the file asset stored as ``s3_key`` (``<hash>.zip``), if it has one."""
        asset_hash = s3_key.split(".", 1)[0]
        source = self.asset_manifest.get("files", {}).get(asset_hash, {}).get("source", {})
        path = source.get("path")
        if not isinstance(path, str):
            return None
        directory = self.assembly_dir / path
        return directory if directory.is_dir() else None

    def construct_path(self, logical_id: str) -> str | None:
        """The construct path of a resource (``Stack/Pipeline/DeliveryStream/Resource``), if the assembly says.

        From the resource's ``aws:cdk:path`` metadata, else from the stack artifact's metadata (which keeps
        the paths when ``pathMetadata`` is off in cdk.json).
        """
        resource = self.resources.get(logical_id) or {}
        path = (resource.get("Metadata") or {}).get("aws:cdk:path")
        if isinstance(path, str):
            return path
        for construct, entries in self.metadata.items():
            for entry in entries if isinstance(entries, list) else []:
                if (
                    isinstance(entry, dict)
                    and entry.get("type") == "aws:cdk:logicalId"
                    and entry.get("data") == logical_id
                ):
                    return construct.lstrip("/")
        return None


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssemblyError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AssemblyError(f"{what} is unreadable: {path}: {error}") from None
    if not isinstance(data, dict):
        raise AssemblyError(f"{what} is not a JSON object: {path}")
    return data


def stack_artifacts(assembly_dir: Path) -> dict[str, dict[str, Any]]:
    """Artifact id -> artifact, for every stack in the assembly's manifest."""
    if not assembly_dir.is_dir():
        raise AssemblyError(f"cloud assembly not found: {assembly_dir} (run `npx cdk synth` first)")
    manifest = _read_json(assembly_dir / "manifest.json", "cloud assembly manifest")
    artifacts = manifest.get("artifacts", {})
    return {k: v for k, v in artifacts.items() if isinstance(v, dict) and v.get("type") == STACK_ARTIFACT}


def load_stack(assembly_dir: Path, stack: str) -> StackTemplate:
    """The stack whose artifact id, stack name or display name is ``stack``.

    Raises :class:`AssemblyError` naming the stacks the assembly has when none matches. The assembly's path is
    made absolute: asset directories are used from other working directories (the Lambda runner's).
    """
    assembly_dir = assembly_dir.resolve()
    artifacts = stack_artifacts(assembly_dir)
    for artifact_id, artifact in artifacts.items():
        properties = artifact.get("properties", {})
        names = {artifact_id, properties.get("stackName"), artifact.get("displayName")}
        if stack in names:
            template = _read_json(assembly_dir / properties.get("templateFile", ""), f"template of stack {stack}")
            assets_path = assembly_dir / f"{artifact_id}.assets.json"
            assets = _read_json(assets_path, f"asset manifest of stack {stack}") if assets_path.is_file() else {}
            metadata = dict(artifact.get("metadata") or {})
            extra = artifact.get("additionalMetadataFile")
            if isinstance(extra, str) and (assembly_dir / extra).is_file():
                metadata.update(_read_json(assembly_dir / extra, f"metadata of stack {stack}"))
            return StackTemplate(
                artifact_id=artifact_id,
                stack_name=properties.get("stackName") or artifact_id,
                template=template,
                assembly_dir=assembly_dir,
                asset_manifest=assets,
                metadata=metadata,
            )
    choices = ", ".join(sorted(artifacts)) or "none"
    raise AssemblyError(f"stack {stack!r} is not in the cloud assembly {assembly_dir} (stacks: {choices})")


def ref_target(value: Any) -> str | None:
    """The logical ID a ``{"Ref": id}`` or ``{"Fn::GetAtt": [id, attr]}`` points at, else None."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
            return attribute[0]
        if isinstance(attribute, str):
            return attribute.split(".", 1)[0]
    return None
