"""The extension API: your own per-document function, with all the contract handling reused.

Decorator form (the decorated name *is* the Lambda handler)::

    from firehose_transform import RecordMetadata, record_transformer

    @record_transformer
    def handler(document: dict, metadata: RecordMetadata) -> dict | None:
        if document.get("level") == "DEBUG":
            return None                      # Dropped
        document["source_shard"] = metadata.kinesis.shard_id if metadata.kinesis else None
        return document                      # Ok (then the built-in steps run on it)

Base-class form::

    class Enrich(RecordTransformer):
        def transform(self, document, metadata):
            document["env"] = "prod"
            return document

    handler = Enrich()

The function receives each parsed JSON object (once per document of a multi-document record) and the
record's :class:`~firehose_transform.protocol.RecordMetadata`; it returns a dict (Ok), ``None``
(Dropped; a record whose documents are all dropped is Dropped) or raises (that record, and only that
record, is ProcessingFailed; only the exception type is logged). The built-in steps configured in the
environment (hash, mask, partition keys, drop, CSV) then run on the returned dict.

The returned dict must hold JSON values only (str keys; str, int, float, bool, None, list, dict);
NaN/infinity, lone surrogates and nesting deeper than 254 fail the record. Other Python types are not
supported; the orjson and standard-library paths treat some of them differently (the standard library
writes non-str keys as strings, orjson refuses them; orjson writes UUIDs and enums, the standard
library refuses plain enums and UUIDs).

The configuration is read (and the hash key fetched) once, on the first invocation or on
:meth:`RecordTransformer.setup`; pass ``config=``/``hash_key=`` to build one without the environment.
"""

from __future__ import annotations

from firehose_transform.config import TransformConfig
from firehose_transform.engine import Engine
from firehose_transform.observability import StructuredLogger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

    from firehose_transform.codec import Codec
    from firehose_transform.engine import Document, UserFunction
    from firehose_transform.protocol import RecordMetadata
    from firehose_transform.shapes import FirehoseResponse, SecretsClient


class RecordTransformer:
    """A Firehose transform Lambda handler. Call it as ``handler(event, context)``.

    Subclass it and override :meth:`transform` to add your own logic; used as is, it applies only the
    built-in steps configured in the environment.
    """

    def __init__(
        self,
        *,
        config: TransformConfig | None = None,
        codec: Codec | None = None,
        hash_key: bytes | None = None,
        secrets_client: SecretsClient | None = None,
        log_stream: TextIO | None = None,
    ) -> None:
        self._config = config
        self._codec = codec
        self._hash_key = hash_key
        self._secrets_client = secrets_client
        self._log_stream = log_stream
        self._engine: Engine | None = None

    def transform(self, document: Document, metadata: RecordMetadata) -> Document | None:
        """Transform one document: return it (Ok), return None (Dropped) or raise (ProcessingFailed)."""
        return document

    def user_function(self) -> UserFunction | None:
        """The per-document function, or None when :meth:`transform` is not overridden (faster path)."""
        if type(self).transform is RecordTransformer.transform:
            return None
        return self.transform

    def setup(self) -> Engine:
        """Read the configuration and the hash key and build the engine (once; later calls reuse it)."""
        if self._engine is None:
            config = self._config if self._config is not None else TransformConfig.from_env()
            key = self._hash_key
            if config.hash_fields and key is None and config.hash_key_secret_arn:
                from firehose_transform.hash_key import fetch_hash_key

                key = fetch_hash_key(config.hash_key_secret_arn, self._secrets_client)
            self._engine = Engine(
                config,
                codec=self._codec,
                user_function=self.user_function(),
                hash_key=key,
                logger=StructuredLogger(config.log_level, self._log_stream),
            )
        return self._engine

    @property
    def engine(self) -> Engine:
        return self.setup()

    def __call__(self, event: Any, context: Any = None) -> FirehoseResponse:
        return self.setup().process(event, context)


class FunctionTransformer(RecordTransformer):
    """The handler made by :func:`record_transformer` from a plain function (kept as ``.function``)."""

    def __init__(self, function: UserFunction, **options: Any) -> None:
        super().__init__(**options)
        self.function = function
        self.__doc__ = function.__doc__
        self.__name__ = getattr(function, "__name__", "handler")

    def transform(self, document: Document, metadata: RecordMetadata) -> Document | None:
        return self.function(document, metadata)

    def user_function(self) -> UserFunction | None:
        return self.function


def record_transformer(function: UserFunction) -> FunctionTransformer:
    """Decorator: turn ``function(document, metadata) -> dict | None`` into a Lambda handler.

    For options (a fixed configuration, a hash key, a log stream...) build the handler directly:
    ``FunctionTransformer(function, config=TransformConfig(drop_fields=("email",)))``.
    """
    return FunctionTransformer(function)
