"""The limits every JSON document must respect on both codecs, and the reasons a document is refused.

The rules themselves (what is valid, and why) are in :mod:`firehose_transform.codec`; this module only holds
the names the codecs, the engine and the client tools share, so that none of them depends on a codec.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

#: The integers both codecs read exactly (orjson would turn others into floats).
INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**64 - 1
#: Deepest nesting of arrays/objects accepted (the top-level object counts as 1); orjson's writer limit.
MAX_DEPTH: Final = 254
#: Failure reasons (logged, never with the record content).
REASON_INVALID_JSON: Final = "invalid_json"
REASON_INVALID_UTF8: Final = "invalid_utf8"
REASON_INT_RANGE: Final = "integer_out_of_range"
REASON_TOO_DEEP: Final = "too_deep"
REASON_NOT_OBJECT: Final = "not_object"
REASON_EMPTY: Final = "empty"


class InvalidDocumentError(ValueError):
    """The bytes are not one valid JSON document; ``reason`` says why (no content in the message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
