#!/usr/bin/env bash
# git aee's main job in one minute: a scratch repository holding a small program with a failing test, and a
# real task run by the example agent. The first iteration fails its test; the second reads the failure context
# and passes. Then git aee and plain git show the whole story. With --claude the agent is the real Claude Code CLI
# (`claude` on PATH), talking to the scripted model of Tests/ModelServer on 127.0.0.1 instead of Anthropic's API.
# Usage: examples/demo.sh [--claude] [path/to/git-aee]
set -euo pipefail

claude=""
if [ "${1:-}" = --claude ]; then claude=1; shift; fi
bin="${1:-git-aee}"
bin_dir="$(cd "$(dirname "$(command -v "$bin")")" && pwd)"
agents="$(cd "$(dirname "$0")/agents" && pwd)"
export PATH="$bin_dir:$PATH"
demo="$(mktemp -d "${TMPDIR:-/tmp}/git-aee-demo.XXXXXX")"
trap 'rm -rf "$demo"' EXIT
export GIT_AUTHOR_NAME="Demo User" GIT_AUTHOR_EMAIL="demo@example.com"
export GIT_COMMITTER_NAME="Demo User" GIT_COMMITTER_EMAIL="demo@example.com"

agent="\"command\": \"$agents/learner\""
if [ -n "$claude" ]; then
    command -v claude >/dev/null || { echo "fatal: --claude needs Claude Code's 'claude' on PATH ('make demo-claude' installs it)" >&2; exit 128; }
    # The scripted model, which reads what it is sent like a model would; it stops by itself after five minutes.
    python3 "$(dirname "$0")/../Tests/ModelServer/server.py" --port-file "$demo/.port" --log "$demo/.requests" --lifetime 300 &
    server=$!
    trap 'kill $server 2>/dev/null; rm -rf "$demo"' EXIT
    for _ in $(seq 100); do [ -s "$demo/.port" ] && break; sleep 0.1; done
    export ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$demo/.port")" ANTHROPIC_API_KEY=scripted CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
    export HOME="$demo/.home"
    mkdir -p "$HOME"
    agent='"kind": "claude-code", "model": "claude-sonnet-4-6"'
fi

bold="" plain=""
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[m'; fi
say() { printf '\n%s# %s%s\n' "$bold" "$*" "$plain"; }
step() { printf '%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

mkdir "$demo/repo"
cd "$demo/repo"
git init -q -b main
cat > calc.sh <<'SH'
#!/bin/sh
# Adds two numbers.
echo $(($1 - $2))
SH
cat > test.sh <<'SH'
#!/bin/sh
out=$(./calc.sh 2 3)
if [ "$out" = 5 ]; then echo "ok: 2 + 3 = 5"; else echo "FAIL: ./calc.sh 2 3 printed $out, expected 5"; exit 1; fi
SH
chmod +x calc.sh test.sh
mkdir .aee
cat > .aee/config.json <<JSON
{
  "version": 1,
  "agent": {$agent, "timeout_seconds": 60},
  "gates": {
    "doctor": {"builtin": "doctor"},
    "tests": {"run": "./test.sh", "needs": ["doctor"]}
  },
  "default_gates": ["doctor", "tests"]
}
JSON
git add -A && git commit -q -m "A calculator whose test fails"

say "A small program with a failing test, and a team config naming the agent and the gates:"
step ./test.sh || true
say "Commands that come from the repository run only once you approve them (a pull can change them):"
step git aee trust
say "Hand the fix to the agent. It runs in a workspace of its own; your checkout is never touched:"
status=0
step git aee task "Make calc.sh add its arguments" || status=$?
id=$(git for-each-ref --format='%(refname:lstrip=3)' 'refs/heads/aee/' | grep -v -- -attempt- | head -n 1)
say "The task's record (exit status $status: 0 means SUCCEEDED):"
step git aee show "$id"
say "Every state change, plan, work item and gate run is a commit; each attempt hangs off the task branch:"
step git log --graph --oneline --all
say "What the agent saw in iteration 2, from the failure context of iteration 1:"
step git show "aee/$id:.aee/tasks/$id/iterations/2/work_item_fix-add.json"
say "Your branch is where you left it; the fix waits on aee/$id ('--merge' would fast-forward main):"
step git log --oneline -1 main
step git diff --stat main "aee/$id" -- calc.sh
step git fsck --strict --no-progress
printf '\nThe scratch repository was %s (removed on exit).\n' "$demo"
exit "$status"
