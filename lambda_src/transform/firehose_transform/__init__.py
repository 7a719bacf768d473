"""Firehose record transform: the Lambda contract, built-in steps and an extension API.

Public names::

    record_transformer   decorator turning f(document, metadata) -> dict | None into a handler
    RecordTransformer    base class of a handler (override ``transform``)
    FunctionTransformer  the handler made from a function, with options (config=, hash_key=, ...)
    RecordMetadata       what a user function knows about the record (id, Kinesis metadata, ...)
    KinesisMetadata      its ``kinesis`` part (Kinesis Data Stream sources only)
    TransformConfig      the configuration (normally read from the environment)
    ConfigError          raised at cold start for an invalid configuration

Modules: ``config``, ``contract`` (result values, record metadata, response size), ``shapes`` (typed
event/response, for annotations), ``codec`` (JSON/base64: orjson or stdlib), ``engine`` (the batch loop),
``steps`` (drop/mask/hash), ``partitioning``, ``csv_output``, ``hash_key`` (Secrets Manager),
``observability`` (EMF metrics, JSON logs), ``extension`` (the user-function API). See README.md.
"""

from firehose_transform.config import ConfigError, TransformConfig
from firehose_transform.contract import KinesisMetadata, RecordMetadata
from firehose_transform.extension import FunctionTransformer, RecordTransformer, record_transformer

__all__ = [
    "ConfigError",
    "FunctionTransformer",
    "KinesisMetadata",
    "RecordMetadata",
    "RecordTransformer",
    "TransformConfig",
    "record_transformer",
]
