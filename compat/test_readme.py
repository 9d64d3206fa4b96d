"""Runs the README's shell blocks, in order, as a reader pasting them into a terminal would.

Every ```sh and ```bash fence of README.md is a test item (`test_readme_block[README.md:LINE]`,
LINE being the block's first line of code). The blocks run one after another in a single
persistent bash, so the variables, functions and files of one block are there for the next, as
the README's sections build on each other (the IAM setup's `$ACCOUNT` and role session, Developer
Central's `$APP` and `$CLIENT_ID`, the listing's `logo.png`, ...). The shell runs with
`set -Eeuo pipefail`: the first command that fails fails its block, with the README line, the
command, its stdout and stderr and the end of the server's log in the message, and the blocks
after it are skipped. Each block has a timeout (BLOCK_TIMEOUT), so a hang fails too.

What the test does for the reader:

- It starts `spcred serve` itself, in the background, in a temporary working directory (whose
  `./spcred-data` the first start initializes), before the first block, and puts the venv's bin
  directory (`aws`, `python3` with boto3) and the directory of SPCRED_BIN (`spcred`) first on
  PATH. HOME, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point into the temporary
  directory, so a real ~/.aws is never read or written; everything else (the profile, the
  credentials file the server writes, AWS_ENDPOINT_URL) the blocks set up themselves, as the
  README tells the reader to.
- The server and `spcred agent` listen on free ports instead of 4566 and 4580: the blocks'
  `127.0.0.1:4566` and `127.0.0.1:4580` are rewritten to them (any other `127.0.0.1:PORT` or
  `localhost:PORT` to a free port of its own), and SPCRED_ENDPOINT and SPCRED_AGENT_LISTEN stand
  in for the CLI's defaults, so the test never needs a fixed port.
- `curl` runs as `curl --fail-with-body` (unless the block already passes `-f`) and `jq` as
  `jq -e`, so an HTTP error answer or a missing field fails the block instead of flowing on as
  `null`: what a reader would notice on the screen, the test notices too.

Markers: HTML comments on the lines right before a fence, for blocks that cannot run as-is. Keep
them few; each must be true of the README's prose.

- `<!-- readme-test: skip (reason) -->`: the next block is not run (reported as skipped with the
  reason). For blocks that cannot run inside the test at all (building spcred, running the
  whole test suite), or that hit a known bug, named in the reason.
- `<!-- readme-test: serve FLAGS -->`: the following blocks, to the end of the marker's section
  (the next heading of the same or a higher level), need `spcred serve FLAGS` (for example
  `--test-mode` or `--sp-require-sigv4`). The test restarts the server with those flags before
  them, in the same directory (the store, credentials and admin token are kept) and with the
  same shell, as the reader restarting the server would; after the section it restarts it
  without flags again.

A marker that is not understood, or that is not followed by a shell fence, fails collection.
"""
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conftest import BIN, ROOT, VENV_BIN, free_port

README = ROOT / "README.md"
SPCRED = Path(BIN).resolve()  # SPCRED_BIN may be relative to the repository (scripts/test.sh)
README_PORT = 4566
README_AGENT_PORT = 4580
BLOCK_TIMEOUT = 60
SHELL_LANGUAGES = {"sh", "bash"}

LOCAL_ADDRESS = re.compile(r"\b(?P<host>127\.0\.0\.1|localhost):(?P<port>\d{2,5})\b")
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*readme-test:\s*(?P<body>.*?)\s*-->\s*$")
HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.*)$")
DONE = "__readme_test_block_done__"

# Runs once in the shell before the first block.
PRELUDE = r"""
set -Eeuo pipefail
__readme_test_err() {
    local rc=$1 i
    printf 'readme-test: exit %s at %s:%s: %s\n' "$rc" "${BASH_SOURCE[1]:-?}" "${BASH_LINENO[0]:-?}" "$BASH_COMMAND" >&2
    for ((i = 1; i + 1 < ${#BASH_SOURCE[@]}; i++)); do
        printf 'readme-test:   in %s, called from %s:%s\n' "${FUNCNAME[i]:-?}" "${BASH_SOURCE[i+1]:-?}" "${BASH_LINENO[i]:-?}" >&2
    done
}
trap '__readme_test_err $?' ERR
curl() {
    local a
    for a in "$@"; do
        case $a in --fail | --fail-with-body | -[!-]*f*) command curl "$@"; return ;; esac
    done
    command curl --fail-with-body "$@"
}
jq() { command jq -e "$@"; }
"""


@dataclass
class Block:
    index: int
    line: int  # README line of the block's first line of code
    lang: str
    code: str
    section: str
    skip: str | None = None
    flags: tuple[str, ...] = ()

    @property
    def where(self):
        return f"README.md:{self.line}"


def parse_readme(text):
    """The README's shell blocks, with the markers that apply to each."""
    blocks = []
    pending = []  # (line, marker body) of the markers waiting for their fence
    heading_level, section = 0, ""
    serve_flags, serve_level = (), None  # the active serve marker and its section's level
    fence = None  # the fence being read: its indent, language, first line, lines and markers

    def error(line, message):
        raise ValueError(f"README.md:{line}: {message}")

    for number, line in enumerate(text.splitlines(), start=1):
        if fence is None:
            if m := MARKER.match(line):
                pending.append((number, m.group("body")))
            elif m := FENCE.match(line):
                fence = dict(indent=m.group("indent"), lang=m.group("lang"), first=number + 1, lines=[], markers=pending)
                pending = []
            elif line.strip():
                if pending:
                    error(pending[0][0], "a readme-test marker must be right before a fence")
                if m := HEADING.match(line):
                    heading_level, section = len(m.group("hashes")), m.group("title")
                    if serve_level is not None and heading_level <= serve_level:
                        serve_flags, serve_level = (), None
            continue
        m = FENCE.match(line)
        if not (m and not m.group("lang")):
            indent = fence["indent"]
            fence["lines"].append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            continue
        # The closing fence.
        if fence["lang"] not in SHELL_LANGUAGES:
            if fence["markers"]:
                error(fence["markers"][0][0], f"a readme-test marker before a ```{fence['lang']} fence, which is not run")
            fence = None
            continue
        skip = None
        for at, body in fence["markers"]:
            if (body.split() or [""])[0] == "skip":
                reason = re.fullmatch(r"skip\s+\((.+)\)", body)
                if not reason:
                    error(at, "a skip marker needs a reason: <!-- readme-test: skip (why) -->")
                skip = reason.group(1)
            elif (body.split() or [""])[0] == "serve":
                serve_flags, serve_level = tuple(shlex.split(body)[1:]), heading_level
            else:
                error(at, f"unknown readme-test marker {body!r}")
        code = "\n".join(fence["lines"]) + "\n"
        blocks.append(Block(len(blocks), fence["first"], fence["lang"], code, section, skip, serve_flags))
        fence = None
    if fence is not None or pending:
        raise ValueError("README.md ends inside a fence or with a readme-test marker")
    return blocks


BLOCKS = parse_readme(README.read_text())


def tail(text, limit=6000):
    return text if len(text) <= limit else "[...]\n" + text[-limit:]


@dataclass
class Outcome:
    ok: bool
    message: str = ""


class Session:
    """One working directory, one `spcred serve` and one bash, through which the blocks run in order."""

    def __init__(self, root):
        self.root = Path(root)
        self.cwd = self.root / "work"
        self.scripts = self.root / "blocks"
        home = self.root / "home"
        for d in (self.cwd, self.scripts, home / ".aws"):
            d.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.agent_port = free_port()
        self.ports = {README_PORT: self.port, README_AGENT_PORT: self.agent_port}  # README's -> ours
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.server_log = self.root / "server.log"

        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SPCRED_"))}
        base.update(
            HOME=str(home),
            AWS_CONFIG_FILE=str(home / ".aws" / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            PATH=os.pathsep.join([str(Path(VENV_BIN).resolve()), str(SPCRED.parent), os.environ.get("PATH", "")]),
        )
        for name in ("VIRTUAL_ENV", "PYTHONPATH", "BASH_ENV", "ENV"):
            base.pop(name, None)
        self.server_env = base
        self.shell_env = dict(
            base,
            SPCRED_ENDPOINT=self.endpoint,
            SPCRED_AGENT_LISTEN=f"127.0.0.1:{self.agent_port}",
        )
        self.server = None
        self.server_flags = None
        self.shell = None
        self.shell_out = b""
        self.outcomes = {}  # block index -> Outcome
        self.failed = None  # the block whose failure ended the session
        self.reported = set()

    # --- the server ------------------------------------------------------------------------

    def start_server(self, flags):
        self.stop_server()
        with open(self.server_log, "a") as log:
            log.write(f"\n===== spcred serve {' '.join(flags)} =====\n")
        log = open(self.server_log, "ab")
        self.server = subprocess.Popen(
            [str(SPCRED), "serve", "--listen", f"127.0.0.1:{self.port}", *flags],
            cwd=self.cwd, env=self.server_env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.server_flags = flags
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"spcred serve exited with {self.server.returncode}:\n{self.server_log_tail()}")
            try:
                if requests.get(f"{self.endpoint}/_spcred/health", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"spcred serve did not become healthy in 30 s:\n{self.server_log_tail()}")

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.server = None

    def server_log_tail(self, lines=25):
        try:
            text = self.server_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # --- the shell -------------------------------------------------------------------------

    def start_shell(self):
        self.shell = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=self.cwd, env=self.shell_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(self.root / "shell.err", "ab"), start_new_session=True,
        )
        self.send(PRELUDE + f"echo {DONE}\n")
        ok, _ = self.wait_done(10)
        if not ok:
            raise RuntimeError(f"bash did not start: {(self.root / 'shell.err').read_text()}")

    def send(self, text):
        self.shell.stdin.write(text.encode())
        self.shell.stdin.flush()

    def wait_done(self, timeout):
        """(True, None) once the shell says the block is done; (False, exit status or None on timeout)."""
        deadline = time.monotonic() + timeout
        fd = self.shell.stdout.fileno()
        while True:
            if f"{DONE}\n".encode() in self.shell_out:
                self.shell_out = self.shell_out.split(f"{DONE}\n".encode(), 1)[1]
                return True, None
            left = deadline - time.monotonic()
            if left <= 0:
                return False, None
            if select.select([fd], [], [], min(left, 0.5))[0]:
                chunk = os.read(fd, 65536)
                if not chunk:  # the shell exited: a command failed under set -e
                    return False, self.shell.wait()
                self.shell_out += chunk

    def kill_shell(self):
        """Ends the shell and what the blocks started in the background (the agent): its process group."""
        if self.shell is None:
            return
        if self.shell.poll() is None:
            try:
                self.send("exit 0\n")
            except BrokenPipeError:
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.shell.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.3)
        try:
            self.shell.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.shell = None

    def close(self):
        self.kill_shell()
        self.stop_server()

    # --- blocks ----------------------------------------------------------------------------

    def rewrite(self, code):
        """The block with the README's local ports replaced by this session's."""
        def port(m):
            readme_port = int(m.group("port"))
            if readme_port not in self.ports:
                self.ports[readme_port] = free_port()
            return f"{m.group('host')}:{self.ports[readme_port]}"

        return LOCAL_ADDRESS.sub(port, code)

    def outcome(self, index):
        """Runs the blocks up to `index` that have not run yet; the outcome of block `index`."""
        for block in BLOCKS[: index + 1]:
            if block.index in self.outcomes or block.skip:
                continue
            if self.failed is not None:
                break
            self.outcomes[block.index] = outcome = self.run(block)
            if not outcome.ok:
                self.failed = block
        return self.outcomes.get(index)

    def run(self, block):
        try:
            if self.server is None or self.server_flags != block.flags:
                self.start_server(block.flags)
            if self.shell is None:
                self.start_shell()
        except RuntimeError as e:
            return Outcome(False, f"{block.where}: could not start: {e}")
        script = self.scripts / f"block-{block.line}.sh"
        script.write_text(self.rewrite(block.code))
        out, err = script.with_suffix(".out"), script.with_suffix(".err")
        q = shlex.quote
        started = time.monotonic()
        self.send(f"source {q(str(script))} </dev/null >{q(str(out))} 2>{q(str(err))}\necho {DONE}\n")
        ok, status = self.wait_done(BLOCK_TIMEOUT)
        elapsed = time.monotonic() - started
        if ok:
            return Outcome(True, f"{elapsed:.1f} s")
        what = "timed out" if status is None else f"failed with exit status {status}"
        self.kill_shell()
        stdout = out.read_text(errors="replace") if out.exists() else ""
        stderr = err.read_text(errors="replace") if err.exists() else ""
        lines = [self.locate(line) for line in stderr.splitlines()]
        located = [line for line in lines if line.startswith("readme-test:")]
        stderr = "\n".join(line for line in lines if not line.startswith("readme-test:"))
        serve = " ".join(["spcred serve", *block.flags])
        return Outcome(False, "\n".join([
            f"{block.where} ({block.section}; {serve}) {what} after {elapsed:.1f} s",
            *located,
            "--- stdout ---", tail(stdout),
            "--- stderr ---", tail(stderr),
            "--- spcred serve log (end) ---", self.server_log_tail(),
        ]))

    @staticmethod
    def locate(line):
        """A line of stderr with the block files' lines (`block-L.sh:N`, bash's `block-L.sh: line N`)
        turned into README lines."""
        def readme_line(m):
            return f"README.md:{int(m.group(1)) + int(m.group(2)) - 1}"

        return re.sub(r"\S*/block-(\d+)\.sh:(?: line )?(\d+)", readme_line, line)


@pytest.fixture(scope="module")
def readme_session(workdir):
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the README's blocks need {' and '.join(missing)} (its prerequisites), not installed here")
    session = Session(workdir / "readme")
    yield session
    session.close()


def test_readme_has_blocks():
    assert len([b for b in BLOCKS if not b.skip]) >= 20, "the README's shell blocks were not found"


@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=[b.where for b in BLOCKS])
def test_readme_block(readme_session, index):
    block = BLOCKS[index]
    if block.skip:
        pytest.skip(f"{block.where}: {block.skip}")
    outcome = readme_session.outcome(index)
    if outcome is None:
        failed = readme_session.failed
        if failed.index in readme_session.reported:
            pytest.skip(f"{failed.where}, an earlier block, failed")
        readme_session.reported.add(failed.index)
        pytest.fail(f"{block.where} needs {failed.where}, which failed:\n{readme_session.outcomes[failed.index].message}",
                    pytrace=False)
    if not outcome.ok:
        readme_session.reported.add(index)
        pytest.fail(outcome.message, pytrace=False)
