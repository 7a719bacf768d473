"""Finding what a jq query uses that Firehose's ``JQ-1.6`` engine does not have.

The ``jq`` wheel from PyPI bundles a newer jq (1.8 at the time of writing), so a query can work locally
and fail in Firehose. This scanner reads the query's tokens and names every construct added after jq 1.6,
from the jq 1.7, 1.7.1 and 1.8 changelogs (https://github.com/jqlang/jq/blob/master/NEWS.md):

* builtins: ``pick/1``, ``debug/1``, ``scan/2``, ``abs/0``, ``toarray/0``, ``have_literal_numbers/0``,
  ``have_decnum/0``, ``ltrim/0``, ``rtrim/0``, ``trim/0``, ``trimstr/1``, ``toboolean/0``, ``add/1``,
  ``skip/2``, and the formats ``@base32d`` and ``@urid``;
* syntax: ``if`` without ``else``; ``{$name: value}`` (a binding as an object key); ``.a.["b"]`` (a dot
  before a bracket after a term); keywords as binding names (``$end``);
* and ``import`` / ``include``: a ``MetadataExtractionQuery`` has no module files to load.

Behaviour changes that no scanner can see (number literals keeping their precision, ``try``/``catch``
scoping, ``limit(0)``) are handled or documented by :mod:`.jq_keys`. A name the query defines itself with
``def`` is the query's own and is not flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["POST_1_6_BUILTINS", "POST_1_6_FORMATS", "post_1_6_features"]

POST_1_6_BUILTINS: Final = frozenset(
    {
        ("pick", 1),
        ("debug", 1),
        ("scan", 2),
        ("abs", 0),
        ("toarray", 0),
        ("have_literal_numbers", 0),
        ("have_decnum", 0),
        ("ltrim", 0),
        ("rtrim", 0),
        ("trim", 0),
        ("trimstr", 1),
        ("toboolean", 0),
        ("add", 1),
        ("skip", 2),
    }
)
POST_1_6_FORMATS: Final = frozenset({"base32d", "urid"})
_KEYWORDS: Final = frozenset(
    {"if", "then", "elif", "else", "end", "as", "def", "reduce", "foreach", "try", "catch", "label"}
    | {"import", "include", "and", "or", "__loc__"}
)
_TOKEN = re.compile(
    r"""(?P<space>\s+|\#[^\n]*)
    |(?P<format>@[A-Za-z0-9_]+)
    |(?P<var>\$[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)
    |(?P<field>\.[A-Za-z_][A-Za-z0-9_]*)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)
    |(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<punct>\?//|//=|\|=|\+=|-=|\*=|/=|%=|==|!=|<=|>=|//|\.\.|[.\[\](){}|,:;=<>+\-*/%?])""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # format, var, field, ident, number, punct, string
    text: str


def _string(query: str, start: int, tokens: list[Token]) -> int:
    """Lex a string literal opening at ``start``; its ``\\(...)`` interpolations are lexed as tokens."""
    position = start + 1
    while position < len(query):
        char = query[position]
        if char == '"':
            tokens.append(Token("string", '"'))
            return position + 1
        if char == "\\" and query.startswith("\\(", position):
            tokens.append(Token("punct", "("))
            position = _tokens(query, position + 2, tokens, until_close=True)
            tokens.append(Token("punct", ")"))
            continue
        position += 2 if char == "\\" else 1
    raise ValueError("unterminated string literal")


def _tokens(query: str, position: int, tokens: list[Token], *, until_close: bool = False) -> int:
    depth = 0
    while position < len(query):
        if query[position] == '"':
            position = _string(query, position, tokens)
            continue
        match = _TOKEN.match(query, position)
        if match is None:
            raise ValueError(f"unexpected character {query[position]!r}")
        kind = match.lastgroup or ""
        text = match.group()
        position = match.end()
        if kind == "space":
            continue
        if until_close and text == "(":
            depth += 1
        elif until_close and text == ")":
            if depth == 0:
                return position
            depth -= 1
        tokens.append(Token(kind, text))
    if until_close:
        raise ValueError("unterminated string interpolation")
    return position


def tokenize(query: str) -> list[Token]:
    """The query's tokens (strings collapse to one ``string`` token; their interpolations are kept)."""
    tokens: list[Token] = []
    _tokens(query, 0, tokens)
    return tokens


def _arity(tokens: list[Token], index: int) -> int:
    """Arguments of the call whose name is ``tokens[index]`` (0 without parentheses)."""
    if index + 1 >= len(tokens) or tokens[index + 1].text != "(":
        return 0
    depth, count = 0, 1
    for token in tokens[index + 1 :]:
        if token.text in "([{" and token.kind == "punct":
            depth += 1
        elif token.text in ")]}" and token.kind == "punct":
            depth -= 1
            if depth == 0:
                return count
        elif token.text == ";" and depth == 1:
            count += 1
    return count


def _defined(tokens: list[Token]) -> set[tuple[str, int]]:
    names: set[tuple[str, int]] = set()
    for index, token in enumerate(tokens[:-1]):
        if token.text == "def" and tokens[index + 1].kind == "ident":
            params = 0
            if index + 2 < len(tokens) and tokens[index + 2].text == "(":
                params = _arity(tokens, index + 1)
            names.add((tokens[index + 1].text, params))
    return names


def _ends_term(token: Token) -> bool:
    return token.kind in ("field", "var", "number", "string") or token.text in (")", "]", "}", "?")


def _is_object_key(tokens: list[Token], index: int, stack: list[str]) -> bool:
    before = tokens[index - 1].text if index else ""
    after = tokens[index + 1].text if index + 1 < len(tokens) else ""
    return bool(stack) and stack[-1] == "{" and before in ("{", ",") and after in (":", ",", "}")


def post_1_6_features(query: str) -> list[str]:
    """Each construct of ``query`` that jq 1.6 does not have, described (empty when there is none).

    Raises ValueError when the query cannot even be tokenized (an unterminated string).
    """
    tokens = tokenize(query)
    own = _defined(tokens)
    found: list[str] = []
    stack: list[str] = []
    ifs: list[bool] = []  # one entry per open `if`: has it an `else`?
    for index, token in enumerate(tokens):
        previous = tokens[index - 1] if index else None
        if token.kind == "punct" and token.text in "([{":
            dotted = token.text == "[" and previous is not None and previous.text == "." and index >= 2
            if dotted and _ends_term(tokens[index - 2]):
                found.append("'.[' after a term, as in .a.[\"b\"] (jq 1.7)")
            stack.append(token.text)
        elif token.kind == "punct" and token.text in ")]}":
            if stack:
                stack.pop()
        elif token.kind == "format" and token.text[1:] in POST_1_6_FORMATS:
            found.append(f"the format {token.text} (jq 1.7+)")
        elif token.kind == "var":
            if token.text[1:] in _KEYWORDS - {"__loc__"}:
                found.append(f"the keyword {token.text[1:]!r} as a binding name (jq 1.7)")
            elif _is_object_key(tokens, index, stack) and tokens[index + 1].text == ":":
                found.append(f"{{{token.text}: ...}}, a binding as an object key (jq 1.7)")
        elif token.kind == "ident":
            if token.text in ("import", "include"):
                found.append(f"the module directive {token.text!r} (Firehose runs one query, without modules)")
            elif token.text == "if":
                ifs.append(False)
            elif token.text == "else" and ifs:
                ifs[-1] = True
            elif token.text == "end" and ifs:
                if not ifs.pop():
                    found.append("'if' without 'else' (jq 1.7)")
            elif token.text not in _KEYWORDS and not (previous is not None and previous.text == "def"):
                call = (token.text, _arity(tokens, index))
                if call in POST_1_6_BUILTINS and call not in own and not _is_object_key(tokens, index, stack):
                    found.append(f"the builtin {call[0]}/{call[1]} (jq 1.7+)")
    return found
