"""``RecordId``s as Firehose returns them: opaque base64 strings, 224 characters, unique per record.

Real ones (the API reference's and the AWS CLI's examples, answers quoted in issue threads) are 224-character
base64 strings of no documented structure, so clients can only store them. These are the base64 of 168
bytes: 156 random bytes drawn once per call, then the call's serial number and the entry's position in it,
so every ID of a run is distinct, and a call of 500 records costs one random draw.
"""

from __future__ import annotations

import base64
import itertools
import os
import struct

__all__ = ["RECORD_ID_CHARACTERS", "RecordIds"]

RECORD_ID_CHARACTERS = 224
_RANDOM_BYTES = 156  # a multiple of 3: its base64 is a fixed prefix of every ID of the call
_SERIAL = struct.Struct(">QI")
_SUFFIX_CHARACTERS = _SERIAL.size * 4 // 3


class RecordIds:
    """Makes record IDs; thread-safe (each call takes its own serial number)."""

    def __init__(self) -> None:
        self._serials = itertools.count(1)

    def call(self, count: int) -> list[str]:
        """The IDs of a call's ``count`` records, in order."""
        serial = next(self._serials)
        prefix = base64.b64encode(os.urandom(_RANDOM_BYTES)).decode("ascii")
        pack = _SERIAL.pack
        # 12 bytes are 16 base64 characters: the suffixes of all the call's IDs are encoded in one go
        suffixes = base64.b64encode(b"".join(pack(serial, position) for position in range(count))).decode("ascii")
        width = _SUFFIX_CHARACTERS
        return [prefix + suffixes[start : start + width] for start in range(0, count * width, width)]
