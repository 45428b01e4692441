#!/usr/bin/env python3
"""Work items side by side: a task of 4 independent work items whose agent sleeps 1 s in each, run with --jobs 4
against --jobs 1, in the same repository in the same run. Attempts side by side: best of 3 (agents that pass after
1 s, pass after 3 s, and fail) against the 1 s agent alone, the time to the winner.

  python3 benchmarks/parallel.py --binary PATH [--runs N] [--items N] [--keep]

The agent stamps the clock as each call starts and ends, so git aee's own share is measured directly: the whole
run's wall time less the time some agent call was running (the union of the calls' spans). With --jobs 1 that is
the serial path's overhead; with --jobs 4 it adds the workspaces made beside the task's own and the merge of the
wave. Both are given per work item. Medians over --runs tasks (the first of each kind, which makes the workspaces'
folder and warms the page cache, is not counted).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import time

from store import ENV, make_repo, run

AGENT = r"""#!/bin/sh
if [ "$AEE_STAGE" = plan ]; then
    n=${BENCH_ITEMS:-4}; i=1; sep=""
    printf '{"work_items": [' > "$AEE_OUTPUT_FILE"
    while [ $i -le $n ]; do printf '%s{"id": "w%d", "title": "item %d", "depends_on": []}' "$sep" $i $i >> "$AEE_OUTPUT_FILE"; sep=", "; i=$((i+1)); done
    printf ']}\n' >> "$AEE_OUTPUT_FILE"
    exit 0
fi
item=$(sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' "$AEE_WORK_ITEM_FILE")
echo "start $(date +%s%N)" >> "$BENCH_LOG"
sleep 1
echo "$item" > "$item.txt"
echo "end $(date +%s%N)" >> "$BENCH_LOG"
"""


RACER = r"""#!/bin/sh
[ "$AEE_STAGE" = plan ] && exit 0
sleep "$1"
[ "$2" = pass ] && echo ok > raced.txt
[ "$2" = pass ]
"""


def busy_seconds(log):
    """The time some agent call was running: the union of the calls' spans, in seconds."""
    with open(log) as handle:
        events = sorted((int(stamp), kind) for kind, stamp in (line.split() for line in handle))
    depth, since, busy = 0, 0, 0
    for stamp, kind in events:
        if kind == "start":
            if depth == 0:
                since = stamp
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                busy += stamp - since
    return busy / 1e9


def run_task(path, jobs, items, log):
    if os.path.exists(log):
        os.remove(log)
    env = dict(ENV, BENCH_LOG=log, BENCH_ITEMS=str(items))
    start = time.perf_counter()
    result = subprocess.run([BINARY, "task", "bench", "--jobs", str(jobs)], cwd=path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"git aee task failed: {result.stderr.decode()}")
    return wall, wall - busy_seconds(log)


def main():
    global BINARY
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--items", type=int, default=4)
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()
    BINARY = os.path.abspath(arguments.binary)
    work = os.path.join(os.path.dirname(os.path.abspath(__file__)), "work", "parallel")
    path = os.path.join(work, "repo")
    make_repo(path, 100)
    scripts = os.path.join(work, "scripts")
    os.makedirs(scripts, exist_ok=True)
    with open(os.path.join(scripts, "agent"), "w") as handle:
        handle.write(AGENT)
    os.chmod(os.path.join(scripts, "agent"), 0o755)
    os.makedirs(os.path.join(path, ".aee"), exist_ok=True)
    with open(os.path.join(path, ".aee", "config.json"), "w") as handle:
        handle.write('{"version": 1, "agent": {"command": "%s/agent"}, "gates": {"ok": {"run": "true"}}, "default_gates": ["ok"]}\n' % scripts)
    run(["git", "add", "-A"], path)
    run(["git", "commit", "-q", "-m", "config"], path)
    run(["git", "config", "aee.workspaceRoot", os.path.join(work, "workspaces")], path)
    log = os.path.join(work, "stamps")

    print(f"{arguments.items} independent work items, the agent sleeping 1 s in each; medians of {arguments.runs} tasks")
    results = {}
    for jobs in (1, arguments.items):
        run_task(path, jobs, arguments.items, log)  # warm-up
        walls, overheads = [], []
        for _ in range(arguments.runs):
            wall, overhead = run_task(path, jobs, arguments.items, log)
            walls.append(wall)
            overheads.append(overhead)
        results[jobs] = (statistics.median(walls), statistics.median(overheads))
        print(f"  --jobs {jobs}: {results[jobs][0]:6.2f} s wall; git aee's own time {results[jobs][1] * 1000:7.1f} ms,"
              f" {results[jobs][1] * 1000 / arguments.items:6.1f} ms per work item", flush=True)
    serial, parallel = results[1], results[arguments.items]
    print(f"  ratio --jobs {arguments.items} / --jobs 1: wall {parallel[0] / serial[0]:.2f}, own time {parallel[1] / serial[1]:.2f}")

    racer = os.path.join(scripts, "racer")
    with open(racer, "w") as handle:
        handle.write(RACER)
    os.chmod(racer, 0o755)
    with open(os.path.join(path, ".aee", "config.json"), "w") as handle:
        handle.write('{"version": 1, "agent": {"command": null}, "gates": {"raced": {"run": "test -f raced.txt"}}, "default_gates": ["raced"]}\n')
    run(["git", "commit", "-q", "-am", "raced"], path)
    fast, slow, failing = f"{racer} 1 pass", f"{racer} 3 pass", f"{racer} 0.2 fail"
    timings = {}
    for label, agents in (("the 1 s agent alone", ["--agent", fast]), ("best of 3", ["--agents", ",".join((fast, slow, failing))])):
        walls = []
        for _ in range(arguments.runs + 1):
            start = time.perf_counter()
            subprocess.run([BINARY, "task", "race"] + agents, cwd=path, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            walls.append(time.perf_counter() - start)
        timings[label] = statistics.median(walls[1:])
        print(f"  {label}: {timings[label]:6.2f} s to SUCCEEDED", flush=True)
    print(f"  ratio best of 3 / alone: {timings['best of 3'] / timings['the 1 s agent alone']:.2f}")
    if not arguments.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
