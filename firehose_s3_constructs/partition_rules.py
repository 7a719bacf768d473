"""The rules of dynamic partitioning that involve other options: the prefix, the key sources and the schema agree.

Part of :func:`firehose_s3_constructs.config.resolve`. Source: the Firehose developer guide,
dynamic-partitioning.html, and ``firehose-facts.md`` section 1b.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from .analytics.partitioning import DynamicPartitioning
from .options import PipelineOptions
from .validation import ConfigurationError, parse_prefix

__all__ = ["check_partitioning", "data_columns"]

_JQ_LEADING_FIELD = re.compile(r"\s*\.([A-Za-z_][A-Za-z0-9_]*)")
_QUERY = "partitionKeyFromQuery"
_LAMBDA = "partitionKeyFromLambda"


def check_partitioning(
    o: PipelineOptions,
    partitioning: DynamicPartitioning,
    *,
    lambda_keys: Collection[str] | None,
) -> None:
    """The prefix, the key sources and the schema agree (DG dynamic-partitioning.html).

    ``lambda_keys``: the keys the transform returns, when known (the library's transform); None for a user
    function (unknown: the prefix is trusted). A JQ expression's leading field (``.field...``) must be a data
    column, a partition column or a JQ key when the conversion or the query table has columns.
    """
    if not o.error_output_prefix:
        raise ConfigurationError(
            "error_output_prefix is required with dynamic partitioning (records whose keys cannot be extracted go "
            "there), e.g. 'errors/!{firehose:error-output-type}/'"
        )
    prefix = o.data_output_prefix
    expressions = parse_prefix("data_output_prefix", prefix)
    query_keys = {e.value for e in expressions if e.namespace == _QUERY}
    prefix_lambda_keys = {e.value for e in expressions if e.namespace == _LAMBDA}
    if not query_keys and not prefix_lambda_keys:
        raise ConfigurationError(
            "dynamic partitioning needs at least one !{partitionKeyFromQuery:key} or !{partitionKeyFromLambda:key} "
            f"in data_output_prefix, got {prefix!r}"
        )
    jq = set(partitioning.jq_keys)
    missing = sorted(query_keys - jq)
    if missing:
        raise ConfigurationError(
            f"data_output_prefix uses partitionKeyFromQuery key(s) {', '.join(missing)} that no JQ expression "
            f"produces; add them to jq_keys (JQ keys: {', '.join(sorted(jq)) or 'none'})"
        )
    unused = sorted(jq - query_keys)
    if unused:
        raise ConfigurationError(
            f"jq_keys {', '.join(unused)} are never used in data_output_prefix; Firehose requires every JQ key in "
            f"the prefix as !{{partitionKeyFromQuery:key}}, got {prefix!r}"
        )
    _check_lambda_keys(o, partitioning, prefix_lambda_keys, lambda_keys)
    columns = data_columns(o)
    if columns is not None:
        known = set(columns) | jq | {segment.partition("=")[0] for segment in prefix.split("/") if "=!{" in segment}
        for key, expression in partitioning.jq_keys.items():
            match = _JQ_LEADING_FIELD.match(expression)
            if match and match.group(1) not in known:
                raise ConfigurationError(
                    f"jq_keys[{key!r}] reads .{match.group(1)}, which is neither a schema column nor a partition "
                    f"key (columns: {', '.join(sorted(columns))}); fix the field name or add the column"
                )


def _check_lambda_keys(
    o: PipelineOptions,
    partitioning: DynamicPartitioning,
    prefix_lambda_keys: set[str],
    lambda_keys: Collection[str] | None,
) -> None:
    has_lambda = o.transform is not None
    if prefix_lambda_keys and not has_lambda:
        raise ConfigurationError(
            f"data_output_prefix uses partitionKeyFromLambda key(s) {', '.join(sorted(prefix_lambda_keys))} but no "
            "transform Lambda runs; configure the transform or use jq_keys"
        )
    declared = set(partitioning.lambda_keys)
    if declared and not has_lambda:
        raise ConfigurationError("lambda_keys are declared but no transform Lambda runs")
    if lambda_keys is not None:
        produced = set(lambda_keys)
        unknown = sorted((prefix_lambda_keys | declared) - produced)
        if unknown:
            raise ConfigurationError(
                f"partitionKeyFromLambda key(s) {', '.join(unknown)} are not produced by the transform, which "
                f"returns {', '.join(sorted(produced)) or 'no partition keys'} (partition_key_fields, plus "
                "year/month/day/hour with event_time_field)"
            )
    unused = sorted(declared - prefix_lambda_keys)
    if unused:
        raise ConfigurationError(
            f"lambda_keys {', '.join(unused)} are never used in data_output_prefix as !{{partitionKeyFromLambda:key}}"
        )


def data_columns(o: PipelineOptions) -> list[str] | None:
    """The data columns of the conversion schema or of the query table, when either names them."""
    if o.format_conversion is not None and o.format_conversion.schema is not None:
        return list(o.format_conversion.schema)
    if o.query_table is not None and o.query_table.columns is not None:
        return list(o.query_table.columns)
    return None
