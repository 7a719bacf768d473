"""Lambda entry point of the Firehose transform: ``firehose_transform.handler.handler``.

The bundle's top-level ``handler.py`` (written by ``TransformFunction``'s bundler, so the function's
handler is ``handler.handler``) only re-exports this module's ``handler``.

Applies the built-in steps configured by the environment variables of ``firehose_transform.contract`` (drop, mask,
keyed hash, CSV, partition keys). The configuration is read (and the hash key fetched from Secrets
Manager) at import, i.e. once per cold start, during the Lambda init phase; an invalid configuration
fails the init with a message naming the variable.

Runs outside Lambda too::

    from firehose_transform.handler import handler
    handler({"records": [{"recordId": "1", "data": "eyJhIjogMX0="}]}, None)

To add your own logic, write a module like this one with ``@record_transformer`` (see README.md).
"""

from __future__ import annotations

from firehose_transform.extension import RecordTransformer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from firehose_transform.shapes import FirehoseResponse

_TRANSFORMER = RecordTransformer()
_TRANSFORMER.setup()


def handler(event: Any, context: Any) -> FirehoseResponse:
    """Transform one Firehose batch (see firehose_transform.engine for the guarantees)."""
    return _TRANSFORMER(event, context)
