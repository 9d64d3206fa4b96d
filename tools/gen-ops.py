#!/usr/bin/env python3
"""Generates crates/aws/<service>/src/ops.rs: the typed operations of each AWS-compatible service.

For the operations a service implements (listed one per line in crates/aws/<service>/operations.txt)
this writes, from the service's model in crates/aws/<service>/models/:

- `Op`, the operation table, with its `Operation` impl (the one way a service declares it);
- `Request`, one variant per operation holding its decoded input, with the `Request` impl the
  pipeline decodes each call with once, before authorizing and executing that same value;
- one Rust type per structure reachable from those operations' inputs and outputs, field for
  member, in the wire layer's normalised form (see the `spcred-wire` crate's documentation):
  strings and enums are `String`, integers `i32`, longs `i64`, floats and doubles `f64`,
  timestamps epoch seconds in an `f64`, blobs canonical base64 in a `String`, documents
  `serde_json::Value`, lists `Vec`, maps `BTreeMap`, and a member not required `Option`.
  Members of sensitive shapes are redacted from `Debug`.

The output is generated: never edit it by hand; change operations.txt or the model and rerun.

    python3 tools/gen-ops.py            # every service
    python3 tools/gen-ops.py ssm sqs    # some
    python3 tools/gen-ops.py --check    # fails when a checked-in file is not what it generates
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "aws")
# crate directory: model file (SQS's awsQuery model has the same shapes as its JSON one).
SERVICES = {
    "iam": "iam",
    "sts": "sts",
    "kms": "kms",
    "ssm": "ssm",
    "events": "events",
    "sns": "sns",
    "sqs": "sqs",
    "organizations": "organizations",
    "logs": "logs",
    "lambda": "lambda",
    "cloudformation": "cloudformation",
}
KEYWORDS = set(
    "as async await break const continue crate dyn else enum extern false fn for if impl in let loop "
    "match mod move mut pub ref return self static struct super trait true type unsafe use where "
    "while abstract become box do final macro override priv try typeof unsized virtual yield gen".split()
)
# Type names the generated module uses itself or that would shadow the prelude.
RESERVED = {"Op", "Request", "Option", "Result", "String", "Vec", "Box", "Value", "BTreeMap", "Self"}
# Shapes that carry a secret although the model does not mark them sensitive; they are redacted
# from Debug like the model's own sensitive shapes (STS's session tokens are bearer credentials).
SECRET_SHAPES = {"sts": {"tokenType"}}
SCALARS = {
    "string": "String",
    "boolean": "bool",
    "integer": "i32",
    "long": "i64",
    "float": "f64",
    "double": "f64",
    "timestamp": "f64",
    "blob": "String",
}


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()
    if s[0].isdigit():
        s = "n" + s
    return "r#" + s if s in KEYWORDS else s


def type_name(shape):
    name = re.sub(r"[^A-Za-z0-9]", "", shape)
    name = name[0].upper() + name[1:]
    return name + "Shape" if name in RESERVED else name


class Gen:
    def __init__(self, model, secret_shapes=frozenset()):
        self.model = model
        self.secret_shapes = secret_shapes
        self.shapes = model["shapes"]
        self.structs = []  # in order of first reach
        self.seen = set()
        self.stack = []  # the structures being reached, outermost first

    def sensitive(self, shape):
        node = self.shapes[shape]
        if node.get("sensitive") or shape in self.secret_shapes:
            return True
        if node["type"] == "list":
            return self.sensitive(node["member"]["shape"])
        if node["type"] == "map":
            return self.sensitive(node["value"]["shape"])
        return False

    def rust(self, shape, direct):
        """The Rust type of a member of shape `shape`; `direct` when no list or map is between."""
        node = self.shapes[shape]
        kind = node["type"]
        if kind in SCALARS:
            return SCALARS[kind]
        if kind == "structure":
            if node.get("document"):
                return "serde_json::Value"
            self.reach(shape)
            name = type_name(shape)
            # A structure inside itself needs a box; lists and maps already are one.
            return f"Box<{name}>" if direct and shape in self.stack else name
        if kind == "list":
            return f"Vec<{self.rust(node['member']['shape'], False)}>"
        if kind == "map":
            return f"BTreeMap<String, {self.rust(node['value']['shape'], False)}>"
        sys.exit(f"unknown shape type {kind} of {shape}")

    def reach(self, shape):
        if shape in self.seen:
            return
        self.seen.add(shape)
        entry = {"shape": shape, "fields": []}
        self.structs.append(entry)
        self.stack.append(shape)
        node = self.shapes[shape]
        required = set(node.get("required", []))
        names = set()
        for member, spec in node.get("members", {}).items():
            field = snake(member)
            if field in names:
                sys.exit(f"{shape}: two members are both field {field}")
            names.add(field)
            target = spec["shape"]
            rust = self.rust(target, True)
            entry["fields"].append(
                {
                    "member": member,
                    "field": field,
                    "type": rust,
                    "required": member in required,
                    "sensitive": self.sensitive(target),
                }
            )
        self.stack.pop()


def render(service, ops, model):
    gen = Gen(model, SECRET_SHAPES.get(service, frozenset()))
    operations = model["operations"]
    variants = []
    for op in ops:
        if op not in operations:
            sys.exit(f"{service}: {op} is not in the model")
        spec = operations[op]
        inp = spec.get("input", {}).get("shape")
        out = spec.get("output", {}).get("shape")
        if inp:
            gen.reach(inp)
        if out:
            gen.reach(out)
        variants.append((op, type_name(inp) if inp else None))
    lines = [
        f"// @generated by tools/gen-ops.py from models/ and operations.txt: never edit by hand.",
        "//! The implemented operations, their decoded requests and the model's structures they carry.",
        "#![allow(missing_docs, clippy::all, clippy::pedantic)]",
        "",
        "use serde::{Deserialize, Serialize};",
        "#[allow(unused_imports)]",
        "use std::collections::BTreeMap;",
        "",
        "/// The implemented operations.",
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]",
        "pub enum Op {",
    ]
    for op, _ in variants:
        lines.append(f"    {op},")
    lines += [
        "}",
        "",
        "impl Op {",
        "    /// Every implemented operation.",
        "    pub const ALL: &[Op] = &[" + ", ".join(f"Op::{op}" for op, _ in variants) + "];",
        "}",
        "",
        "impl aws_core::service::Operation for Op {",
        "    fn from_name(name: &str) -> Option<Self> {",
        "        match name {",
    ]
    for op, _ in variants:
        lines.append(f'            "{op}" => Some(Op::{op}),')
    lines += [
        "            _ => None,",
        "        }",
        "    }",
        "",
        "    fn name(self) -> &'static str {",
        "        match self {",
    ]
    for op, _ in variants:
        lines.append(f'            Op::{op} => "{op}",')
    lines += [
        "        }",
        "    }",
        "}",
        "",
        "/// A call's input, decoded once.",
        "#[derive(Debug, Clone)]",
        "pub enum Request {",
    ]
    for op, inp in variants:
        lines.append(f"    {op}({inp})," if inp else f"    {op},")
    lines += [
        "}",
        "",
        "impl aws_core::service::Request for Request {",
        "    type Op = Op;",
        "",
        "    fn decode(op: Op, input: serde_json::Value) -> Result<Self, aws_core::error::CommonError> {",
        "        Ok(match op {",
    ]
    for op, inp in variants:
        if inp:
            lines.append(f"            Op::{op} => Request::{op}(aws_core::service::input(input)?),")
        else:
            lines.append(f"            Op::{op} => Request::{op},")
    lines += [
        "        })",
        "    }",
        "",
        "    fn op(&self) -> Op {",
        "        match self {",
    ]
    for op, inp in variants:
        lines.append(f"            Request::{op}{'(_)' if inp else ''} => Op::{op},")
    lines += ["        }", "    }", "}"]
    for struct in gen.structs:
        name = type_name(struct["shape"])
        redacts = any(f["sensitive"] for f in struct["fields"])
        lines.append("")
        lines.append(f"/// `{struct['shape']}`.")
        derives = "Clone, Default, PartialEq, Serialize, Deserialize"
        lines.append(f"#[derive({derives}{'' if redacts else ', Debug'})]")
        if not struct["fields"]:
            lines.append(f"pub struct {name} {{}}")
            continue
        lines.append(f"pub struct {name} {{")
        for f in struct["fields"]:
            if f["required"]:
                lines.append(f'    #[serde(rename = "{f["member"]}")]')
                lines.append(f"    pub {f['field']}: {f['type']},")
            else:
                lines.append(f'    #[serde(rename = "{f["member"]}", default, skip_serializing_if = "Option::is_none")]')
                lines.append(f"    pub {f['field']}: Option<{f['type']}>,")
        lines.append("}")
        if redacts:
            lines += [
                "",
                f"impl std::fmt::Debug for {name} {{",
                "    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {",
                f'        f.debug_struct("{name}")',
            ]
            for f in struct["fields"]:
                shown = '&"**redacted**"' if f["sensitive"] else f"&self.{f['field']}"
                lines.append(f'            .field("{f["field"].removeprefix("r#")}", {shown})')
            lines += ["            .finish()", "    }", "}"]
    return "\n".join(lines) + "\n"


def rustfmt(text):
    """The text as `cargo fmt` leaves it, with the workspace's rustfmt.toml."""
    config = os.path.join(ROOT, "..", "..", "rustfmt.toml")
    done = subprocess.run(
        ["rustfmt", "--edition", "2024", "--config-path", config, "--emit", "stdout"],
        input=text, capture_output=True, text=True, check=True,
    )
    return done.stdout


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    check = "--check" in sys.argv
    stale = []
    for service in args or SERVICES:
        crate = os.path.join(ROOT, service)
        listing = os.path.join(crate, "operations.txt")
        if not os.path.exists(listing):
            continue
        with open(listing, encoding="utf-8") as f:
            ops = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        with open(os.path.join(crate, "models", f"{SERVICES[service]}.json"), encoding="utf-8") as f:
            model = json.load(f)
        text = rustfmt(render(service, ops, model))
        target = os.path.join(crate, "src", "ops.rs")
        if check:
            current = open(target, encoding="utf-8").read() if os.path.exists(target) else ""
            if current != text:
                stale.append(target)
            continue
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
    if stale:
        sys.exit("not what tools/gen-ops.py generates (rerun it): " + ", ".join(stale))


if __name__ == "__main__":
    main()
