"""Which delivery streams ``serve`` serves, under which names, and where each one writes.

* ``--stack STACK`` (repeatable; default: every stack of the cloud assembly) picks the stacks; every
  ``AWS::KinesisFirehose::DeliveryStream`` in them is served, each prepared exactly as ``simulate`` prepares
  one (every configured property reproduced, noted, or refused by name: one that cannot be simulated stops
  the command).
* A stream is addressed by the name it will have: its ``DeliveryStreamName``, or its logical ID when the
  template sets none (the name ``simulate`` uses in object names). Two served streams with one name could not
  be told apart by a client: refused, naming both (serve those stacks from two endpoints, on two ports).
* Output: with one stack, ``DIR/<bucket logical ID>/<key>`` exactly as ``simulate --out DIR`` (so
  ``firehose-s3 query --data DIR`` reads it); with several, ``DIR/<stack>/<bucket logical ID>/<key>``.
  ``--endpoint-url URL`` puts the objects to an S3 API instead, each bucket named by ``--bucket``.
* ``--bucket ID=NAME`` and ``--secret ID=VALUE`` apply to every served stack that has that logical ID;
  ``STACK/ID=...`` to one stack. One that applies to no served stack is an error. ``--processor`` replaces
  the function of every served stream that has a Lambda processor (at least one must).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firehose_s3_client.errors import EXIT_FAILED, EXIT_USAGE, CliError
from firehose_s3_client.simulate.assembly import AssemblyError, StackTemplate, load_stack, stack_artifacts
from firehose_s3_client.simulate.simulation import stream_sink
from firehose_s3_client.simulate.sinks import Sink
from firehose_s3_client.simulate.stream_config import (
    STREAM_TYPE,
    UnsupportedConfigurationError,
    read_stream_config,
    stream_choices,
)
from firehose_s3_client.simulate.stream_setup import PreparedStream, SetupError, StreamOptions, prepare_stream
from firehose_s3_client.simulate.template_values import SimulatedAccount, TemplateResolver, TemplateValueError

__all__ = ["StreamPlan", "plan_streams"]

SECRET_TYPE = "AWS::SecretsManager::Secret"


@dataclass
class StreamPlan:
    """A stream ready to serve: prepared, with its sink and the output's description for the report."""

    prepared: PreparedStream
    sink: Sink
    output: dict[str, Any]

    @property
    def name(self) -> str:
        return self.prepared.config.name


@dataclass(frozen=True)
class _Pair:
    """One ``[STACK/]LOGICAL_ID=VALUE`` option."""

    option: str
    text: str
    stack: str | None
    logical_id: str
    value: str

    def applies_to(self, stack: StackTemplate) -> bool:
        return self.stack in (None, stack.artifact_id, stack.stack_name)


def _pairs(values: list[str], option: str) -> list[_Pair]:
    pairs = []
    for text in values:
        key, sep, value = text.partition("=")
        stack, _, logical_id = key.rpartition("/")
        if not sep or not logical_id or not value:
            raise CliError(f"{option} {text!r}: expected LOGICAL_ID=VALUE or STACK/LOGICAL_ID=VALUE", EXIT_USAGE)
        pairs.append(_Pair(option, text, stack or None, logical_id, value))
    return pairs


def _for(pairs: list[_Pair], stack: StackTemplate, logical_ids: set[str], used: set[_Pair]) -> dict[str, str]:
    """The pairs' values for ``stack``, restricted to ``logical_ids``; marks the pairs used."""
    chosen = {}
    for pair in pairs:
        if pair.applies_to(stack) and pair.logical_id in logical_ids:
            chosen[pair.logical_id] = pair.value
            used.add(pair)
    return chosen


def _stacks(assembly: Path, names: list[str]) -> list[StackTemplate]:
    try:
        chosen = names or sorted(stack_artifacts(assembly.resolve()))
        stacks = [load_stack(assembly, name) for name in dict.fromkeys(chosen)]
    except AssemblyError as error:
        raise CliError(str(error), EXIT_FAILED) from None
    if names:
        for stack in stacks:
            if not stream_choices(stack):
                raise CliError(f"stack {stack.stack_name} has no {STREAM_TYPE}", EXIT_FAILED)
        return stacks
    with_streams = [stack for stack in stacks if stream_choices(stack)]
    if not with_streams:
        raise CliError(f"the cloud assembly {assembly} has no {STREAM_TYPE}", EXIT_FAILED)
    return with_streams


def _has_lambda(stack: StackTemplate, logical_id: str, region: str) -> bool:
    try:
        config = read_stream_config(stack, logical_id, TemplateResolver(stack, SimulatedAccount(region=region)))
    except (UnsupportedConfigurationError, TemplateValueError):
        return False  # prepare_stream reports why
    return config.processing.lambda_processor is not None


def plan_streams(args: argparse.Namespace) -> list[StreamPlan]:
    """Prepare every stream to serve (see the module docstring); a CliError (one line) when one cannot be."""
    stacks = _stacks(args.app, list(args.stack))
    buckets, secrets = _pairs(args.bucket, "--bucket"), _pairs(args.secret, "--secret")
    used: set[_Pair] = set()
    plans: list[StreamPlan] = []
    processed = 0
    for stack in stacks:
        stack_secrets = _for(secrets, stack, set(stack.resources_of_type(SECRET_TYPE)), used)
        for logical_id in sorted(stream_choices(stack)):
            with_lambda = _has_lambda(stack, logical_id, args.region)
            processed += with_lambda
            options = StreamOptions.from_args(
                args,
                stack=stack.artifact_id,
                stream=logical_id,
                processor=args.processor if with_lambda else None,
                secrets=stack_secrets,
            )
            try:
                prepared = prepare_stream(options)
            except SetupError as error:
                raise CliError(f"{stack.stack_name}: {error}", EXIT_FAILED) from None
            config = prepared.config
            written = {config.destination.bucket} | ({config.backup.bucket} if config.backup else set())
            out = args.out / stack.artifact_id if args.out is not None and len(stacks) > 1 else args.out
            target = argparse.Namespace(out=out, endpoint_url=args.endpoint_url, region=args.region)
            sink, output = stream_sink(prepared, target, _for(buckets, stack, written, used))
            plans.append(StreamPlan(prepared, sink, output))
    unused = [pair for pair in buckets + secrets if pair not in used]
    if unused:
        pair = unused[0]
        what = "bucket a served stream writes" if pair.option == "--bucket" else "secret of a served stack"
        raise CliError(f"{pair.option} {pair.text}: {pair.logical_id} is no {what}", EXIT_USAGE)
    if args.processor is not None and not processed:
        raise CliError("--processor: no served stream has a Lambda processor", EXIT_USAGE)
    _check_names(plans)
    return plans


def _check_names(plans: list[StreamPlan]) -> None:
    seen: dict[str, StreamPlan] = {}
    for plan in plans:
        other = seen.setdefault(plan.name, plan)
        if other is not plan:
            first, second = (f"{p.prepared.stack.stack_name}/{p.prepared.config.logical_id}" for p in (other, plan))
            raise CliError(
                f"the streams {first} and {second} would both be named {plan.name!r} (no DeliveryStreamName "
                "sets them apart): serve these stacks from separate endpoints (--stack, --port)",
                EXIT_FAILED,
            )
