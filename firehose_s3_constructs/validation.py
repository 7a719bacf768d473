"""Synth-time checks for FirehoseToS3 options.

Every check raises :class:`ConfigurationError` with a message that names the option, the value it got and
what is allowed, so a mistake fails ``cdk synth`` on the user's machine instead of a CloudFormation deploy.
The rules and their sources are in the comments; the API limits come from the Firehose API reference
(https://docs.aws.amazon.com/firehose/latest/APIReference/API_ExtendedS3DestinationConfiguration.html).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from aws_cdk import Duration, Size, SizeRoundingBehavior, Token
from constructs import IConstruct

__all__ = [
    "ERROR_OUTPUT_TYPE",
    "ConfigurationError",
    "PrefixExpression",
    "check_buffering",
    "check_delivery_stream_name",
    "check_file_extension",
    "check_prefixes",
    "check_range",
    "check_time_zone",
    "literal_number",
    "literal_seconds",
    "parse_prefix",
    "static_part",
    "unresolved",
    "whole_mebibytes",
    "whole_seconds",
]


class ConfigurationError(ValueError):
    """An option of a construct in this library has a value AWS would reject (raised at synth time).

    Raised by a construct, the message starts with the construct's path (``Stack/Pipeline: ...``), then names
    the option, the value it got and what is allowed.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path

    def at(self, scope: IConstruct) -> ConfigurationError:
        """The same error, located at ``scope`` (unchanged when it already names a construct)."""
        if self.path is not None:
            return self
        return ConfigurationError(self.message, path=scope.node.path)


ERROR_OUTPUT_TYPE = "!{firehose:error-output-type}"

# https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html: the namespaces a prefix may use.
_EXPRESSION = re.compile(r"!\{([^}:]*):([^}]*)\}")
_KNOWN_NAMESPACES = {"timestamp", "firehose", "partitionKeyFromQuery", "partitionKeyFromLambda"}
_FIREHOSE_VALUES = {"random-string", "error-output-type"}
# API: Prefix and ErrorOutputPrefix are 0-1024 characters; an evaluated prefix must be <= 512 characters.
_MAX_PREFIX_CHARS = 1024
# API_CreateDeliveryStream: DeliveryStreamName is 1-64 characters of [a-zA-Z0-9_.-].
_STREAM_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,64}")
# API_ExtendedS3DestinationConfiguration: FileExtension pattern ^$|\.[0-9a-z!\-_.*'()]+, at most 128.
_FILE_EXTENSION = re.compile(r"\.[0-9a-z!\-_.*'()]+")
_MAX_FILE_EXTENSION = 128
# API: CustomTimeZone pattern ^$|[a-zA-Z/_]+, at most 50 characters.
_TIME_ZONE = re.compile(r"[a-zA-Z/_]{1,50}")
#: Where AWS lists the time zones Firehose supports for prefixes and object names.
TIME_ZONE_DOCS = "https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html"
#: The regions that page groups its zones by.
TIME_ZONE_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@dataclass(frozen=True)
class PrefixExpression:
    """One ``!{namespace:value}`` expression found in a prefix."""

    namespace: str
    value: str

    @property
    def text(self) -> str:
        return f"!{{{self.namespace}:{self.value}}}"


def unresolved(value: object) -> bool:
    """Whether ``value`` holds an unresolved token (a ``CfnParameter``, an SSM parameter, a reference...).

    Every check of this library passes such values through unchanged, as aws-cdk-lib's ``withResolved``
    does: they are known only at deploy time, so CloudFormation and the service check them then.
    """
    if isinstance(value, Duration | Size):
        return bool(value.is_unresolved())
    return Token.is_unresolved(value)


def check_range(option: str, value: float | None, low: float, high: float, unit: str = "") -> None:
    """Raise unless ``low <= value <= high``; the message names the option, the value and the range.

    ``None`` (a token's value, see :func:`whole_seconds`) and tokens pass.
    """
    if value is None or unresolved(value):
        return
    if not low <= value <= high:
        suffix = f" {unit}" if unit else ""
        raise ConfigurationError(
            f"{option} must be between {_number(low)} and {_number(high)}{suffix}, got {_number(value)}{suffix}"
        )


def _number(value: float) -> str:
    """A number as a person writes it: ``3``, ``0.2``, ``2147483647`` (no exponent for whole numbers)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def whole_seconds(option: str, value: Duration) -> int | None:
    """Seconds of ``value``, refusing fractions that CloudFormation cannot take; None for a token."""
    if value.is_unresolved():
        return None
    millis = value.to_milliseconds()
    if millis % 1000:
        raise ConfigurationError(f"{option} must be a whole number of seconds, got {millis / 1000:g} s")
    return int(millis // 1000)


def literal_seconds(option: str, value: Duration, why: str) -> int:
    """Seconds of a Duration that must be known at synth time (``why`` says what is computed from it)."""
    seconds = whole_seconds(option, value)
    if seconds is None:
        raise ConfigurationError(f"{option} must be a literal Duration, not a token: {why}")
    return seconds


def literal_number(option: str, value: float, why: str) -> float:
    """A number that must be known at synth time (``why`` says what is computed from it)."""
    if unresolved(value):
        raise ConfigurationError(f"{option} must be a literal number, not a token: {why}")
    return value


def whole_mebibytes(option: str, value: Size) -> int | None:
    """MiB of ``value``, refusing fractions (Firehose takes an integer SizeInMBs); None for a token."""
    if value.is_unresolved():
        return None
    mebibytes = value.to_mebibytes(rounding=SizeRoundingBehavior.NONE)
    if mebibytes != int(mebibytes):
        raise ConfigurationError(f"{option} must be a whole number of MiB, got {mebibytes:g} MiB")
    return int(mebibytes)


def check_buffering(
    *,
    buffering_size: Size,
    buffering_interval: Duration,
    minimum_size_mib: int = 1,
    minimum_interval_s: int = 0,
    reason: str = "",
) -> None:
    """Validate S3 buffering hints (1-128 MiB, 0-900 s); a token passes.

    ``minimum_size_mib``/``minimum_interval_s`` raise the floor for features that need bigger buffers
    (dynamic partitioning and format conversion need 64 MiB; dynamic partitioning needs 60 s).
    """
    size = whole_mebibytes("buffering_size", buffering_size)
    interval = whole_seconds("buffering_interval", buffering_interval)
    why = f" ({reason})" if reason else ""
    if size is not None and not minimum_size_mib <= size <= 128:
        raise ConfigurationError(f"buffering_size must be between {minimum_size_mib} and 128 MiB{why}, got {size} MiB")
    if interval is not None and not minimum_interval_s <= interval <= 900:
        raise ConfigurationError(
            f"buffering_interval must be between {minimum_interval_s} and 900 seconds{why}, got {interval} s"
        )


def check_delivery_stream_name(name: str | None) -> None:
    if name is None or Token.is_unresolved(name):
        return
    if not _STREAM_NAME.fullmatch(name):
        raise ConfigurationError(
            f"delivery_stream_name must be 1-64 characters of letters, digits, '_', '.' or '-' "
            f"(pattern [a-zA-Z0-9_.-]{{1,64}}), got {name!r}"
        )


def check_file_extension(extension: str | None) -> None:
    if extension is None or extension == "" or unresolved(extension):
        return
    if len(extension) > _MAX_FILE_EXTENSION or not _FILE_EXTENSION.fullmatch(extension):
        raise ConfigurationError(
            "file_extension must start with '.' and use only 0-9 a-z ! - _ . * ' ( ) "
            f"(at most {_MAX_FILE_EXTENSION} characters, AWS pattern \\.[0-9a-z!\\-_.*'()]+), got {extension!r}"
        )


@cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(name: str | None) -> None:
    """``UTC`` or a region/city zone of the IANA database (tzdata), as Firehose lists them.

    The Firehose developer guide lists the supported zones by region (Africa, America, Antarctica, Asia,
    Atlantic, Australia, Europe, Indian, Pacific: TIME_ZONE_DOCS). A zone must be in tzdata, under one of those
    regions and match the API pattern ``[a-zA-Z/_]+`` (at most 50 characters). Abbreviations (``EST``),
    ``Etc/*``, ``Factory``, country aliases (``US/Eastern``) and ``''`` are refused: aws-cdk-lib or Firehose
    rejects them at synth or deploy time.
    """
    if name is None or unresolved(name) or name == "UTC":
        return
    region = name.split("/", 1)[0]
    if (
        not _TIME_ZONE.fullmatch(name)
        or "/" not in name
        or region not in TIME_ZONE_REGIONS
        or name not in _known_time_zones()
    ):
        raise ConfigurationError(
            f"time_zone must be 'UTC' or a region/city time zone Firehose supports, such as 'Asia/Seoul' or "
            f"'America/New_York' (regions: {', '.join(TIME_ZONE_REGIONS)}; the list: {TIME_ZONE_DOCS}), got {name!r}"
        )


def parse_prefix(option: str, prefix: str) -> list[PrefixExpression]:
    """Return the expressions of a prefix, raising on malformed or unknown ones (a token has none)."""
    if unresolved(prefix):
        return []  # known at deploy time only: Firehose checks it then
    if len(prefix) > _MAX_PREFIX_CHARS:
        raise ConfigurationError(
            f"{option} must be at most {_MAX_PREFIX_CHARS} characters, got {len(prefix)} characters"
        )
    expressions = [PrefixExpression(m.group(1), m.group(2)) for m in _EXPRESSION.finditer(prefix)]
    # "!{" may appear only as the start of a complete expression (DG s3-prefixes).
    if prefix.count("!{") != len(expressions):
        raise ConfigurationError(
            f"{option} has an incomplete '!{{' expression; use !{{namespace:value}}, got {prefix!r}"
        )
    for expression in expressions:
        if expression.namespace not in _KNOWN_NAMESPACES:
            raise ConfigurationError(
                f"{option} uses unknown namespace {expression.namespace!r} in {expression.text}; "
                f"allowed namespaces are {sorted(_KNOWN_NAMESPACES)}"
            )
        if expression.namespace == "firehose" and expression.value not in _FIREHOSE_VALUES:
            raise ConfigurationError(
                f"{option} uses {expression.text}; the firehose namespace allows only {sorted(_FIREHOSE_VALUES)}"
            )
        if not expression.value:
            raise ConfigurationError(f"{option} has an empty expression {expression.text}")
    return expressions


def check_prefixes(
    data_output_prefix: str, error_output_prefix: str | None, *, dynamic_partitioning: bool = False
) -> None:
    """Apply Firehose's prefix rules (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html)."""
    data_expressions = parse_prefix("data_output_prefix", data_output_prefix)
    keys = [e.text for e in data_expressions if e.namespace.startswith("partitionKeyFrom")]
    if keys and not dynamic_partitioning:
        raise ConfigurationError(
            f"data_output_prefix uses partition keys ({', '.join(keys)}), which exist only with dynamic "
            f"partitioning; set dynamic_partitioning or remove them, got {data_output_prefix!r}"
        )
    if any(e.text == ERROR_OUTPUT_TYPE for e in data_expressions):
        raise ConfigurationError(
            f"data_output_prefix cannot contain {ERROR_OUTPUT_TYPE}; use it in error_output_prefix, "
            f"got {data_output_prefix!r}"
        )
    if data_expressions and not error_output_prefix:
        raise ConfigurationError(
            "error_output_prefix is required when data_output_prefix contains expressions "
            f"(AWS: 'ErrorOutputPrefix cannot be null or empty when Prefix contains expressions'), "
            f"data_output_prefix is {data_output_prefix!r}"
        )
    if error_output_prefix is None:
        return
    error_expressions = parse_prefix("error_output_prefix", error_output_prefix)
    if error_expressions and not any(e.text == ERROR_OUTPUT_TYPE for e in error_expressions):
        raise ConfigurationError(
            f"error_output_prefix contains expressions, so it must contain {ERROR_OUTPUT_TYPE} at least once, "
            f"got {error_output_prefix!r}"
        )
    partition_keys = [e.text for e in error_expressions if e.namespace.startswith("partitionKeyFrom")]
    if partition_keys:
        raise ConfigurationError(
            f"error_output_prefix cannot use partition keys ({', '.join(partition_keys)}); got {error_output_prefix!r}"
        )


def static_part(prefix: str) -> str:
    """The literal text before the first expression: every object key under this prefix starts with it.

    A prefix given as a token is unknown until deployment: then nothing is known to be static (``""``).
    """
    if unresolved(prefix):
        return ""
    index = prefix.find("!{")
    return prefix if index < 0 else prefix[:index]


def prefix_keys(prefix: str, namespace: str) -> list[str]:
    """The partition key names a prefix uses from one namespace (e.g. partitionKeyFromQuery)."""
    return [e.value for e in parse_prefix("prefix", prefix) if e.namespace == namespace]


def join_names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))
