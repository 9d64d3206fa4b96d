#!/usr/bin/env python3
"""Regenerates crates/aws/models/*.json from the botocore service models.

The AWS-compatible services are driven by AWS's own service models (operation tables, shapes,
constraints, error traits). This copies them from the botocore package installed in the venv,
dropping documentation and examples, so that the wire layer decodes, validates and encodes
exactly what AWS's model says. The output is generated: never edit it by hand; rerun this.

    .venv/bin/python tools/gen-models.py
"""
import gzip
import json
import os
import sys

import botocore

SERVICES = {
    # file name: (botocore service name, API version)
    "iam": ("iam", "2010-05-08"),
    "sts": ("sts", "2011-06-15"),
    "kms": ("kms", "2014-11-01"),
    "ssm": ("ssm", "2014-11-06"),
    "events": ("events", "2015-10-07"),
    "sns": ("sns", "2010-03-31"),
    "sqs": ("sqs", "2012-11-05"),
}
DROP = {"documentation", "documentationUrl", "examples", "deprecatedMessage", "endpointdiscovery"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def load(service, version):
    base = os.path.join(os.path.dirname(botocore.__file__), "data", service, version)
    for name in ("service-2.json", "service-2.json.gz"):
        path = os.path.join(base, name)
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as f:
                return json.load(f)
    sys.exit(f"no botocore model for {service} {version}")


def main():
    out_dir = os.path.join(os.path.dirname(__file__), "..", "crates", "aws", "models")
    os.makedirs(out_dir, exist_ok=True)
    for file_name, (service, version) in SERVICES.items():
        model = strip(load(service, version))
        model["metadata"]["generatedBy"] = f"tools/gen-models.py from botocore {botocore.__version__}; do not edit"
        with open(os.path.join(out_dir, f"{file_name}.json"), "w", encoding="utf-8") as f:
            json.dump(model, f, separators=(",", ":"), sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
