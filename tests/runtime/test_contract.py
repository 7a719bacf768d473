"""The runtime side of the shared contract: it reads every variable, emits every metric and key the contract names.

(The construct side is checked in tests/cdk: what ``TransformOptions`` sets is what the runtime reads.)
"""

from __future__ import annotations

import base64
import io
import json

import pytest

from firehose_transform import contract
from firehose_transform.config import ConfigError, TransformConfig
from firehose_transform.engine import Engine
from firehose_transform.observability import StructuredLogger

#: A value each variable accepts, and the TransformConfig attribute it sets (PURE_PYTHON is the codec's switch).
VARIABLES = {
    contract.DROP_FIELDS: ("a, b", "drop_fields", ("a", "b")),
    contract.MASK_FIELDS: ("c", "mask_fields", ("c",)),
    contract.HASH_FIELDS: ("d", "hash_fields", ("d",)),
    contract.HASH_KEY_SECRET_ARN: ("arn:aws:secretsmanager:x", "hash_key_secret_arn", "arn:aws:secretsmanager:x"),
    contract.OUTPUT_FORMAT: ("csv", "output_format", "csv"),
    contract.CSV_COLUMNS: ("a,b", "csv_columns", ("a", "b")),
    contract.PARTITION_KEY_FIELDS: ("tenant", "partition_key_fields", ("tenant",)),
    contract.EVENT_TIME_FIELD: ("ts", "event_time_field", "ts"),
    contract.METRICS_NAMESPACE: ("Custom/NS", "metrics_namespace", "Custom/NS"),
    contract.LOG_LEVEL: ("DEBUG", "log_level", "DEBUG"),
}


def test_the_config_reads_every_variable_of_the_environment_contract() -> None:
    documented = {name for name, _meaning, _default in contract.ENVIRONMENT}
    assert documented == set(VARIABLES) | {contract.PURE_PYTHON}
    env = {name: value for name, (value, _attribute, _expected) in VARIABLES.items()}
    config = TransformConfig.from_env(env)
    for name, (_value, attribute, expected) in VARIABLES.items():
        assert getattr(config, attribute) == expected, name
    assert TransformConfig.from_env({contract.FUNCTION_NAME: "fn"}).function_name == "fn"


@pytest.mark.parametrize(("name", "meaning", "default"), contract.ENVIRONMENT, ids=[e[0] for e in contract.ENVIRONMENT])
def test_documented_defaults_are_the_runtime_defaults(name: str, meaning: str, default: str) -> None:
    if name == contract.PURE_PYTHON:
        return  # read by codec at import (tests/runtime/test_codec.py)
    attribute = VARIABLES[name][1]
    value = getattr(TransformConfig.from_env({}), attribute)
    assert value == (default or (() if isinstance(value, tuple) else None)), name
    assert meaning


def test_time_partition_keys_clash_with_field_keys_only_with_an_event_time() -> None:
    assert contract.time_key_clashes(["year", "tenant", "hour"], "ts") == ["hour", "year"]
    assert contract.time_key_clashes(["year"], None) == []
    with pytest.raises(ConfigError, match=contract.PARTITION_KEY_FIELDS):
        TransformConfig(partition_key_fields=("day",), event_time_field="ts")


def test_the_partition_keys_returned_are_the_ones_the_contract_announces() -> None:
    config = TransformConfig(partition_key_fields=("tenant",), event_time_field="ts")
    engine = Engine(config, logger=StructuredLogger("ERROR", io.StringIO()))
    data = base64.b64encode(b'{"tenant": "t1", "ts": "2024-05-06T07:08:09Z"}').decode()
    record = engine.process({"records": [{"recordId": "r", "data": data}]})["records"][0]
    keys = record["metadata"]["partitionKeys"]
    assert set(keys) == contract.transform_partition_keys(["tenant"], "ts")
    assert keys == {"tenant": "t1", "year": "2024", "month": "05", "day": "06", "hour": "07"}


def test_the_metrics_emitted_are_the_ones_the_contract_names() -> None:
    stream = io.StringIO()
    config = TransformConfig(function_name="fn")
    Engine(config, logger=StructuredLogger("INFO", stream)).process({"records": []})
    emf = json.loads(stream.getvalue().splitlines()[0])
    declared = emf["_aws"]["CloudWatchMetrics"][0]
    assert declared["Namespace"] == contract.DEFAULT_METRICS_NAMESPACE
    assert declared["Dimensions"] == [[contract.METRIC_DIMENSION]]
    names = [metric["Name"] for metric in declared["Metrics"]]
    assert set(contract.RECORD_METRICS) <= set(names)
    assert names == [*contract.RECORD_METRICS, contract.METRIC_BYTES_IN, contract.METRIC_BYTES_OUT]
    assert emf[contract.METRIC_DIMENSION] == "fn"
