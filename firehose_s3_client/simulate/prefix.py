"""S3 prefixes and object names as Firehose evaluates them.

Sources: "Custom prefixes for Amazon S3 objects" (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html,
DG-PFX) and "Configure S3 object name format" (https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html,
DG-OBJ). A prefix is literal text with ``!{namespace:value}`` expressions:

* ``!{timestamp:<Java DateTimeFormatter pattern>}`` (see :mod:`.java_datetime`): every use in one prefix is the
  same instant, in ``CustomTimeZone`` (an IANA name; UTC when unset). Which instant: DG-PFX says "the
  approximate arrival timestamp of the oldest record that's contained in the Amazon S3 object being written";
  the engine passes it as ``arrival``.
* ``!{firehose:random-string}``: 11 random characters, a new value for every use. AWS's two examples
  (``046b6c7f-0b`` and ``5abf82daaa5``) disagree on the alphabet; this engine draws 11 lowercase hex digits.
* ``!{firehose:error-output-type}``: ``processing-failed``, ``format-conversion-failed``... (error prefix only).
* ``!{partitionKeyFromQuery:<key>}`` / ``!{partitionKeyFromLambda:<key>}``: dynamic partitioning keys.

Rules enforced (DG-PFX "Semantic rules"): ``!{`` only inside an expression; the data prefix cannot use
``error-output-type``; partition keys only in the data prefix and only with dynamic partitioning; an error
prefix with expressions must use ``error-output-type``; an ``ErrorOutputPrefix`` may be unset only when
``Prefix`` has no expressions; at most 1024 characters written and 512 evaluated.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from firehose_transform.contract import MAX_EVALUATED_PREFIX_CHARS, MAX_PREFIX_CHARS

from .java_datetime import JavaPatternError, compile_pattern, format_java_datetime

__all__ = [
    "DEFAULT_TIMESTAMP_EXPRESSION",
    "PrefixEvaluationError",
    "PrefixTemplateError",
    "error_prefix_for",
    "evaluate_prefix",
    "format_java_datetime",
    "object_name",
    "parse_prefix",
    "random_string",
    "time_zone_of",
    "validate_prefix",
    "with_default_timestamp",
]

#: What Firehose appends to a ``Prefix`` without a timestamp expression (DG-PFX "Semantic rules").
DEFAULT_TIMESTAMP_EXPRESSION: Final = "!{timestamp:yyyy/MM/dd/HH/}"
ERROR_OUTPUT_TYPE_EXPRESSION: Final = "!{firehose:error-output-type}"
#: The error code this engine reports for a prefix that cannot be evaluated for a record. AWS publishes no
#: code for prefix evaluation failures; dynamic-partitioning failures are recorded under this one
#: (observed in Firehose error records, alongside the ``metadata-extraction-failed`` error folder).
PREFIX_ERROR_CODE: Final = "DynamicPartitioning.MetadataExtractionFailed"
RANDOM_STRING_CHARS: Final = 11
_OBJECT_TIME_PATTERN: Final = "yyyy-MM-dd-HH-mm-ss"
_EXPRESSION = re.compile(r"!\{([^}:]*):([^}]*)\}")
_NAMESPACES: Final = ("timestamp", "firehose", "partitionKeyFromQuery", "partitionKeyFromLambda")
_FIREHOSE_VALUES: Final = ("random-string", "error-output-type")


class PrefixTemplateError(ValueError):
    """A prefix, pattern or time zone Firehose rejects when the stream is created (the message names it)."""


class PrefixEvaluationError(Exception):
    """A prefix that cannot be evaluated for one record or object: it goes to the error output.

    Attributes:
        error_code: :data:`PREFIX_ERROR_CODE`.
        error_message: what failed, naming the key or the length.
    """

    def __init__(self, error_message: str, error_code: str = PREFIX_ERROR_CODE) -> None:
        super().__init__(f"{error_code}: {error_message}")
        self.error_code = error_code
        self.error_message = error_message


@dataclass(frozen=True)
class Expression:
    """One ``!{namespace:value}`` of a prefix."""

    namespace: str
    value: str

    @property
    def text(self) -> str:
        return f"!{{{self.namespace}:{self.value}}}"


Piece = str | Expression


@functools.lru_cache(maxsize=256)
def parse_prefix(template: str) -> tuple[Piece, ...]:
    """Split a prefix into literal text and expressions, checking each expression.

    Raises :class:`PrefixTemplateError` for a stray ``!{``, an unknown namespace or ``firehose`` value, an
    empty value, an invalid timestamp pattern, or more than 1024 characters.
    """
    if len(template) > MAX_PREFIX_CHARS:
        raise PrefixTemplateError(f"a prefix is at most {MAX_PREFIX_CHARS} characters, got {len(template)}")
    pieces: list[Piece] = []
    position = 0
    for match in _EXPRESSION.finditer(template):
        pieces.append(template[position : match.start()])
        pieces.append(_expression(match.group(1), match.group(2), template))
        position = match.end()
    pieces.append(template[position:])
    literal = [p for p in pieces if isinstance(p, str)]
    if any("!{" in text for text in literal):
        raise PrefixTemplateError(f"'!{{' may appear only in a !{{namespace:value}} expression, got {template!r}")
    return tuple(p for p in pieces if p != "")


def _expression(namespace: str, value: str, template: str) -> Expression:
    expression = Expression(namespace, value)
    if namespace not in _NAMESPACES:
        raise PrefixTemplateError(
            f"unknown namespace {namespace!r} in {expression.text} of {template!r}; "
            f"Firehose has {', '.join(_NAMESPACES)}"
        )
    if not value:
        raise PrefixTemplateError(f"empty expression {expression.text} in {template!r}")
    if namespace == "firehose" and value not in _FIREHOSE_VALUES:
        raise PrefixTemplateError(
            f"{expression.text} in {template!r}: the firehose namespace has only {', '.join(_FIREHOSE_VALUES)}"
        )
    if namespace == "timestamp":
        try:
            compile_pattern(value)
        except JavaPatternError as error:
            raise PrefixTemplateError(f"{expression.text} in {template!r}: {error}") from None
    return expression


def _expressions(template: str) -> list[Expression]:
    return [p for p in parse_prefix(template) if isinstance(p, Expression)]


def validate_prefix(template: str, *, error_prefix: bool, dynamic_partitioning: bool) -> None:
    """Apply DG-PFX's rules to a ``Prefix`` (``error_prefix=False``) or an ``ErrorOutputPrefix``.

    Raises :class:`PrefixTemplateError` naming the broken rule.
    """
    expressions = _expressions(template)
    names = [e.text for e in expressions]
    keys = [e.text for e in expressions if e.namespace.startswith("partitionKeyFrom")]
    if error_prefix:
        if keys:
            raise PrefixTemplateError(f"ErrorOutputPrefix cannot use partition keys ({', '.join(keys)}): {template!r}")
        if expressions and ERROR_OUTPUT_TYPE_EXPRESSION not in names:
            raise PrefixTemplateError(
                f"an ErrorOutputPrefix with expressions must contain {ERROR_OUTPUT_TYPE_EXPRESSION}: {template!r}"
            )
        return
    if ERROR_OUTPUT_TYPE_EXPRESSION in names:
        raise PrefixTemplateError(f"Prefix cannot contain {ERROR_OUTPUT_TYPE_EXPRESSION}: {template!r}")
    if keys and not dynamic_partitioning:
        raise PrefixTemplateError(
            f"Prefix uses partition keys ({', '.join(keys)}), which exist only with dynamic partitioning: {template!r}"
        )


def with_default_timestamp(prefix: str | None, *, dynamic_partitioning: bool) -> str:
    """The data prefix template Firehose evaluates: ``prefix`` + ``!{timestamp:yyyy/MM/dd/HH/}`` when it has
    no timestamp expression (DG-PFX), except with dynamic partitioning, whose prefix is used as given.

    The expression is appended as is: ``logs`` becomes ``logs2026/11/26/09/`` (the rule's wording; AWS's
    example table shows a ``/`` inserted, but the table's rows are inconsistent with each other, so the
    rule is followed). An unset or empty prefix gives ``yyyy/MM/dd/HH/``.
    """
    prefix = prefix or ""
    if dynamic_partitioning or any(e.namespace == "timestamp" for e in _expressions(prefix)):
        return prefix
    return prefix + DEFAULT_TIMESTAMP_EXPRESSION


def error_prefix_for(error_output_prefix: str | None, data_prefix: str | None) -> str:
    """The error prefix template: ``ErrorOutputPrefix`` when set, otherwise
    ``<Prefix>!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH/}``.

    DG-PFX: "ErrorOutputPrefix can be null only if Prefix contains no expressions. In this case ...
    ErrorOutputPrefix evaluates to <specified-prefix><error-output-type>YYYY/MM/DD/HH/"; its example shows
    ``myFirehosePrefix/processing-failed/2018/08/27/``, so a ``/`` follows the error type. An unset
    ``ErrorOutputPrefix`` with a ``Prefix`` that has expressions raises :class:`PrefixTemplateError`
    (Firehose rejects it: "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions").
    """
    if error_output_prefix:
        return error_output_prefix
    data_prefix = data_prefix or ""
    if _expressions(data_prefix):
        raise PrefixTemplateError(
            f"ErrorOutputPrefix cannot be null or empty when Prefix contains expressions (Prefix {data_prefix!r})"
        )
    return f"{data_prefix}{ERROR_OUTPUT_TYPE_EXPRESSION}/{DEFAULT_TIMESTAMP_EXPRESSION}"


def time_zone_of(custom_time_zone: str | None) -> tzinfo:
    """``CustomTimeZone`` as a tzinfo: UTC when unset or empty, otherwise the IANA zone of that name."""
    if not custom_time_zone:
        return UTC
    try:
        return ZoneInfo(custom_time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PrefixTemplateError(f"CustomTimeZone {custom_time_zone!r} is not an IANA time zone name") from None


def random_string(rng: random.Random) -> str:
    """11 lowercase hex characters (see the module doc)."""
    return f"{rng.getrandbits(4 * RANDOM_STRING_CHARS):0{RANDOM_STRING_CHARS}x}"


def _local(moment: datetime, time_zone: str | None) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("arrival and object times must be aware datetimes")
    return moment.astimezone(time_zone_of(time_zone))


def _key(namespace: str, keys: Mapping[str, str] | None, name: str) -> str:
    value = (keys or {}).get(name)
    if value is None:
        source = "the MetadataExtractionQuery" if namespace == "partitionKeyFromQuery" else "the Lambda function"
        raise PrefixEvaluationError(f"partition key {name!r} of !{{{namespace}:{name}}} was not returned by {source}")
    return value


def evaluate_prefix(
    template: str,
    *,
    arrival: datetime,
    time_zone: str | None,
    query_keys: Mapping[str, str] | None = None,
    lambda_keys: Mapping[str, str] | None = None,
    error_output_type: str | None = None,
    rng: random.Random,
) -> str:
    """The prefix ``template`` evaluated at ``arrival`` (see the module doc for each namespace).

    ``time_zone`` is ``CustomTimeZone`` (None or empty: UTC). ``error_output_type`` is required when the
    template uses ``!{firehose:error-output-type}``. Raises :class:`PrefixEvaluationError` for a partition
    key that was not extracted or an evaluated prefix over 512 characters, and :class:`PrefixTemplateError`
    for a template Firehose would not accept.
    """
    moment = _local(arrival, time_zone)
    parts: list[str] = []
    for piece in parse_prefix(template):
        if isinstance(piece, str):
            parts.append(piece)
        elif piece.namespace == "timestamp":
            parts.append(format_java_datetime(piece.value, moment))
        elif piece.text == "!{firehose:random-string}":
            parts.append(random_string(rng))
        elif piece.namespace == "firehose":
            if error_output_type is None:
                raise PrefixTemplateError(f"{piece.text} is for ErrorOutputPrefix only: {template!r}")
            parts.append(error_output_type)
        else:
            keys = query_keys if piece.namespace == "partitionKeyFromQuery" else lambda_keys
            parts.append(_key(piece.namespace, keys, piece.value))
    evaluated = "".join(parts)
    if len(evaluated) > MAX_EVALUATED_PREFIX_CHARS:
        raise PrefixEvaluationError(
            f"the evaluated prefix is {len(evaluated)} characters; Firehose allows at most "
            f"{MAX_EVALUATED_PREFIX_CHARS}: {evaluated[:80]}..."
        )
    return evaluated


def object_name(
    *, stream_name: str, version: int, moment: datetime, time_zone: str | None, uuid: str, extension: str
) -> str:
    """``<stream name>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid><extension>`` (DG-OBJ), the time in ``CustomTimeZone``.

    DG-OBJ: the time zone "is used for time prefix and suffix". Which instant names the object is the
    engine's choice; DG-PFX ties the prefix's timestamp to the oldest record's arrival, and this engine uses
    the same instant for the suffix so an object's key has one time.
    """
    stamp = format_java_datetime(_OBJECT_TIME_PATTERN, _local(moment, time_zone))
    return f"{stream_name}-{version}-{stamp}-{uuid}{extension}"
