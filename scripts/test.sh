#!/usr/bin/env bash
# Runs every test: the Rust workspace, then the compat suite (AWS CLI, boto3, curl) against real
# `spcred serve` processes. Installs what it needs into .venv first. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r compat/requirements.txt

# The console's browser tests drive Debian's Chromium through its ChromeDriver (nothing is
# downloaded at run time). Installed here when missing and we may; otherwise those tests skip.
if [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
    else
        echo "note: chromium and chromium-driver are not installed; the browser tests will be skipped" >&2
    fi
fi

# A throwaway PostgreSQL cluster for the store's PostgreSQL runs and the multi-node tests, in a
# temporary directory, stopped (and removed) at the end.
pg_dir="$(mktemp -d)"
trap 'scripts/pg.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
pg_url="$(scripts/pg.sh start "$pg_dir")"

target_dir="${CARGO_TARGET_DIR:-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# What the workspace declares is enforced: formatting, and clippy (pedantic, see Cargo.toml)
# with every warning an error.
cargo fmt --all --check
# The services' typed operations are generated from their models: what is checked in must be
# what the generator makes.
python3 tools/gen-ops.py --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo build --locked --workspace --bins
cargo test --locked --workspace
# Every repository test again, on PostgreSQL.
SPCRED_TEST_DATABASE_URL="$pg_url" cargo test --locked -p spcred-store

export SPCRED_BIN="$target_dir/debug/spcred"
export SPCRED_VENV_BIN="$PWD/$venv/bin"
export SPCRED_TEST_POSTGRES="$pg_url"
shopt -s nullglob
crate_py_tests=(crates/*/tests/test_*.py)
# The compat suite twice at once: on SQLite (the default), and with every server's store on
# PostgreSQL. The suite mostly waits on processes and the network, so the two runs share the
# machine well; the PostgreSQL run's output follows the SQLite run's.
pg_log="$pg_dir/compat-postgres.log"
SPCRED_COMPAT_DATABASE_SERVER="$pg_url" "$venv/bin/python" -m pytest -q -p no:cacheprovider compat \
    "${crate_py_tests[@]}" --ignore compat/test_multinode.py "$@" >"$pg_log" 2>&1 &
pg_run=$!
sqlite_status=0
"$venv/bin/python" -m pytest -q -p no:cacheprovider compat "${crate_py_tests[@]}" "$@" || sqlite_status=$?
pg_status=0
wait "$pg_run" || pg_status=$?
echo "--- the compat suite with the store on PostgreSQL ---"
cat "$pg_log"
[ "$sqlite_status" = 0 ] && [ "$pg_status" = 0 ]
