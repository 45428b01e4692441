#!/usr/bin/env python3
"""Benchmark of the queue: how soon a worker claims a task after `git aee task --queue` returns, in the same run
against a worker that polls once a second.

  python3 benchmarks/workers.py --binary PATH [--tasks N]

For each of --tasks tasks, one after another: queue it, then watch its branch's ref file every 0.2 ms until it
moves off the QUEUED commit (the claim: the RUNNING commit), and wait for the task to end before the next.
  event-driven  `git aee worker` (inotify on the task refs)
  polling       `while true; do git aee worker --once; sleep 1; done`, the simplest thing a cron-minded script does
Medians and 95th percentiles of the latency, in milliseconds. The agent and the gate do nothing.

Then the claim round-trip through a local bare remote: tasks queued on one clone with `--push origin`, each run on
another clone with `git aee run <id> --if-queued --remote origin`; the latency is from starting that command to the
remote's task branch moving off the QUEUED commit (fetch, claim commit, compare-and-swap push). In the same run, the
git CLI does the same work: `git fetch` of the task branches, `git commit-tree` of the claim, and
`git push --force-with-lease` of it.
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from store import ENV, run  # noqa: E402

CONFIG = '{"version": 1, "agent": {"command": "true"}, "gates": {"ok": {"run": "true"}}, "default_gates": ["ok"]}\n'


def setup(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.join(path, ".aee"))
    run(["git", "init", "-q", "-b", "main"], path)
    run(["git", "config", "gc.auto", "0"], path)
    with open(os.path.join(path, ".aee", "config.json"), "w") as handle:
        handle.write(CONFIG)
    run(["git", "add", "-A"], path)
    run(["git", "commit", "-q", "-m", "config"], path)


def read_ref(path, task):
    """The task branch's tip: the loose ref file (a poll must be cheap), else what git resolves (a packed ref)."""
    try:
        with open(os.path.join(path, ".git", "refs", "heads", "aee", task)) as handle:
            tip = handle.read().strip()
            if len(tip) in (40, 64):
                return tip
    except FileNotFoundError:
        pass
    resolved = subprocess.run(["git", "rev-parse", "-q", "--verify", f"refs/heads/aee/{task}"], cwd=path, env=ENV, capture_output=True, text=True)
    return resolved.stdout.strip() or None


def latencies(binary, path, worker_command, tasks):
    worker = subprocess.Popen(worker_command, cwd=path, env=ENV, shell=True, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = []
    try:
        time.sleep(0.5)
        for index in range(tasks):
            task = subprocess.run([binary, "task", f"bench {index}", "--queue"], cwd=path, env=ENV, check=True,
                                  stdout=subprocess.PIPE, text=True).stdout.strip()
            queued_at = time.perf_counter_ns()
            first = read_ref(path, task)
            seen_at = time.perf_counter_ns()
            while read_ref(path, task) == first:
                time.sleep(0.0002)
            moved_at = time.perf_counter_ns()
            # The first look may have found no tip at all (the ref not there yet): then the claim came after it.
            shown = subprocess.run(["git", "log", "-1", "--format=%(trailers:key=AEE-Event,valueonly)", first or "HEAD"], cwd=path, env=ENV,
                                   capture_output=True, text=True)
            event = shown.stdout.strip() if first and shown.returncode == 0 else "queued"
            # Claimed before the first look: the latency is at most the time until that look.
            samples.append(((moved_at if event == "queued" else seen_at) - queued_at) / 1e6)
            while b'"state": "RUNNING"' in subprocess.run(["git", "show", f"aee/{task}:.aee/tasks/{task}/task.json"],
                                                           cwd=path, env=ENV, capture_output=True).stdout:
                time.sleep(0.01)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait()
    return samples


def read_remote_ref(remote, task):
    try:
        with open(os.path.join(remote, "refs", "heads", "aee", task)) as handle:
            return handle.read().strip()
    except FileNotFoundError:
        return None


def remote_claims(binary, work, tasks):
    """Claim round-trips through a bare remote: git aee's, then the git CLI's doing the same work."""
    origin, remote, clone = (os.path.join(work, name) for name in ("origin-clone", "remote.git", "worker-clone"))
    for path in (origin, remote, clone):
        shutil.rmtree(path, ignore_errors=True)
    setup(origin)
    run(["git", "init", "-q", "--bare", "-b", "main", remote], work)
    run(["git", "remote", "add", "origin", remote], origin)
    run(["git", "push", "-q", "origin", "main"], origin)
    run(["git", "clone", "-q", remote, clone], work)
    ours, theirs = [], []
    for index in range(tasks):
        task = subprocess.run([binary, "task", f"remote {index}", "--queue", "--push", "origin"], cwd=origin, env=ENV, check=True,
                              stdout=subprocess.PIPE, text=True).stdout.strip()
        queued = read_remote_ref(remote, task)
        started = time.perf_counter_ns()
        process = subprocess.Popen([binary, "run", task, "--if-queued", "--remote", "origin"], cwd=clone, env=ENV,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while read_remote_ref(remote, task) == queued:
            if process.poll() is not None:
                sys.exit(f"git aee run {task} --remote origin exited {process.returncode} without claiming the task")
            time.sleep(0.0002)
        ours.append((time.perf_counter_ns() - started) / 1e6)
        process.wait()

        # The git CLI claims a second task the same way: fetch, make the claim commit, push it if the ref is unchanged.
        task = subprocess.run([binary, "task", f"git {index}", "--queue", "--push", "origin"], cwd=origin, env=ENV, check=True,
                              stdout=subprocess.PIPE, text=True).stdout.strip()
        queued = read_remote_ref(remote, task)
        started = time.perf_counter_ns()
        run(["git", "fetch", "-q", "origin", "+refs/heads/aee/*:refs/remotes/origin/aee/*"], clone)
        claim = run(["git", "commit-tree", "-p", queued, "-m", "claim", f"{queued}^{{tree}}"], clone).decode().strip()
        run(["git", "push", "-q", f"--force-with-lease=refs/heads/aee/{task}:{queued}", "origin", f"{claim}:refs/heads/aee/{task}"], clone)
        theirs.append((time.perf_counter_ns() - started) / 1e6)
    return ours, theirs


def report(label, samples):
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]
    print(f"  {label:13} median {statistics.median(samples):8.1f} ms   p95 {p95:8.1f} ms   (n={len(samples)})", flush=True)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--tasks", type=int, default=50)
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    work = os.path.join(os.path.dirname(os.path.abspath(__file__)), "work")
    path = os.path.join(work, "queue")
    print(f"git aee queue benchmark: {binary}; {options.tasks} tasks each, queue -> claim")
    try:
        setup(path)
        event = report("event-driven", latencies(binary, path, f"exec '{binary}' worker", options.tasks))
        polled = report("polling (1 s)", latencies(binary, path, f"while true; do '{binary}' worker --once; sleep 1; done",
                                                   options.tasks))
        print(f"  the event-driven worker claims {polled / event:.0f}x sooner")
        ours, theirs = remote_claims(binary, work, options.tasks)
        aee = report("remote claim", ours)
        git = report("git CLI", theirs)
        print(f"  a claim through the bare remote: git aee {aee:.1f} ms, the git CLI {git:.1f} ms, ratio {aee / git:.2f}")
    finally:
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
