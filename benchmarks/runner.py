#!/usr/bin/env python3
"""Benchmark of the runner's own overhead against the git CLI making the same commits, in the same run.

  python3 benchmarks/runner.py --binary PATH [--runs N] [--large-files N] [--work DIR] [--keep]

A task runs 3 iterations of 5 work items; its agent writes one small file per work item and its gate fails twice,
then passes, so the agent and the gate do (almost) nothing and what is left is git aee's own work. The agent and the
gate stamp the clock when they start and end, so git aee's share is measured directly, as the gaps between them:
  per work item   the gap from one execute call's end to the next one's start (stage and commit the work item,
                  start the next call), less what starting and ending a shell that stamps the clock costs
  per iteration   the other gaps of an iteration: plan -> first item, last item -> gate, gate -> next plan
                  (plan, verify and merge commits, the attempt branch, the checkout between iterations)
  fixed           before the first call and after the last (claim, workspace made and removed, end state)
  start           from launching `git aee task` to its agent's first call (the record, the claim, the workspace
                  ready at the task's commit, the agent started); set against `git worktree add` alone, and against
                  the same work with git alone: the four record commits with plumbing, then `git worktree add`
Each is measured warm (the default: the task takes the workspace the last task gave back, aee.workspacePool) and
cold (aee.workspacePool=0: every task makes its workspace and removes it), in the same run.
The git CLI's share is `echo > file && git add -A && git commit -q` in the same repository, which is what a work
item's commit does; the start is set against `git worktree add --detach` and the fixed cost against that and `git
worktree remove` of the same repository, what a task's place to work costs with git alone, timed once after each
task (so both meet the machine in the same state). Medians over --runs tasks. Repositories of 100 and --large-files files under --work (benchmarks/work/ by default), the workspaces there
too (aee.workspaceRoot), on one file system; where that file system makes creating a file slow (a monitored mount),
both sides pay it, so pick one where `git worktree add` is as fast as it is for users.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import time

from store import ENV, PLUMBING, RECORD, make_repo, run, timed

AGENT = r"""#!/bin/sh
stamp() { echo "$1 ${AEE_STAGE:-gate} $(date +%s%N)" >> "$BENCH_LOG"; }
stamp start
if [ "$AEE_STAGE" = plan ]; then
    n=${BENCH_ITEMS:-5}; i=1; sep=""
    printf '{"work_items": [' > "$AEE_OUTPUT_FILE"
    while [ $i -le $n ]; do printf '%s{"id": "w%d", "title": "item %d"}' "$sep" $i $i >> "$AEE_OUTPUT_FILE"; sep=", "; i=$((i+1)); done
    printf ']}\n' >> "$AEE_OUTPUT_FILE"
else
    echo "$AEE_ITERATION $AEE_TASK_ID" > "bench-$(sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' "$AEE_WORK_ITEM_FILE").txt"
fi
stamp end
"""

# Fails the first two times it is asked about a task, then passes: three iterations, no stall.
GATE = r"""#!/bin/sh
stamp() { echo "$1 gate $(date +%s%N)" >> "$BENCH_LOG"; }
stamp start
f="$BENCH_COUNTS/$(cat bench-w1.txt | cut -d' ' -f2)"
n=$(( $(cat "$f" 2>/dev/null || echo 0) + 1 )); echo $n > "$f"
stamp end
[ $n -ge 3 ]
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


def run_task(path, counts, log):
    """One task, 3 iterations x 5 work items; returns (whole run in ms, before the first call and after the last
    in ms, [(event, stage, ns)] in order, before the first call in ms). The stamps are wall-clock nanoseconds, as
    `date +%s%N` writes them."""
    if os.path.exists(log):
        os.remove(log)
    env = dict(ENV, BENCH_ITEMS="5", BENCH_COUNTS=counts, BENCH_LOG=log)
    start = time.time_ns()
    result = subprocess.run([BINARY, "task", "bench", "--max-iterations", "5"], cwd=path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.time_ns()
    if result.returncode != 0 or "after 3 iterations" not in result.stdout:
        raise SystemExit(f"unexpected run: {result.stdout}{result.stderr}")
    with open(log) as handle:
        stamps = [(event, stage, int(ns)) for event, stage, ns in (line.split() for line in handle)]
    return (end - start) / 1e6, (stamps[0][2] - start + end - stamps[-1][2]) / 1e6, stamps, (stamps[0][2] - start) / 1e6


def gaps(stamps):
    """git aee's time between the calls it makes: the work item gaps, and the other gaps of each iteration that
    ends with a gate run followed by another plan."""
    items, iteration = [], []
    current = 0.0
    for (event, stage, ns), (_, next_stage, next_ns) in zip(stamps, stamps[1:]):
        if event == "start":
            continue
        gap = (next_ns - ns) / 1e6
        if stage == "execute" and next_stage == "execute":
            items.append(gap)
        else:
            current += gap
            if stage == "gate":  # the verify and merge commits, and the next attempt's start
                iteration.append(current)
                current = 0.0
    return items, iteration


def spawn_cost(runs=30):
    """What a gap holds besides git aee: a shell started up to its first stamp, and its exit after the last; about
    the whole of a shell that stamps once."""
    samples = []
    for _ in range(runs):
        start = time.time_ns()
        subprocess.run(["/bin/sh", "-c", 'echo "$(date +%s%N)"'], stdout=subprocess.DEVNULL)
        samples.append((time.time_ns() - start) / 1e6)
    return statistics.median(samples)


def git_commit_cost(path, runs):
    samples = []
    for index in range(runs):
        with open(os.path.join(path, "bench-git.txt"), "w") as handle:
            handle.write(f"{index}\n")
        samples.append(timed("git add -A && git commit -q -m item", path, shell=True))
    run(["git", "reset", "-q", "--hard", "HEAD~%d" % runs], path)
    return statistics.median(samples)


def git_worktree_cost(path, work):
    """One `git worktree add --detach`, and that plus `git worktree remove`, of the repository, in ms. Timed after
    each task rather than in a series of its own, so that both see the machine in the same state: on a shared VM
    `git worktree add` alone moved by a third between two runs of this benchmark."""
    target = os.path.join(work, "bench-worktree")
    add = timed(["git", "worktree", "add", "-q", "--detach", target, "HEAD"], path)
    return add, add + timed(["git", "worktree", "remove", "--force", target], path)


def git_start_cost(path, work, runs):
    """A task's start done with the git CLI: the four record commits git aee makes before its agent runs (created,
    approved, queued, started: `store.PLUMBING` each, on the task's branch) and `git worktree add --detach` at the
    last one, in ms (median); the worktree and the branch are removed after each."""
    target = os.path.join(work, "bench-worktree")
    samples = []
    for n in range(runs):
        task = f"g{n:07d}"
        start = time.perf_counter_ns()
        commit = None
        for step in ("created", "approved", "queued", "started"):
            env = dict(ENV, RECORD=RECORD.format(id=task, n=n), EVENT='{"event":"%s"}' % step, ID=task, STEP=step,
                       BASE=commit or "HEAD", OLD=commit or "0" * 40)
            commit = subprocess.run(["bash", "-c", PLUMBING], cwd=path, env=env, check=True, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True).stdout.strip()
        run(["git", "worktree", "add", "-q", "--detach", target, commit], path)
        samples.append((time.perf_counter_ns() - start) / 1e6)
        run(["git", "worktree", "remove", "--force", target], path)
        run(["git", "update-ref", "-d", f"refs/heads/aee/{task}", commit], path)
    return statistics.median(samples)


def measure(label, files, runs, work, scripts):
    path = os.path.join(work, f"runner-{files}")
    counts = os.path.join(work, "counts")
    log = os.path.join(work, "stamps.log")
    shutil.rmtree(counts, ignore_errors=True)
    os.makedirs(counts)
    print(f"\n## {label}: {files:,} files", flush=True)
    setup(path, files, scripts)
    run(["git", "config", "aee.workspaceRoot", os.path.join(work, "workspaces")], path)
    run_task(path, counts, log)  # warm-up: page cache, the first workspace, given to the pool
    items, iterations, fixed, totals, starts, worktrees = [], [], [], [], [], []
    for _ in range(runs):
        total, outside, stamps, start = run_task(path, counts, log)
        worktrees.append(git_worktree_cost(path, work))
        item_gaps, iteration_gaps = gaps(stamps)
        items += item_gaps
        iterations += iteration_gaps
        totals.append(total)
        fixed.append(outside)
        starts.append(start)
    run(["git", "config", "aee.workspacePool", "0"], path)
    cold_fixed, cold_starts = [], []
    for _ in range(runs):
        _, outside, _, start = run_task(path, counts, log)
        worktrees.append(git_worktree_cost(path, work))
        cold_fixed.append(outside)
        cold_starts.append(start)
    run(["git", "config", "--unset", "aee.workspacePool"], path)
    git = git_commit_cost(path, max(runs, 5))
    add, worktree = statistics.median(a for a, _ in worktrees), statistics.median(b for _, b in worktrees)
    same_start = git_start_cost(path, work, max(runs, 3))
    spawn = spawn_cost()
    gap = statistics.median(items)
    per_item = gap - spawn
    print(f"  whole task (3 iterations x 5 work items): {statistics.median(totals):9.1f} ms")
    print(f"  gap between work items: {gap:.1f} ms, of which starting and ending the agent's shell: {spawn:.1f} ms")
    print(f"  git aee overhead per work item:  {per_item:8.1f} ms   (git add -A && git commit: {git:.1f} ms, ratio {per_item / git:.2f})")
    print(f"  git aee overhead per iteration:  {statistics.median(iterations):8.1f} ms   (plan, verify and merge commits, attempt branch, checkout)")
    for name, fixed_runs, start_runs in (("warm", fixed, starts), ("cold", cold_fixed, cold_starts)):
        fixed_cost, start = statistics.median(fixed_runs), statistics.median(start_runs)
        print(f"  {name}: start {start:8.1f} ms (git worktree add: {add:.1f} ms, ratio {start / add:.2f});"
              f" fixed per run {fixed_cost:8.1f} ms (git worktree add + remove: {worktree:.1f} ms, ratio {fixed_cost / worktree:.2f})", flush=True)
    print(f"  the start's work with git alone (4 record commits with plumbing + git worktree add): {same_start:.1f} ms;"
          f" ratios warm {statistics.median(starts) / same_start:.2f}, cold {statistics.median(cold_starts) / same_start:.2f}", flush=True)


def main():
    global BINARY
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--large-files", type=int, default=100_000)
    parser.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "work"))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    BINARY = os.path.abspath(args.binary)
    work = os.path.abspath(args.work)
    scripts = os.path.join(work, "runner-scripts")
    os.makedirs(scripts, exist_ok=True)
    for name, body in (("agent", AGENT), ("gate", GATE)):
        with open(os.path.join(scripts, name), "w") as handle:
            handle.write(body)
        os.chmod(os.path.join(scripts, name), 0o755)
    print(f"git aee runner benchmark: {BINARY}; medians over {args.runs} tasks")
    try:
        measure("small", 100, args.runs, work, scripts)
        measure("large", args.large_files, args.runs, work, scripts)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
