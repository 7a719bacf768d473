"""Dynamic partitioning keys from inline parsing: the ``MetadataExtraction`` processor's JQ query.

Firehose runs ``MetadataExtractionQuery`` with ``JsonParsingEngine`` ``JQ-1.6`` on each record and uses the
resulting object's values in ``!{partitionKeyFromQuery:<key>}``
(https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-partitioning-keys.html). When it cannot
parse a record or extract the keys, the record goes to the error output
(https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-error-handling.html). The error records
Firehose writes then carry ``errorCode`` ``DynamicPartitioning.MetadataExtractionFailed`` (``errorMessage``
``Non JSON record provided`` for a record that is not one JSON document) under the error-output-type
``metadata-extraction-failed``: neither is in the developer guide; both are what Firehose writes, as seen in
public integration tests run against AWS.

This engine evaluates the query with the ``jq`` package, which bundles a newer jq than 1.6:

* queries using what jq 1.6 lacks are refused (:mod:`.jq_syntax` names each construct), and so are builtins
  that jq 1.6 has and the bundled jq removed (``leaf_paths``, ``recurse_down``, ``pow10``...);
* jq 1.6 held every number as a double; newer jq keeps the literal text (``1.0`` stays ``1.0``). Input
  numbers are turned into doubles before the query runs and numeric key values are printed as jq 1.6 prints
  a double (``1.0`` -> ``1``, ``1e17`` -> ``1e+17``, ``12345678901234567890`` -> ``12345678901234567000``).

Where AWS is silent, this engine decides (and ``docs/simulate.md`` says so): a key whose value is ``null``
(a missing field), an empty string, an array or an object fails the record; a number or a boolean becomes
its jq 1.6 text; a query that yields no result, several results, or something other than an object fails the
record. All of these are :class:`KeyExtractionError` with the code above.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any, Final

from .jq_syntax import post_1_6_features
from .json_serde import nesting_depth

__all__ = [
    "ERROR_CODE",
    "ERROR_OUTPUT_TYPE",
    "JSON_PARSING_ENGINE",
    "NON_JSON_MESSAGE",
    "JqQueryError",
    "KeyExtractionError",
    "PartitionKeyQuery",
    "jq16_number",
]

ERROR_CODE: Final = "DynamicPartitioning.MetadataExtractionFailed"
ERROR_OUTPUT_TYPE: Final = "metadata-extraction-failed"
NON_JSON_MESSAGE: Final = "Non JSON record provided"
JSON_PARSING_ENGINE: Final = "JQ-1.6"
JQ16_MAX_PARSING_DEPTH: Final = 256
#: jq 1.6 builtins the bundled jq no longer has (removed in jq 1.7 and 1.8).
_REMOVED_BUILTINS: Final = frozenset({"leaf_paths", "recurse_down", "scalars_or_empty", "pow10"})
#: Runs before the query: every input number becomes a double, as jq 1.6 parsed it (``. + 0`` drops the
#: literal text newer jq keeps).
_AS_DOUBLES: Final = 'walk(if type == "number" then . + 0 else . end) | '
_DBL_MAX: Final = 1.7976931348623157e308


class JqQueryError(ValueError):
    """A ``MetadataExtractionQuery`` that cannot run in Firehose or in this engine (the construct is named)."""


class KeyExtractionError(Exception):
    """One record's keys could not be extracted; the record goes to the ``metadata-extraction-failed`` output.

    Attributes:
        error_code: ``DynamicPartitioning.MetadataExtractionFailed``.
        error_message: what failed, for the error record's ``errorMessage``.
    """

    def __init__(self, error_message: str) -> None:
        super().__init__(f"{ERROR_CODE}: {error_message}")
        self.error_code = ERROR_CODE
        self.error_message = error_message


def jq16_number(value: float) -> str:
    """A number as jq 1.6 prints it (``jvp_dtoa_fmt``: shortest round-trip digits; exponent form below 1e-4
    and beyond 15 more digits than it has; infinities clamp to the largest double; NaN prints ``null``)."""
    if math.isnan(value):
        return "null"
    value = max(-_DBL_MAX, min(_DBL_MAX, value))
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    digits_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()[1:]
    digits = "".join(map(str, digits_tuple))
    point = len(digits) + int(exponent)  # dtoa's decpt: digits before the decimal point
    if point <= -4 or point > len(digits) + 15:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        power = point - 1
        return f"{sign}{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_record(record: bytes) -> str:
    """The record as text, if it is exactly one JSON document jq 1.6 parses (at most 256 levels deep:
    ``MAX_PARSING_DEPTH`` of jq 1.6; newer jq allows more), else the error."""
    try:
        text = record.decode("utf-8")
        if nesting_depth(text) > JQ16_MAX_PARSING_DEPTH:
            raise KeyExtractionError(f"Exceeds depth limit for parsing (jq 1.6 parses {JQ16_MAX_PARSING_DEPTH} levels)")
        json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise KeyExtractionError(NON_JSON_MESSAGE) from None
    return text


def _key_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return jq16_number(float(value))
    if isinstance(value, str) and value:
        return value
    if value is None:
        raise KeyExtractionError(f"partition key {key!r} is null (the record has no such field)")
    if value == "":
        raise KeyExtractionError(f"partition key {key!r} is an empty string")
    kind = "an array" if isinstance(value, list) else "an object"
    raise KeyExtractionError(f"partition key {key!r} is {kind}; a key must be a string, number or boolean")


class PartitionKeyQuery:
    """A compiled ``MetadataExtractionQuery``.

    Args:
        query: the query, e.g. ``{device_type:.device_type,dt:.ts[0:10]}``.
        json_parsing_engine: ``JsonParsingEngine``; Firehose has only ``JQ-1.6`` (the default).

    Raises:
        JqQueryError: another engine, a query that does not compile, or one that uses jq features Firehose's
            JQ-1.6 does not have (all named).
    """

    def __init__(self, query: str, json_parsing_engine: str = JSON_PARSING_ENGINE) -> None:
        if json_parsing_engine != JSON_PARSING_ENGINE:
            raise JqQueryError(f"JsonParsingEngine must be {JSON_PARSING_ENGINE}, got {json_parsing_engine!r}")
        if not query.strip():
            raise JqQueryError("MetadataExtractionQuery is empty")
        try:
            newer = post_1_6_features(query)
        except ValueError as error:
            raise JqQueryError(f"MetadataExtractionQuery {query!r} does not compile: {error}") from None
        if newer:
            raise JqQueryError(
                f"MetadataExtractionQuery {query!r} uses what Firehose's {JSON_PARSING_ENGINE} cannot run: "
                + "; ".join(newer)
            )
        self.query = query
        self._program = self._compile(query)

    @staticmethod
    def _compile(query: str) -> Any:
        import jq  # the simulate extra; imported only when a stream uses inline parsing

        try:
            jq.compile(query)  # alone first, so that an error's line and column are the query's own
            return jq.compile(_AS_DOUBLES + "(" + query + ")")
        except ValueError as error:
            message = str(error).splitlines()[0].removeprefix("jq: error: ").rstrip(":")
            name = message.split("/", 1)[0]
            if name in _REMOVED_BUILTINS and "is not defined" in message:
                raise JqQueryError(
                    f"MetadataExtractionQuery {query!r} uses {name}, a {JSON_PARSING_ENGINE} builtin that the jq "
                    "bundled with this engine no longer has; this engine cannot evaluate it"
                ) from None
            raise JqQueryError(f"MetadataExtractionQuery {query!r} does not compile: {message}") from None

    def extract(self, record: bytes) -> dict[str, str]:
        """Partition key -> value for one record, or :class:`KeyExtractionError` (see the module doc)."""
        text = _parse_record(record)
        try:
            results = self._program.input_text(text).all()
        except ValueError as error:
            raise KeyExtractionError(f"the MetadataExtractionQuery failed on the record: {error}") from None
        if len(results) != 1:
            raise KeyExtractionError(
                f"the MetadataExtractionQuery produced {len(results)} results for the record; it must produce "
                "one object"
            )
        keys = results[0]
        if not isinstance(keys, dict):
            raise KeyExtractionError(
                f"the MetadataExtractionQuery produced {type(keys).__name__} {json.dumps(keys)[:80]}, not an object"
            )
        return {str(key): _key_value(str(key), value) for key, value in keys.items()}
