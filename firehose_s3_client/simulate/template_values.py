"""Resolving CloudFormation values of a synthesized template to the strings a deployed stack would see.

The simulator runs without an AWS account, so every physical name and ARN is simulated, deterministically:

* account ``123456789012``, region ``us-east-1``, partition ``aws`` unless :class:`SimulatedAccount` says
  otherwise (``firehose-s3 simulate --region``);
* a resource's physical name is the name its template sets (``BucketName``, ``FunctionName``,
  ``DeliveryStreamName``...) and otherwise its logical ID (lower-cased for S3 buckets, whose names cannot
  hold capitals). CloudFormation would add a random suffix; the simulator does not, so runs are repeatable.

Supported intrinsics: ``Ref`` (resources, template parameters with a ``Default``, pseudo parameters),
``Fn::GetAtt`` (``Arn`` and the name-like attributes), ``Fn::Join``, ``Fn::Sub``, ``Fn::Select``. Anything
else raises :class:`TemplateValueError` naming the value's place in the template, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from firehose_s3_client.simulate.assembly import StackTemplate, ref_target

__all__ = ["SimulatedAccount", "TemplateResolver", "TemplateValueError"]


class TemplateValueError(ValueError):
    """A template value the simulator cannot resolve (the message names where it is)."""


@dataclass(frozen=True)
class SimulatedAccount:
    """The account, region and partition the simulated stack is deployed to."""

    account_id: str = "123456789012"
    region: str = "us-east-1"
    partition: str = "aws"


#: The property that names each resource type's physical resource, when the template sets it.
NAME_PROPERTY: dict[str, str] = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Logs::LogStream": "LogStreamName",
    "AWS::Athena::WorkGroup": "Name",
}
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


#: The ARN of a resource of each type the engine meets, from its physical name (see ``TemplateResolver.arn``).
_ARN_FORMATS: Final = {
    "AWS::S3::Bucket": "arn:{partition}:s3:::{name}",
    "AWS::Lambda::Function": "arn:{partition}:lambda:{region}:{account}:function:{name}",
    "AWS::KinesisFirehose::DeliveryStream": "arn:{partition}:firehose:{region}:{account}:deliverystream/{name}",
    "AWS::Kinesis::Stream": "arn:{partition}:kinesis:{region}:{account}:stream/{name}",
    # Secrets Manager appends "-" and six random characters; a fixed suffix keeps runs repeatable.
    "AWS::SecretsManager::Secret": "arn:{partition}:secretsmanager:{region}:{account}:secret:{name}-AbCdEf",
    "AWS::IAM::Role": "arn:{partition}:iam::{account}:role/{name}",
    "AWS::Logs::LogGroup": "arn:{partition}:logs:{region}:{account}:log-group:{name}:*",
    "AWS::KMS::Key": "arn:{partition}:kms:{region}:{account}:key/{name}",
}


class TemplateResolver:
    """Resolves template values of one stack in one simulated account."""

    def __init__(self, stack: StackTemplate, account: SimulatedAccount | None = None) -> None:
        self.stack = stack
        self.account = account or SimulatedAccount()

    # ------------------------------------------------------------------ names and ARNs

    def resource(self, logical_id: str, where: str) -> dict[str, Any]:
        """The resource ``logical_id``; raises naming ``where`` it was referenced when it does not exist."""
        resource = self.stack.resources.get(logical_id)
        if not isinstance(resource, dict):
            raise TemplateValueError(f"{where}: refers to {logical_id!r}, which is not a resource of the stack")
        return resource

    def physical_name(self, logical_id: str) -> str:
        """The name a resource gets: its name property when set, else its logical ID (see module docstring)."""
        resource = self.resource(logical_id, logical_id)
        resource_type = str(resource.get("Type"))
        properties = resource.get("Properties") or {}
        if resource_type == "AWS::Glue::Table":
            return self.string(properties.get("TableInput", {}).get("Name"), f"{logical_id}.TableInput.Name")
        if resource_type == "AWS::Glue::Database":
            return self.string(properties.get("DatabaseInput", {}).get("Name"), f"{logical_id}.DatabaseInput.Name")
        name_property = NAME_PROPERTY.get(resource_type)
        if name_property and properties.get(name_property) is not None:
            return self.string(properties[name_property], f"{logical_id}.{name_property}")
        return logical_id.lower() if resource_type == "AWS::S3::Bucket" else logical_id

    def arn(self, logical_id: str) -> str:
        """The simulated ARN of a resource (``Fn::GetAtt [id, Arn]``)."""
        resource_type = str(self.resource(logical_id, logical_id).get("Type"))
        name = self.physical_name(logical_id)
        a = self.account
        known = _ARN_FORMATS.get(resource_type)
        if known is not None:
            return known.format(partition=a.partition, region=a.region, account=a.account_id, name=name)
        service = resource_type.split("::")[1].lower() if resource_type.count("::") == 2 else "unknown"
        return f"arn:{a.partition}:{service}:{a.region}:{a.account_id}:{name}"

    def ref(self, logical_id: str, where: str) -> str:
        """What ``{"Ref": logical_id}`` returns (the physical name, or the ARN where Ref returns one)."""
        pseudo = self._pseudo(logical_id)
        if pseudo is not None:
            return pseudo
        parameters = self.stack.template.get("Parameters") or {}
        if logical_id in parameters:
            default = parameters[logical_id].get("Default")
            if default is None:
                raise TemplateValueError(f"{where}: template parameter {logical_id!r} has no Default to simulate")
            return str(default)
        resource_type = str(self.resource(logical_id, where).get("Type"))
        if resource_type in {"AWS::SecretsManager::Secret", "AWS::Lambda::Version"}:
            return self.arn(logical_id) if resource_type != "AWS::Lambda::Version" else self._version_arn(logical_id)
        return self.physical_name(logical_id)

    def get_att(self, logical_id: str, attribute: str, where: str) -> str:
        """What ``{"Fn::GetAtt": [logical_id, attribute]}`` returns."""
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in {"Name", "StreamName", "DeliveryStreamName", "FunctionName", "BucketName"}:
            return self.physical_name(logical_id)
        resource_type = self.resource(logical_id, where).get("Type")
        raise TemplateValueError(f"{where}: Fn::GetAtt {logical_id}.{attribute} of a {resource_type} is not simulated")

    def _version_arn(self, logical_id: str) -> str:
        properties = self.resource(logical_id, logical_id).get("Properties") or {}
        function = self.string(properties.get("FunctionName"), f"{logical_id}.FunctionName")
        if not function.startswith("arn:"):
            a = self.account
            function = f"arn:{a.partition}:lambda:{a.region}:{a.account_id}:function:{function}"
        return f"{function}:1"

    def _pseudo(self, name: str) -> str | None:
        a = self.account
        stack_id = f"arn:{a.partition}:cloudformation:{a.region}:{a.account_id}:stack/{self.stack.stack_name}/1"
        return {
            "AWS::AccountId": a.account_id,
            "AWS::Region": a.region,
            "AWS::Partition": a.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack.stack_name,
            "AWS::StackId": stack_id,
        }.get(name)

    # ------------------------------------------------------------------ values

    def string(self, value: Any, where: str) -> str:
        """Resolve ``value`` to a string; raises :class:`TemplateValueError` naming ``where``."""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, dict) and len(value) == 1:
            (function, argument), *_ = value.items()
            if function == "Ref" and isinstance(argument, str):
                return self.ref(argument, where)
            if function == "Fn::GetAtt":
                parts = argument.split(".", 1) if isinstance(argument, str) else argument
                if isinstance(parts, list) and len(parts) == 2 and all(isinstance(p, str) for p in parts):
                    return self.get_att(parts[0], parts[1], where)
            if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
                separator, items = argument
                if isinstance(separator, str) and isinstance(items, list):
                    return separator.join(self.string(item, where) for item in items)
            if function == "Fn::Sub":
                return self._sub(argument, where)
            if function == "Fn::Select" and isinstance(argument, list) and len(argument) == 2:
                index, items = argument
                if isinstance(items, list):
                    return self.string(items[int(self.string(index, where))], where)
            raise TemplateValueError(f"{where}: the intrinsic function {function} is not simulated")
        if value is None:
            raise TemplateValueError(f"{where}: no value")
        raise TemplateValueError(f"{where}: expected a string, got {type(value).__name__}")

    def _sub(self, argument: Any, where: str) -> str:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, variables = argument
        if not isinstance(argument, str):
            raise TemplateValueError(f"{where}: Fn::Sub needs a string")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return self.string(variables[name], where)
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute, where)
            return self.ref(name, where)

        return _SUB_VARIABLE.sub(substitute, argument).replace("${!", "${")

    def bucket_id(self, value: Any, where: str) -> str:
        """The bucket a ``BucketARN`` value names: its logical ID when the stack defines it, else its name.

        Accepts ``Ref``/``Fn::GetAtt`` of an ``AWS::S3::Bucket``, an ``Fn::Join``/``Fn::Sub`` that builds an
        ARN from one, and a literal ``arn:aws:s3:::name`` (a bucket outside the stack: its name is used).
        """
        target = ref_target(value)
        if target is None:
            target = self._single_bucket_reference(value)
        if target is not None:
            if self.resource(target, where).get("Type") != "AWS::S3::Bucket":
                raise TemplateValueError(f"{where}: {target!r} is not an AWS::S3::Bucket")
            return target
        arn = self.string(value, where)
        match = re.fullmatch(r"arn:[^:]+:s3:::([\w.\-]{1,255})", arn)
        if not match:
            raise TemplateValueError(f"{where}: {arn!r} is not an S3 bucket ARN")
        return match.group(1)

    def _single_bucket_reference(self, value: Any) -> str | None:
        found = {
            target
            for target in _references(value)
            if (self.stack.resources.get(target) or {}).get("Type") == "AWS::S3::Bucket"
        }
        return found.pop() if len(found) == 1 else None


def _references(value: Any) -> list[str]:
    """Every logical ID a value refers to (Ref, GetAtt, and ${X} in Fn::Sub), at any depth."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            target = ref_target(item)
            if target is not None:
                found.append(target)
                continue
            sub = item.get("Fn::Sub")
            if isinstance(sub, str):
                found.extend(name.split(".", 1)[0] for name in _SUB_VARIABLE.findall(sub))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
