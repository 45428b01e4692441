#!/bin/sh
# Makes repository.bundle: a repository written by git aee's on-disk format 1 (the main of 2026-12-02, before the
# typed-events rework), with a task in each state, a merged task whose branch is gone, and a RUNNING task whose
# run was killed in the middle of its second work item. Then records what that version's `list`, `show` and `log`
# print for it (expected/), which the test compares with the current binary's output.
#   sh Tests/Fixtures/format-1/make.sh /path/to/git-aee   (run once, with that version; the results are checked in)
set -eu
binary=$1
here=$(cd "$(dirname "$0")" && pwd)
examples=$here/../../../examples/agents
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 AEE_TRUST=1 NO_COLOR=1
mkdir -p "$HOME"
git config --global user.name "Fixture Maker"
git config --global user.email fixture@example.com
git config --global init.defaultBranch main
repo=$work/repo
git init -q "$repo"
cd "$repo"
printf '#!/bin/sh\n# Adds two numbers.\necho $(($1 - $2))\n' > calc.sh
printf '#!/bin/sh\nout=$(./calc.sh 2 3)\nif [ "$out" = 5 ]; then echo "ok: 2 + 3 = 5"; else echo "FAIL: ./calc.sh 2 3 printed $out, expected 5"; exit 1; fi\n' > test.sh
chmod +x calc.sh test.sh
mkdir .aee
printf '{"version": 1, "agent": {"command": null, "timeout_seconds": 20}, "gates": {"tests": {"run": "./test.sh"}}, "default_gates": ["tests"]}\n' > .aee/config.json
git add -A
git commit -q -m "A calculator"
aee() { "$binary" "$@"; }
# Two iterations: the learner fixes calc.sh once it has read the failure.
aee task "Make calc add" --agent "$examples/learner" >/dev/null 2>&1
aee task "Only a draft" --draft >/dev/null
aee task "Waiting for a worker" --queue >/dev/null
canceled=$(aee task "Not needed" --draft)
aee cancel "$canceled" --reason "superseded" >/dev/null
aee task "Cannot pass in one" --agent "$examples/always-fails" --max-iterations 1 >/dev/null 2>&1 || true
aee task "Needs a person" --agent "$examples/needs-human" >/dev/null 2>&1 || true
# Merged into main, its branch deleted: the record is read from HEAD's history.
git checkout -q -b topic
aee task "Make calc add, merged" --agent "$examples/learner" --merge >/dev/null 2>&1
merged=$(git log -1 --format=%s | sed 's/^aee(\([a-z0-9]*\)).*/\1/')
git checkout -q main
git merge -q --ff-only topic
git branch -q -D topic "aee/$merged"
# Killed in item b: RUNNING, its attempt branch holding the plan and item a.
marks=$work/marks
mkdir "$marks"
FIXTURE_MARKS=$marks aee task "Three items, killed" --agent "$here/three-items.sh" >/dev/null 2>&1 &
run=$!
while [ ! -e "$marks/in-b" ]; do sleep 0.1; done
kill -9 $run
wait $run 2>/dev/null || true
pkill -9 -f "$here/three-items.sh" 2>/dev/null || true
touch "$marks/go"
git checkout -q -- . 2>/dev/null || true
git bundle create -q "$here/repository.bundle" --all
# What format 1's reader prints for it, read from a fresh copy of the bundle.
copy=$work/copy
git init -q "$copy"
cd "$copy"
git fetch -q --update-head-ok "$here/repository.bundle" '+refs/*:refs/*'
git checkout -q -f main
mkdir -p "$here/expected"
aee list --json > "$here/expected/list.json"
for id in $(aee list --json | sed -n 's/.*"id": *"\([a-z0-9]*\)".*/\1/p'); do
  aee show "$id" --json > "$here/expected/show-$id.json"
  aee log "$id" --json > "$here/expected/log-$id.json"
done
