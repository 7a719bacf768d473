"""Built-in field steps: drop, mask and keyed hash of top-level fields.

Every step is a function that edits one parsed document in place. Each step exists in two variants:

* the *exact* variant (``hot=False``) handles every JSON value; it runs after the document was fully
  validated;
* the *hot* variant (``hot=True``) runs in the engine's fast loop and only handles strings (and missing or
  null fields); for any other value it raises :class:`Fallback`, and the engine reprocesses the record
  on the exact path. This keeps the fast loop free of the corner cases without changing any result.

Masking: ``jane@example.com`` -> ``j***@example.com``; other strings keep their first character then
``***`` (``""`` stays ``""``); numbers, booleans, arrays and objects become ``"***"``; null stays null.

Keyed hash: BLAKE2b-256 keyed with the secret (hex, 64 characters). Strings are hashed as their UTF-8
bytes, other values as their compact JSON text with sorted keys (so ``123`` and ``"123"`` hash alike);
null stays null. A key longer than 64 bytes (BLAKE2b's maximum) is first reduced with unkeyed
BLAKE2b-512, see :func:`derive_hash_key`.
"""

from __future__ import annotations

from firehose_transform.codec import canonical_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, Final

    Document = dict[str, Any]
    Step = Callable[[Document], None]

MASK: Final = "***"
_BLAKE2B_MAX_KEY: Final = 64


class Fallback(Exception):  # noqa: N818 - a control-flow signal, not an error
    """A hot step met a value it does not handle: process this record on the exact path."""


def mask_string(value: str) -> str:
    """Mask a string: ``jane@example.com`` -> ``j***@example.com``, ``secret`` -> ``s***``."""
    if not value:
        return value
    local, at, domain = value.rpartition("@")
    if at:
        return f"{local[:1]}{MASK}@{domain}"
    return value[0] + MASK


def mask_value(value: Any) -> Any:
    """Mask any JSON value (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, str):
        return mask_string(value)
    return MASK


def make_mask_step(fields: Sequence[str], *, hot: bool) -> Step:
    """A step masking ``fields`` (top-level) in place."""
    return _field_step(tuple(fields), mask_string, mask_value, hot=hot)


def derive_hash_key(secret: bytes) -> bytes:
    """The BLAKE2b key for ``secret``: itself when it fits in 64 bytes, else its BLAKE2b-512 digest."""
    import hashlib

    if not secret:
        raise ValueError("the hash key must not be empty")
    if len(secret) <= _BLAKE2B_MAX_KEY:
        return secret
    return hashlib.blake2b(secret, digest_size=_BLAKE2B_MAX_KEY).digest()


def _string_hasher(derived: bytes) -> Callable[[str], str]:
    import hashlib

    blake2b = hashlib.blake2b

    def hash_string(value: str) -> str:
        return blake2b(value.encode("utf-8"), key=derived, digest_size=32).hexdigest()

    return hash_string


def make_hasher(key: bytes) -> Callable[[Any], Any]:
    """A function mapping a JSON value to its keyed hash (hex), or None to None."""
    hash_string = _string_hasher(derive_hash_key(key))

    def hash_value(value: Any) -> Any:
        if value is None:
            return None
        return hash_string(value if isinstance(value, str) else canonical_json(value))

    return hash_value


def make_hash_step(fields: Sequence[str], key: bytes, *, hot: bool) -> Step:
    """A step replacing ``fields`` (top-level) with their keyed hash, in place."""
    derived = derive_hash_key(key)
    # A derived key derives to itself: make_hasher computes no second digest.
    return _field_step(tuple(fields), _string_hasher(derived), make_hasher(derived), hot=hot)


def _field_step(
    names: tuple[str, ...], on_string: Callable[[str], str], on_value: Callable[[Any], Any], *, hot: bool
) -> Step:
    """A step replacing each present field of ``names`` in place: the hot variant with ``on_string`` (None
    and missing fields left alone, any other value raises :class:`Fallback`), the exact one with ``on_value``."""
    if hot:

        def replace_hot(doc: Document) -> None:
            for name in names:
                value = doc.get(name)
                if value is None:
                    continue
                if value.__class__ is not str:
                    raise Fallback
                doc[name] = on_string(value)

        return replace_hot

    def replace_exact(doc: Document) -> None:
        for name in names:
            if name in doc:
                doc[name] = on_value(doc[name])

    return replace_exact


def make_drop_step(fields: Sequence[str]) -> Step:
    """A step removing ``fields`` (top-level) in place (the fast loop inlines this)."""
    names = tuple(fields)

    def drop(doc: Document) -> None:
        for name in names:
            doc.pop(name, None)

    return drop
