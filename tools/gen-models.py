#!/usr/bin/env python3
"""Regenerates crates/aws/<service>/models/*.json from the botocore service models.

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
    "organizations": ("organizations", "2016-11-28"),
    "logs": ("logs", "2014-03-28"),
    "lambda": ("lambda", "2015-03-31"),
    "cloudformation": ("cloudformation", "2010-05-15"),
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


# SQS also speaks its original awsQuery protocol: form posts (often to the queue URL) answered in
# XML. botocore's SQS model is JSON-only now, so the awsQuery model is derived from it: the same
# operations, shapes and constraints, plus the wire names of SQS's Query API (its API reference and
# the 2012-11-05 WSDL): shape -> {part: name}, where a part is a structure member, "member", "key"
# or "value" of a list or map, or "" for every reference to the shape.
SQS_QUERY_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"
SQS_QUERY_NAMES = {
    "AWSAccountIdList": {"member": "AWSAccountId"},
    "ActionNameList": {"member": "ActionName"},
    "AttributeNameList": {"member": "AttributeName"},
    "BatchResultErrorEntryList": {"member": "BatchResultErrorEntry"},
    "BinaryList": {"member": "BinaryListValue"},
    "ChangeMessageVisibilityBatchRequestEntryList": {"member": "ChangeMessageVisibilityBatchRequestEntry"},
    "ChangeMessageVisibilityBatchResultEntryList": {"member": "ChangeMessageVisibilityBatchResultEntry"},
    "DeleteMessageBatchRequestEntryList": {"member": "DeleteMessageBatchRequestEntry"},
    "DeleteMessageBatchResultEntryList": {"member": "DeleteMessageBatchResultEntry"},
    "ListMessageMoveTasksResultEntryList": {"member": "ListMessageMoveTasksResultEntry"},
    "Message": {"Attributes": "Attribute", "MessageAttributes": "MessageAttribute"},
    "MessageAttributeNameList": {"member": "MessageAttributeName"},
    "MessageAttributeValue": {"StringListValues": "StringListValue", "BinaryListValues": "BinaryListValue"},
    "MessageBodyAttributeMap": {"key": "Name", "value": "Value"},
    "MessageBodySystemAttributeMap": {"key": "Name", "value": "Value"},
    "MessageList": {"member": "Message"},
    "MessageSystemAttributeList": {"member": "MessageSystemAttributeName"},
    "MessageSystemAttributeMap": {"": "Attribute", "key": "Name", "value": "Value"},
    "MessageSystemAttributeValue": {"StringListValues": "StringListValue", "BinaryListValues": "BinaryListValue"},
    "QueueAttributeMap": {"": "Attribute", "key": "Name", "value": "Value"},
    "QueueUrlList": {"member": "QueueUrl"},
    "SendMessageBatchRequestEntry": {"MessageAttributes": "MessageAttribute",
                                     "MessageSystemAttributes": "MessageSystemAttribute"},
    "SendMessageBatchRequestEntryList": {"member": "SendMessageBatchRequestEntry"},
    "SendMessageBatchResultEntryList": {"member": "SendMessageBatchResultEntry"},
    "SendMessageRequest": {"MessageAttributes": "MessageAttribute", "MessageSystemAttributes": "MessageSystemAttribute"},
    "StringList": {"member": "StringListValue"},
    "TagKeyList": {"member": "TagKey"},
    "TagMap": {"": "Tag", "key": "Key", "value": "Value"},
}


def sqs_query(model):
    """The awsQuery twin of SQS's JSON model (see SQS_QUERY_NAMES)."""
    model = json.loads(json.dumps(model))
    meta = model["metadata"]
    for key in ("jsonVersion", "targetPrefix", "awsQueryCompatible"):
        meta.pop(key, None)
    meta["protocol"] = "query"
    meta["protocols"] = ["query"]
    meta["xmlNamespace"] = SQS_QUERY_NAMESPACE
    shapes = model["shapes"]
    for shape_name, names in SQS_QUERY_NAMES.items():
        shape = shapes[shape_name]
        for part, name in names.items():
            if part in ("member", "key", "value"):
                shape[part]["locationName"] = name
            elif part:
                shape["members"][part]["locationName"] = name
    shape_names = {name: names[""] for name, names in SQS_QUERY_NAMES.items() if "" in names}
    for shape in shapes.values():
        for ref in shape.get("members", {}).values():
            target = shapes[ref["shape"]]
            if "locationName" in ref:
                continue
            if ref["shape"] in shape_names:
                ref["locationName"] = shape_names[ref["shape"]]
            elif target["type"] == "list" and (target.get("flattened") or ref.get("flattened")):
                # botocore names a flattened list after its member's wire name; putting that name on
                # the reference says the same thing in the form both encoders and decoders read.
                member_name = target["member"].get("locationName")
                if member_name:
                    ref["locationName"] = member_name
    for name, op in model["operations"].items():
        if "output" in op:
            op["output"]["resultWrapper"] = f"{name}Result"
    return model


def write(out_dir, file_name, model):
    with open(os.path.join(out_dir, f"{file_name}.json"), "w", encoding="utf-8") as f:
        json.dump(model, f, separators=(",", ":"), sort_keys=True)
        f.write("\n")


def main():
    for file_name, (service, version) in SERVICES.items():
        out_dir = os.path.join(os.path.dirname(__file__), "..", "crates", "aws", file_name, "models")
        os.makedirs(out_dir, exist_ok=True)
        model = strip(load(service, version))
        model["metadata"]["generatedBy"] = f"tools/gen-models.py from botocore {botocore.__version__}; do not edit"
        write(out_dir, file_name, model)
        if file_name == "sqs":
            write(out_dir, "sqs-query", sqs_query(model))


if __name__ == "__main__":
    main()
