#!/usr/bin/env python3
"""Benchmark of the runner's own overhead against the git CLI making the same commits, in the same run.

  python3 benchmarks/runner.py --binary PATH [--runs N] [--large-files N] [--keep]

A task runs 3 iterations; its agent writes one small file per work item and its gate fails twice, then passes,
so the agent and the gate do (almost) nothing and what is left is git aee's own work. Three shapes are timed
(medians of --runs runs, each a fresh task): 1 iteration x 1 work item, 3 x 1, and 3 x 5. Then
  per work item  = (T[3x5] - T[3x1]) / 12 - one agent call
  per iteration  = (T[3x1] - T[1x1]) / 2  - (two agent calls + one gate run)
  fixed          = T[1x1] - 1 iteration - 1 work item (claim, worktree, final state, clean-up)
where the cost of an agent call and of a gate run is measured by spawning the same scripts directly.
The git CLI's share is `echo > file && git add -A && git commit -q` in the same repository, which is what a work
item's commit does. Repositories of 100 and --large-files files are built under benchmarks/work/.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import time

from store import ENV, make_repo, run, timed

AGENT = r"""#!/bin/sh
if [ "$AEE_STAGE" = plan ]; then
    n=${BENCH_ITEMS:-5}; i=1; sep=""
    printf '{"work_items": [' > "$AEE_OUTPUT_FILE"
    while [ $i -le $n ]; do printf '%s{"id": "w%d", "title": "item %d"}' "$sep" $i $i >> "$AEE_OUTPUT_FILE"; sep=", "; i=$((i+1)); done
    printf ']}\n' >> "$AEE_OUTPUT_FILE"
    exit 0
fi
echo "$AEE_ITERATION $AEE_TASK_ID" > "bench-$(sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' "$AEE_WORK_ITEM_FILE").txt"
"""

# Fails the first two times it is asked about a task, then passes: three iterations, no stall.
GATE = r"""#!/bin/sh
f="$BENCH_COUNTS/$(cat bench-w1.txt | cut -d' ' -f2)"
n=$(( $(cat "$f" 2>/dev/null || echo 0) + 1 )); echo $n > "$f"
[ $n -ge ${BENCH_PASS_AT:-3} ]
"""


def setup(path, files, scripts):
    make_repo(path, files)
    os.makedirs(os.path.join(path, ".aee"), exist_ok=True)
    with open(os.path.join(path, ".aee", "config.json"), "w") as handle:
        handle.write('{"version": 1, "agent": {"command": "%s/agent"}, "stall_limit": 5, '
                     '"gates": {"count": {"run": "%s/gate"}}, "default_gates": ["count"]}\n' % (scripts, scripts))
    run(["git", "add", "-A"], path)
    run(["git", "commit", "-q", "-m", "config"], path)
    os.sync()


def run_task(path, iterations, items, counts):
    env = dict(ENV, BENCH_ITEMS=str(items), BENCH_PASS_AT=str(iterations), BENCH_COUNTS=counts)
    start = time.perf_counter_ns()
    result = subprocess.run([BINARY, "task", "bench", "--max-iterations", "5"], cwd=path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if result.returncode != 0 or f"after {iterations} iteration" not in result.stdout:
        raise SystemExit(f"unexpected run: {result.stdout}{result.stderr}")
    return elapsed


def spawn_cost(path, scripts, counts, runs):
    """What one agent call and one gate run cost when spawned directly (sh start-up, the script's own work)."""
    scratch = os.path.join(path, "..", "spawn")
    os.makedirs(scratch, exist_ok=True)
    with open(os.path.join(scratch, "item.json"), "w") as handle:
        handle.write('{"id": "w1", "title": "item 1", "description": ""}\n')
    env = dict(ENV, AEE_STAGE="execute", AEE_ITERATION="1", AEE_TASK_ID="bench",
               AEE_WORK_ITEM_FILE=os.path.join(scratch, "item.json"), AEE_OUTPUT_FILE=os.path.join(scratch, "out.json"),
               BENCH_COUNTS=counts, BENCH_PASS_AT="1000000")
    agent, gate = [], []
    for _ in range(runs):
        for sample, script in ((agent, "agent"), (gate, "gate")):
            start = time.perf_counter_ns()
            subprocess.run(["/bin/sh", "-c", os.path.join(scripts, script)], cwd=scratch, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            sample.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(agent), statistics.median(gate)


def git_commit_cost(path, runs):
    samples = []
    for index in range(runs):
        with open(os.path.join(path, "bench-git.txt"), "w") as handle:
            handle.write(f"{index}\n")
        samples.append(timed("git add -A && git commit -q -m item", path, shell=True))
    run(["git", "reset", "-q", "--hard", "HEAD~%d" % runs], path)
    return statistics.median(samples)


def measure(label, files, runs, work, scripts):
    path = os.path.join(work, f"runner-{files}")
    counts = os.path.join(work, "counts")
    shutil.rmtree(counts, ignore_errors=True)
    os.makedirs(counts)
    print(f"\n## {label}: {files:,} files", flush=True)
    setup(path, files, scripts)
    run_task(path, 1, 1, counts)  # warm-up: page cache, first worktree
    times = {}
    for iterations, items in ((1, 1), (3, 1), (3, 5)):
        times[(iterations, items)] = statistics.median(run_task(path, iterations, items, counts) for _ in range(runs))
        print(f"  task, {iterations} iteration(s) x {items} work item(s): {times[(iterations, items)]:9.1f} ms", flush=True)
    agent, gate = spawn_cost(path, scripts, counts, 20)
    per_item = (times[(3, 5)] - times[(3, 1)]) / 12 - agent
    per_iteration = (times[(3, 1)] - times[(1, 1)]) / 2 - (2 * agent + gate)
    fixed = times[(1, 1)] - (per_iteration + 2 * agent + gate) - (per_item + agent)
    git = git_commit_cost(path, runs)
    print(f"  agent call {agent:.1f} ms, gate run {gate:.1f} ms (spawned directly)")
    print(f"  git aee overhead per work item:  {per_item:8.1f} ms   (git add -A && git commit: {git:.1f} ms, ratio {per_item / git:.2f})")
    print(f"  git aee overhead per iteration:  {per_iteration:8.1f} ms   (plan, verify and merge commits, attempt branch, checkout)")
    print(f"  fixed per run:                   {fixed:8.1f} ms   (claim, worktree created and removed, final state)")
    return per_item, per_iteration, git


def main():
    global BINARY
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--large-files", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    BINARY = os.path.abspath(args.binary)
    work = os.path.join(os.path.dirname(os.path.abspath(__file__)), "work")
    scripts = os.path.join(work, "runner-scripts")
    os.makedirs(scripts, exist_ok=True)
    for name, body in (("agent", AGENT), ("gate", GATE)):
        with open(os.path.join(scripts, name), "w") as handle:
            handle.write(body)
        os.chmod(os.path.join(scripts, name), 0o755)
    print(f"git aee runner benchmark: {BINARY}; medians of {args.runs} runs")
    try:
        measure("small", 100, args.runs, work, scripts)
        measure("large", args.large_files, args.runs, work, scripts)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
