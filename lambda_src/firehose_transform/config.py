"""Transform configuration, read from the environment variables of :data:`firehose_transform.contract.ENVIRONMENT`.

The configuration is read once per cold start. An invalid configuration raises :class:`ConfigError`
with the variable name in the message, so a misconfigured function fails loudly at initialisation
instead of silently sending every record to the error prefix.

Example::

    config = TransformConfig.from_env({"DROP_FIELDS": "email, password"})
    assert config.drop_fields == ("email", "password")
"""

from __future__ import annotations

import os

from firehose_transform import contract as c
from firehose_transform.contract import DEFAULT_METRICS_NAMESPACE, TIME_PARTITION_KEYS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Literal

    OutputFormat = Literal["json", "csv"]

__all__ = ["DEFAULT_METRICS_NAMESPACE", "TIME_PARTITION_KEYS", "ConfigError", "TransformConfig", "parse_field_list"]


class ConfigError(ValueError):
    """The environment does not describe a valid transform configuration."""


def parse_field_list(value: str | None) -> tuple[str, ...]:
    """Split a comma-separated field list: items are stripped, empty items and repeats are ignored.

    >>> parse_field_list(" email, ip,,email ")
    ('email', 'ip')
    """
    if not value:
        return ()
    seen: dict[str, None] = {}
    for item in value.split(c.LIST_SEPARATOR):
        name = item.strip()
        if name:
            seen.setdefault(name, None)
    return tuple(seen)


class TransformConfig:
    """What the transform does to every JSON document (read-only once built), in this order:

    user function -> hash -> mask -> partition keys -> drop -> encode (JSON or CSV).

    Partition keys are taken after hashing and masking (so a hashed field never reaches an S3 prefix in
    clear) and before dropping (so a field can be moved from the body to the prefix).

    Attributes (environment variable in brackets): ``drop_fields`` (DROP_FIELDS), ``mask_fields``
    (MASK_FIELDS), ``hash_fields`` (HASH_FIELDS), ``hash_key_secret_arn`` (HASH_KEY_SECRET_ARN),
    ``output_format`` (OUTPUT_FORMAT: ``json`` or ``csv``), ``csv_columns`` (CSV_COLUMNS),
    ``partition_key_fields`` (PARTITION_KEY_FIELDS), ``event_time_field`` (EVENT_TIME_FIELD),
    ``metrics_namespace`` (METRICS_NAMESPACE), ``function_name`` (AWS_LAMBDA_FUNCTION_NAME, the metric
    dimension), ``log_level`` (LOG_LEVEL).
    """

    __slots__ = (
        "csv_columns",
        "drop_fields",
        "event_time_field",
        "function_name",
        "hash_fields",
        "hash_key_secret_arn",
        "log_level",
        "mask_fields",
        "metrics_namespace",
        "output_format",
        "partition_key_fields",
    )

    def __init__(
        self,
        *,
        drop_fields: tuple[str, ...] = (),
        mask_fields: tuple[str, ...] = (),
        hash_fields: tuple[str, ...] = (),
        hash_key_secret_arn: str | None = None,
        output_format: OutputFormat = "json",
        csv_columns: tuple[str, ...] = (),
        partition_key_fields: tuple[str, ...] = (),
        event_time_field: str | None = None,
        metrics_namespace: str = DEFAULT_METRICS_NAMESPACE,
        function_name: str = "unknown",
        log_level: str = "INFO",
    ) -> None:
        self.drop_fields = tuple(drop_fields)
        self.mask_fields = tuple(mask_fields)
        self.hash_fields = tuple(hash_fields)
        self.hash_key_secret_arn = hash_key_secret_arn
        self.output_format: OutputFormat = output_format
        self.csv_columns = tuple(csv_columns)
        self.partition_key_fields = tuple(partition_key_fields)
        self.event_time_field = event_time_field
        self.metrics_namespace = metrics_namespace
        self.function_name = function_name
        self.log_level = log_level
        self._validate()

    def _validate(self) -> None:
        if self.output_format not in c.OUTPUT_FORMATS:
            raise ConfigError(f"{c.OUTPUT_FORMAT} must be 'json' or 'csv', got {self.output_format!r}")
        if self.output_format == "csv" and not self.csv_columns:
            raise ConfigError(f"{c.CSV_COLUMNS} is required when {c.OUTPUT_FORMAT} is 'csv'")
        if self.hash_fields and not self.hash_key_secret_arn:
            raise ConfigError(f"{c.HASH_KEY_SECRET_ARN} is required when {c.HASH_FIELDS} is set")
        if self.log_level not in c.LOG_LEVELS:
            raise ConfigError(f"{c.LOG_LEVEL} must be one of {', '.join(c.LOG_LEVELS)}, got {self.log_level!r}")
        if not self.metrics_namespace:
            raise ConfigError(f"{c.METRICS_NAMESPACE} must not be empty")
        clash = c.time_key_clashes(self.partition_key_fields, self.event_time_field)
        if clash:
            raise ConfigError(
                f"{c.PARTITION_KEY_FIELDS} must not contain {', '.join(clash)} when {c.EVENT_TIME_FIELD} is set: "
                "those partition keys come from the event time"
            )
        both = sorted(set(self.hash_fields) & set(self.mask_fields))
        if both:
            raise ConfigError(f"a field cannot be both in {c.HASH_FIELDS} and {c.MASK_FIELDS}: {', '.join(both)}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"TransformConfig({fields})"

    @property
    def partitioning(self) -> bool:
        """Whether records get ``metadata.partitionKeys``."""
        return bool(self.partition_key_fields) or self.event_time_field is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TransformConfig:
        """Build the configuration from ``env`` (default: ``os.environ``)."""
        e = os.environ if env is None else env
        output_format = (e.get(c.OUTPUT_FORMAT) or "json").strip().lower()
        if output_format not in c.OUTPUT_FORMATS:
            raise ConfigError(f"{c.OUTPUT_FORMAT} must be 'json' or 'csv', got {output_format!r}")
        event_time = (e.get(c.EVENT_TIME_FIELD) or "").strip() or None
        return cls(
            drop_fields=parse_field_list(e.get(c.DROP_FIELDS)),
            mask_fields=parse_field_list(e.get(c.MASK_FIELDS)),
            hash_fields=parse_field_list(e.get(c.HASH_FIELDS)),
            hash_key_secret_arn=(e.get(c.HASH_KEY_SECRET_ARN) or "").strip() or None,
            output_format="csv" if output_format == "csv" else "json",
            csv_columns=parse_field_list(e.get(c.CSV_COLUMNS)),
            partition_key_fields=parse_field_list(e.get(c.PARTITION_KEY_FIELDS)),
            event_time_field=event_time,
            metrics_namespace=(e.get(c.METRICS_NAMESPACE) or "").strip() or DEFAULT_METRICS_NAMESPACE,
            function_name=e.get(c.FUNCTION_NAME) or "unknown",
            log_level=(e.get(c.LOG_LEVEL) or "INFO").strip().upper(),
        )
