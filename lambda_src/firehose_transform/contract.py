"""The one definition of every name and limit shared by the constructs, the Lambda runtime and the client tools.

Standard library only and free of side effects: ``firehose_s3_constructs`` (at synth time),
``firehose_transform`` (inside the Lambda bundle, which carries this file) and ``firehose_s3_client``
(producer, CLI, local simulator) all import it. Change a name here and every side follows.

What is here:

* the transform function's environment (:data:`ENVIRONMENT`: each variable's name, meaning and default),
  and the variables that ``TransformOptions`` sets from its own fields (:data:`OPTION_VARIABLES`);
* the transform's embedded metrics: namespace, dimension and metric names;
* the partition keys the transform derives from the event time, and the rule that forbids a field
  partition key of the same name (:func:`time_key_clashes`);
* Firehose's and Lambda's limits that more than one side checks, each with its AWS source.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (Lambda cold start)
    from collections.abc import Iterable
    from typing import Final

# --- the transform function's environment (construct -> runtime) ----------------------------------------
DROP_FIELDS: Final = "DROP_FIELDS"
MASK_FIELDS: Final = "MASK_FIELDS"
HASH_FIELDS: Final = "HASH_FIELDS"
HASH_KEY_SECRET_ARN: Final = "HASH_KEY_SECRET_ARN"
OUTPUT_FORMAT: Final = "OUTPUT_FORMAT"
CSV_COLUMNS: Final = "CSV_COLUMNS"
PARTITION_KEY_FIELDS: Final = "PARTITION_KEY_FIELDS"
EVENT_TIME_FIELD: Final = "EVENT_TIME_FIELD"
METRICS_NAMESPACE: Final = "METRICS_NAMESPACE"
LOG_LEVEL: Final = "LOG_LEVEL"
PURE_PYTHON: Final = "FIREHOSE_TRANSFORM_PURE_PYTHON"
#: Set by Lambda itself; the runtime uses it as the metric dimension's value.
FUNCTION_NAME: Final = "AWS_LAMBDA_FUNCTION_NAME"

OUTPUT_FORMATS: Final = ("json", "csv")
LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR")
#: Default CloudWatch namespace of the transform's embedded metrics.
DEFAULT_METRICS_NAMESPACE: Final = "FirehoseS3Constructs/Transform"

#: (name, meaning, default) of every variable the runtime reads.
ENVIRONMENT: Final[tuple[tuple[str, str, str], ...]] = (
    (DROP_FIELDS, "comma-separated top-level fields removed from every JSON record", ""),
    (
        MASK_FIELDS,
        "comma-separated top-level fields masked (`jane@example.com` -> `j***@example.com`; other strings keep "
        "their first character then `***`)",
        "",
    ),
    (HASH_FIELDS, "comma-separated top-level fields replaced by a keyed hash (hex)", ""),
    (
        HASH_KEY_SECRET_ARN,
        "Secrets Manager secret whose `SecretString` is the hash key, read once per cold start; required with "
        f"`{HASH_FIELDS}`",
        "",
    ),
    (OUTPUT_FORMAT, "`json` or `csv`", "json"),
    (CSV_COLUMNS, f"comma-separated CSV column order (required when `{OUTPUT_FORMAT}=csv`)", ""),
    (PARTITION_KEY_FIELDS, "comma-separated top-level fields returned as `metadata.partitionKeys`", ""),
    (
        EVENT_TIME_FIELD,
        "field holding the event time (ISO-8601 or epoch seconds/milliseconds); adds the `year`, `month`, "
        "`day`, `hour` partition keys (UTC)",
        "",
    ),
    (METRICS_NAMESPACE, "CloudWatch namespace of the embedded metrics", DEFAULT_METRICS_NAMESPACE),
    (LOG_LEVEL, "/".join(LOG_LEVELS), "INFO"),
    (PURE_PYTHON, "`1` forces the standard-library json/base64 path", ""),
)
#: The variables ``TransformOptions`` sets from its own fields (never from ``environment=``).
OPTION_VARIABLES: Final = frozenset(
    {DROP_FIELDS, MASK_FIELDS, HASH_FIELDS, HASH_KEY_SECRET_ARN, OUTPUT_FORMAT, CSV_COLUMNS, PARTITION_KEY_FIELDS}
    | {EVENT_TIME_FIELD}
)
#: Lists are passed comma-separated: a field name may not contain this.
LIST_SEPARATOR: Final = ","

# --- the transform's embedded metrics (runtime -> alarms and dashboard) -------------------------------------
METRIC_DIMENSION: Final = "FunctionName"
METRIC_RECORDS_OK: Final = "RecordsOk"
METRIC_RECORDS_DROPPED: Final = "RecordsDropped"
METRIC_RECORDS_FAILED: Final = "RecordsProcessingFailed"
METRIC_BYTES_IN: Final = "BytesIn"
METRIC_BYTES_OUT: Final = "BytesOut"
RECORD_METRICS: Final = (METRIC_RECORDS_OK, METRIC_RECORDS_DROPPED, METRIC_RECORDS_FAILED)

# --- partition keys ---------------------------------------------------------------------------------------
#: The ``metadata.partitionKeys`` the transform adds from ``EVENT_TIME_FIELD`` (MM, dd, HH zero-padded).
TIME_PARTITION_KEYS: Final = ("year", "month", "day", "hour")


def time_key_clashes(partition_key_fields: Iterable[str], event_time_field: str | None) -> list[str]:
    """Field partition keys that would collide with the event-time keys (sorted; empty when none)."""
    if not event_time_field:
        return []
    return sorted(set(partition_key_fields) & set(TIME_PARTITION_KEYS))


def transform_partition_keys(partition_key_fields: Iterable[str], event_time_field: str | None) -> frozenset[str]:
    """Every ``metadata.partitionKeys`` key the transform returns for these settings."""
    keys = set(partition_key_fields)
    if event_time_field:
        keys.update(TIME_PARTITION_KEYS)
    return frozenset(keys)


# --- limits (each with its source) ------------------------------------------------------------------------
#: "Amazon Data Firehose supports a Lambda invocation time of up to 5 minutes"
#: (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
LAMBDA_MAX_TIMEOUT_SECONDS: Final = 300
#: The Lambda runtime API rejects larger responses ("Exceeded maximum allowed payload size (6291556 bytes)").
LAMBDA_RESPONSE_LIMIT: Final = 6_291_556
#: Lambda processor BufferSizeInMBs 0.2-3 (default 1), BufferIntervalInSeconds 0-900 (default 60),
#: NumberOfRetries default 3 (https://docs.aws.amazon.com/firehose/latest/APIReference/API_ProcessorParameter.html).
PROCESSOR_MIN_BUFFER_MB: Final = 0.2
PROCESSOR_MAX_BUFFER_MB: Final = 3.0
PROCESSOR_DEFAULT_BUFFER_MB: Final = 1
PROCESSOR_MAX_INTERVAL_SECONDS: Final = 900
PROCESSOR_DEFAULT_INTERVAL_SECONDS: Final = 60
PROCESSOR_DEFAULT_RETRIES: Final = 3
#: AWS documents no maximum for NumberOfRetries; this library's ceiling (retries re-invoke at once).
PROCESSOR_MAX_RETRIES: Final = 300
#: The S3 backup destination does not support zero buffering: 60-900 s (DG buffering-hints.html); the
#: interval this library gives the source-record backup.
BACKUP_BUFFERING_INTERVAL_SECONDS: Final = 300
BACKUP_BUFFERING_SIZE_MIB: Final = 5
#: A record's data blob: at most 1,000 KiB before base64 (API_Record).
MAX_RECORD_BYTES: Final = 1_024_000
#: PutRecordBatch: at most 500 records and 4 MiB per call (API_PutRecordBatch).
MAX_BATCH_RECORDS: Final = 500
MAX_BATCH_BYTES: Final = 4 * 1024 * 1024
#: Ingestion is billed per record rounded up to 5 KiB (https://aws.amazon.com/firehose/pricing/).
BILLING_INCREMENT_BYTES: Final = 5120
#: DeliveryStreamName: 1-64 characters of [a-zA-Z0-9_.-] (API_CreateDeliveryStream).
STREAM_NAME_PATTERN: Final = r"[a-zA-Z0-9_.-]{1,64}"
#: Prefix and ErrorOutputPrefix: at most 1024 characters as written (API), at most 512 after evaluation
#: (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html, "Semantic rules").
MAX_PREFIX_CHARS: Final = 1024
MAX_EVALUATED_PREFIX_CHARS: Final = 512
#: Active dynamic partitions per stream by default (up to 5,000 on request); records that would open one more
#: go to the activePartitionExceeded error output (https://docs.aws.amazon.com/firehose/latest/dev/buffering.html).
DEFAULT_ACTIVE_PARTITIONS: Final = 500
