"""Firehose record transform: the Lambda contract, built-in steps and an extension API.

Public names (imported on first use, so ``import firehose_transform.contract`` stays cheap)::

    record_transformer   decorator turning f(document, metadata) -> dict | None into a handler
    RecordTransformer    base class of a handler (override ``transform``)
    FunctionTransformer  the handler made from a function, with options (config=, hash_key=, ...)
    RecordMetadata       what a user function knows about the record (id, Kinesis metadata, ...)
    KinesisMetadata      its ``kinesis`` part (Kinesis Data Stream sources only)
    TransformConfig      the configuration (normally read from the environment)
    ConfigError          raised at cold start for an invalid configuration

Modules: ``contract`` (names and limits shared with the constructs and the client tools), ``config``,
``protocol`` (result values, record metadata, response size), ``shapes`` (typed event/response, for
annotations), ``codec`` (JSON/base64: orjson or stdlib), ``json_limits`` and ``stdlib_json`` (its shared limits
and its standard-library half), ``engine`` (the batch and the exact path), ``fast_path`` (the common case,
column-wise), ``response_limit``, ``steps`` (drop/mask/hash), ``partitioning``, ``csv_output``, ``documents``
(what a valid record is), ``hash_key`` (Secrets Manager), ``observability`` (EMF metrics, JSON logs),
``extension`` (the user-function API), ``handler`` (the Lambda entry point). See README.md.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from firehose_transform.config import ConfigError, TransformConfig
    from firehose_transform.extension import FunctionTransformer, RecordTransformer, record_transformer
    from firehose_transform.protocol import KinesisMetadata, RecordMetadata

_EXPORTS = {
    "ConfigError": "config",
    "TransformConfig": "config",
    "FunctionTransformer": "extension",
    "RecordTransformer": "extension",
    "record_transformer": "extension",
    "KinesisMetadata": "protocol",
    "RecordMetadata": "protocol",
}

__all__ = [
    "ConfigError",
    "FunctionTransformer",
    "KinesisMetadata",
    "RecordMetadata",
    "RecordTransformer",
    "TransformConfig",
    "record_transformer",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'firehose_transform' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"firehose_transform.{module}"), name)
    globals()[name] = value
    return value
