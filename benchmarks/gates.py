#!/usr/bin/env python3
"""Benchmark of git aee's gates, against the same work done without git aee, in the same run.

  python3 benchmarks/gates.py --binary PATH [--runs N] [--large-files N]

  1. three gates of `sleep 1`: wall time of `git aee gate --no-cache` with the default job count (the cores) and
     with --jobs 3, against the slowest gate alone;
  2. `git aee gate` on a tree that already passed, against running the gates' command directly;
  3. the pre-push hook on a push whose tree already passed, in a repository of --large-files files:
     `git push` to a local bare remote with the hook against `git push --no-verify`.
"""
import argparse
import os
import shutil
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from store import ENV, make_repo, run, timed  # noqa: E402

CONFIG = """{"version": 1, "gates": {"a": {"run": "sleep 1"}, "b": {"run": "sleep 1"}, "c": {"run": "sleep 1"}},
 "default_gates": ["a", "b", "c"], "pre_push_gates": ["a", "b", "c"]}
"""


def configure(path):
    os.makedirs(os.path.join(path, ".aee"), exist_ok=True)
    with open(os.path.join(path, ".aee", "config.json"), "w") as handle:
        handle.write(CONFIG)
    run(["git", "add", ".aee/config.json"], path)
    run(["git", "commit", "-q", "-m", "gates"], path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=shutil.which("git-aee"))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--large-files", type=int, default=100_000)
    options = parser.parse_args()
    if not options.binary:
        sys.exit("error: no git-aee binary: pass --binary or put git-aee on PATH")
    binary = os.path.abspath(options.binary)
    ENV["PATH"] = os.path.dirname(binary) + os.pathsep + ENV["PATH"]
    work = os.path.join(os.path.dirname(os.path.abspath(__file__)), "work")
    os.makedirs(work, exist_ok=True)
    print(f"git-aee: {binary}; {os.cpu_count()} cores; medians of {options.runs} runs (1: of 3)\n")

    small = os.path.join(work, "gates-small")
    make_repo(small, 100)
    configure(small)
    print("1. Three gates of `sleep 1` (ms)")
    alone = statistics.median(timed(["sleep", "1"], small) for _ in range(3))
    for label, extra in ((f"default jobs ({os.cpu_count()})", []), ("--jobs 3", ["--jobs", "3"])):
        wall = statistics.median(timed([binary, "gate", "--no-cache", *extra], small) for _ in range(3))
        print(f"   {label:18} {wall:7.1f}   slowest gate alone {alone:7.1f}   ratio {wall / alone:.2f}")

    print("\n2. A tree that already passed (ms)")
    timed([binary, "gate"], small)
    cached = statistics.median(timed([binary, "gate"], small) for _ in range(options.runs))
    direct = statistics.median(timed(["sh", "-c", "sleep 1 & sleep 1 & sleep 1; wait"], small) for _ in range(3))
    print(f"   git aee gate (cached): {cached:.1f}   the gates' commands run directly: {direct:.1f}   ratio {cached / direct:.3f}")

    print(f"\n3. pre-push hook on a cached push, {options.large_files} files (ms)")
    large = os.path.join(work, "gates-large")
    make_repo(large, options.large_files)
    configure(large)
    remote = os.path.join(work, "gates-remote.git")
    shutil.rmtree(remote, ignore_errors=True)
    run(["git", "init", "-q", "--bare", remote], work)
    run(["git", "remote", "add", "origin", remote], large)
    run([binary, "hooks", "install"], large)
    run(["git", "push", "-q", "origin", "HEAD:refs/heads/first"], large)  # judges the tree once, fills the cache
    os.sync()
    hooked = statistics.median(timed(["git", "push", "-q", "origin", f"HEAD:refs/heads/h{n}"], large) for n in range(options.runs))
    plain = statistics.median(timed(["git", "push", "-q", "--no-verify", "origin", f"HEAD:refs/heads/p{n}"], large) for n in range(options.runs))
    print(f"   git push with the hook: {hooked:.1f}   --no-verify: {plain:.1f}   the hook adds {hooked - plain:.1f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
