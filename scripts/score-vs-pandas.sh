#!/usr/bin/env bash
# Times `routing-eval score` against the tutorial's pandas scoring on the same generated file,
# on this machine, in one run. pandas goes into a throwaway virtualenv that is removed on exit.
#
#   scripts/score-vs-pandas.sh [ROWS]        # default 1000000
#
# Needs python3 (with venv) and, for the table, hyperfine (apt-get install hyperfine); without
# hyperfine each command is timed three times with `time`.
set -euo pipefail

rows=${1:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
# The repository's copy of the tutorial's scoring (tests/all/scoring.rs checks it against the
# shared original when that sits beside the repository).
reference=${TUTORIAL_SCORING:-$root/benches/reference/tutorial_scoring.py}
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "pandas==2.2.3"
"$work/venv/bin/python" -c 'import pandas, sys; print(f"pandas {pandas.__version__}, python {sys.version.split()[0]}")'

cargo build --quiet --release --bin routing-eval --example score_input
"$target/release/examples/score_input" "$rows" > "$work/rows.json"
echo "input: $rows rows, $(stat -c %s "$work/rows.json") bytes"

rust_cmd="$target/release/routing-eval score --input $work/rows.json > /dev/null"
pandas_cmd="$work/venv/bin/python $reference $work/rows.json"

echo "pandas split (its own timer):"
$pandas_cmd

if command -v hyperfine > /dev/null; then
    hyperfine --warmup 1 --runs "${RUNS:-5}" \
        -n "routing-eval score" "$rust_cmd" \
        -n "pandas (tutorial_scoring.py)" "$pandas_cmd"
else
    for cmd in "$rust_cmd" "$pandas_cmd"; do
        for _ in 1 2 3; do
            /usr/bin/env bash -c "time ($cmd > /dev/null)"
        done
    done
fi
