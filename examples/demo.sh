#!/usr/bin/env bash
# The tour of git aee's task store: a scratch repository, a few tasks through their lifecycle,
# and what plain git shows of them. Usage: examples/demo.sh [path/to/git-aee]
set -euo pipefail

bin="${1:-git-aee}"
bin_dir="$(cd "$(dirname "$(command -v "$bin")")" && pwd)"
export PATH="$bin_dir:$PATH"
demo="$(mktemp -d "${TMPDIR:-/tmp}/git-aee-demo.XXXXXX")"
trap 'rm -rf "$demo"' EXIT
export GIT_AUTHOR_NAME="Demo User" GIT_AUTHOR_EMAIL="demo@example.com"
export GIT_COMMITTER_NAME="Demo User" GIT_COMMITTER_EMAIL="demo@example.com"

bold="" plain=""
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[m'; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

cd "$demo"
git init -q -b main
printf 'def add(a, b):\n    return a - b\n' > calc.py
git add calc.py && git commit -q -m "A calculator with a bug"

step git aee init
git add .aee/config.json && git commit -q -m "Configure git aee"
id=$(git aee task "Fix add() in calc.py" --draft)
printf '\n%s$ git aee task "Fix add() in calc.py" --draft%s\n%s\n' "$bold" "$plain" "$id"
other=$(git aee task "Rewrite it in Rust" --draft --max-iterations 3)
step git aee approve "${id:0:4}"
step git aee cancel "$other" --reason "not this quarter"
step git aee list
step git aee show "$id"
step git aee log "$other"
step git log --graph --oneline --all
step git log -1 --format='%(trailers)' "aee/$other"
step git fsck --strict --no-progress
printf '\nThe scratch repository was %s (removed on exit).\n' "$demo"
