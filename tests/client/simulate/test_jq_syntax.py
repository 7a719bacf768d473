"""The scanner that names what a jq query uses beyond jq 1.6."""

from __future__ import annotations

import pytest

from firehose_s3_client.simulate.jq_syntax import post_1_6_features, tokenize

JQ_1_6_QUERIES = [
    '{"device_type":.device_type,"dt":.ts[0:10]}',
    '{customer_id:.customer_id, year:.event_timestamp|strftime("%Y")}',
    '{a: .a, b: (.b // "none")}',
    "{k: (if .x then 1 else 2 end)}",
    "{k: (if .x then 1 elif .y then 2 else 3 end)}",
    "{$__loc__}",
    "{k: .[0], l: .a[0], m: .a[1:3]}",
    "{k: (reduce .[] as $x (0; . + $x))}",
    '{k: "at \\(.ts) in \\(.zone | ascii_downcase)"}',
    "def f($x): $x + 1; {k: f(.n)}",
    'def trim: ltrimstr(" "); {k: (.a | trim)}',  # the query's own trim
    '{k: (.a | scan("x")), l: (.a | ltrimstr("x")), m: ([.[] | numbers] | add)}',
    "{abs: .abs, pick: .pick}",  # object keys and fields named like newer builtins
    '{k: "#not a comment"}',
    "{k: .a} # pick(.a) in a comment",
    '{k: @base64 "\\(.a)"}',
    "{k: (.a as [$x, $y] ?// $x | $x)}",
    "{k: (.. | numbers)}",
    '{k: ."a-b"}',
]


@pytest.mark.parametrize("query", JQ_1_6_QUERIES)
def test_jq_1_6_queries_pass(query: str) -> None:
    assert post_1_6_features(query) == []


@pytest.mark.parametrize(
    ("query", "feature"),
    [
        ("{k: pick(.a)}", "the builtin pick/1"),
        ('{k: (. | debug("msg"))}', "the builtin debug/1"),
        ('{k: (.a | scan("x"; "g"))}', "the builtin scan/2"),
        ("{k: (.n | abs)}", "the builtin abs/0"),
        ("{k: (.a | toarray)}", "the builtin toarray/0"),
        ("{k: have_decnum}", "the builtin have_decnum/0"),
        ("{k: have_literal_numbers}", "the builtin have_literal_numbers/0"),
        ("{k: (.a | trim), l: (.a | ltrim), m: (.a | rtrim)}", "the builtin ltrim/0"),
        ('{k: (.a | trimstr("x"))}', "the builtin trimstr/1"),
        ("{k: (.a | toboolean)}", "the builtin toboolean/0"),
        ("{k: add(.[])}", "the builtin add/1"),
        ("{k: [skip(1; .[])]}", "the builtin skip/2"),
        ('{k: @base32d "x"}', "the format @base32d"),
        ("{k: (.a | @urid)}", "the format @urid"),
        ("{k: (if .a then 1 end)}", "'if' without 'else'"),
        ("{k: (if .a then 1 elif .b then 2 end)}", "'if' without 'else'"),
        ("{k: (if .a then (if .b then 1 end) else 2 end)}", "'if' without 'else'"),
        ('"a" as $key | {$key: 1}', "a binding as an object key"),
        ('{k: .a.["b"]}', "'.[' after a term"),
        ('{k: ."a".["b"]}', "'.[' after a term"),
        ("{k: .[0].[1]}", "'.[' after a term"),
        ("{k: (. as $end | $end)}", "the keyword 'end' as a binding name"),
        ('import "m" as m; {k: m::f}', "the module directive 'import'"),
        ('{k: "x\\(.a | pick(.b))"}', "the builtin pick/1"),  # inside a string interpolation
    ],
)
def test_newer_constructs_are_named(query: str, feature: str) -> None:
    assert any(feature in found for found in post_1_6_features(query))


def test_every_use_is_reported() -> None:
    assert len(post_1_6_features("{k: (.a | abs), l: pick(.b), m: (if .c then 1 end)}")) == 3


def test_strings_collapse_but_interpolations_stay() -> None:
    kinds = [t.kind for t in tokenize('"a\\(.b)c"')]
    assert kinds == ["punct", "field", "punct", "string"]


def test_an_unterminated_string_is_an_error() -> None:
    with pytest.raises(ValueError, match="unterminated string"):
        post_1_6_features('{k: "open}')
