"""botocore's own parsers read back what the wire crate encodes for every output protocol test.

Runs `examples/encode_cases.rs` (or the binary named by ENCODE_CASES_BIN), then parses each body
with `botocore.parsers` and a `botocore.model.ServiceModel` built from the case, and compares the
result with the case's `result` (or its error code, message and fields).

    .venv/bin/pytest crates/wire/tests/test_botocore_parses.py
"""

import copy
import datetime
import json
import math
import os
import pathlib
import subprocess

import pytest
from botocore.awsrequest import HeadersDict
from botocore.model import ServiceModel
from botocore.parsers import ResponseParserFactory

CRATE = pathlib.Path(__file__).resolve().parents[1]
CASES = CRATE.parents[1] / "testdata" / "protocol-tests" / "botocore-json" / "output"
PROTOCOLS = ["query", "json", "json_1_0", "json_1_0-query-compatible"]

# Cases where botocore itself departs from the Smithy protocol tests (botocore lists both in its
# own protocol-tests-ignore-list.json); the Rust tests compare these bodies with the Smithy ones.
SKIPS = {
    "query/QueryXmlLists": "botocore names flattened list elements after the list member "
    "(`item`), Smithy after the structure member (`customName`); we follow Smithy",
}


def _encoded():
    binary = os.environ.get("ENCODE_CASES_BIN")
    if binary:
        command = [binary]
    else:
        command = ["cargo", "run", "--quiet", "-p", "spcred-wire", "--example", "encode_cases"]
    out = subprocess.run(command, cwd=CRATE, check=True, capture_output=True, text=True).stdout
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {(line["protocol"], line["id"]): line for line in lines}


def _cases():
    for protocol in PROTOCOLS:
        for suite in json.loads((CASES / f"{protocol}.json").read_text()):
            for case in suite["cases"]:
                key = f"{protocol}/{case['id']}"
                marks = [pytest.mark.skip(reason=SKIPS[key])] if key in SKIPS else []
                yield pytest.param(protocol, suite, case, id=key, marks=marks)


CASE_PARAMS = list(_cases())


@pytest.fixture(scope="session")
def encoded():
    return _encoded()


def _plain(value):
    """Parsed values as the cases write them: epoch numbers, text for blobs, and the non-finite
    floats by name."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, datetime.datetime):
        seconds = value.timestamp()
        return int(seconds) if seconds == int(seconds) else seconds
    return value


def _model(suite, case):
    given = copy.deepcopy(case["given"])
    name = given["name"]
    if suite["metadata"]["protocol"] == "query" and "output" in given:
        # Real awsQuery models always name the result element; these test models leave it out,
        # and the encoder then uses awsQuery's `{Operation}Result`.
        given["output"].setdefault("resultWrapper", f"{name}Result")
    description = {
        "metadata": suite["metadata"],
        "shapes": suite["shapes"],
        "operations": {name: given},
    }
    model = ServiceModel(description)
    return model, model.operation_model(name)


@pytest.mark.parametrize("protocol, suite, case", CASE_PARAMS)
def test_botocore_reads_back_the_result(encoded, protocol, suite, case):
    line = encoded[(protocol, case["id"])]
    model, operation = _model(suite, case)
    parser = ResponseParserFactory().create_parser(model.metadata["protocol"])
    response = {
        "status_code": line["status"],
        "headers": HeadersDict(line["headers"]),
        "body": line["body"].encode("utf-8"),
        "context": {"operation_name": operation.name},
    }
    parsed = parser.parse(response, operation.output_shape)
    if "error" in case:
        error_shape = model.shape_for(case["given"]["errors"][0]["shape"])
        parsed.update(parser.parse(response, error_shape))
        error = parsed["Error"]
        for key in list(error):
            if key not in ("Code", "Message"):
                del error[key]
        if "errorMessage" not in case:
            # botocore's awsQuery parser only reports a message that the body has.
            error.setdefault("Message", "")
        expected = {
            "Error": {"Code": case["errorCode"], "Message": case.get("errorMessage", "")},
            **case["error"],
        }
    else:
        expected = case["result"]
    parsed.pop("ResponseMetadata", None)
    assert _plain(parsed) == expected, line["body"]
