#!/usr/bin/env python3
"""Benchmark of git aee's task store against the git CLI doing the same work, in the same run.

  make bench                                  # builds the release binary and runs this
  python3 benchmarks/store.py --binary PATH [--runs N] [--tasks N] [--large-files N]

Measures (medians of --runs runs, each a fresh process):
  1. writing one task record: `git aee task --draft` vs porcelain git (`git add` + `git commit`)
     vs the plumbing pipeline (hash-object -w / mktree / commit-tree / update-ref), on repositories of
     100 and --large-files files;
  2. reading every record: `git aee list --json` vs `git for-each-ref | git cat-file --batch`, over --tasks tasks;
  3. start-up: `git-aee --version` vs `git --version`.
Repositories are built under benchmarks/work/ (removed at the end unless --keep).
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
           GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com", GIT_CONFIG_NOSYSTEM="1", LANG="C",
           # The benchmarks write their own .aee/config.json; approving it is not what they measure.
           AEE_TRUST="1")
ENV.pop("NO_COLOR", None)


def run(args, cwd, stdin=None, shell=False):
    return subprocess.run(args, cwd=cwd, env=ENV, input=stdin, shell=shell, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout


def timed(args, cwd, shell=False):
    start = time.perf_counter_ns()
    subprocess.run(args, cwd=cwd, env=ENV, shell=shell, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return (time.perf_counter_ns() - start) / 1e6


def make_repo(path, files):
    """A repository whose `files` files sit in directories of 1,000, as real trees do (not all in the root)."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    run(["git", "init", "-q", "-b", "main"], path)
    # No background auto-gc: it would compete with the measurements and collide with the explicit gc below.
    run(["git", "config", "gc.auto", "0"], path)
    per_dir = min(files, 1000)
    for index in range(files):
        directory = os.path.join(path, "src", f"d{index // per_dir:03d}")
        if index % per_dir == 0:
            os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, f"f{index:06d}.txt"), "w") as handle:
            handle.write(f"file {index}\n")
    run(["git", "add", "-A"], path)
    run(["git", "commit", "-q", "-m", f"{files} files"], path)
    run(["git", "gc", "-q"], path)
    # The kernel is still writing the new files back to disk; measuring now would time that, not the tools.
    os.sync()


RECORD = """{{
  "id": "{id}",
  "state": "DRAFT",
  "title": "bench {n}"
}}
"""

# One record step with git's plumbing, as a script would write it: the record's two files, the trees along
# `.aee/tasks/<id>/` on top of $BASE (default HEAD), a commit, and the branch moved from $OLD (default: created).
# Prints the commit.
PLUMBING = r"""
set -e
base=${BASE:-HEAD}
b1=$(git hash-object -w --stdin <<< "$RECORD")
b2=$(git hash-object -w --stdin <<< "$EVENT")
t1=$(printf '100644 blob %s\tevents.jsonl\n100644 blob %s\ttask.json\n' "$b2" "$b1" | git mktree)
t2=$( { git ls-tree "$base":.aee/tasks 2>/dev/null | grep -v "	$ID$" || true; printf '040000 tree %s\t%s\n' "$t1" "$ID"; } | git mktree)
t3=$( { git ls-tree "$base":.aee 2>/dev/null | grep -v "	tasks$" || true; printf '040000 tree %s\ttasks\n' "$t2"; } | git mktree)
root=$( { git ls-tree "$base" | grep -v "	.aee$" || true; printf '040000 tree %s\t.aee\n' "$t3"; } | git mktree)
c=$(git commit-tree "$root" -p "$base" -m "aee($ID): ${STEP:-created}: bench")
git update-ref "refs/heads/aee/$ID" "$c" "${OLD:-0000000000000000000000000000000000000000}"
echo "$c"
"""


def instructions(args, cwd):
    """Instructions executed (valgrind's callgrind): unlike wall time, the same on a busy or an idle machine."""
    if not shutil.which("valgrind"):
        return None
    out = os.path.join(cwd, "..", "callgrind.out")
    counted = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *args], cwd=cwd, env=ENV,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if counted.returncode != 0 or not os.path.exists(out):
        return None
    with open(out) as handle:
        total = next(int(line.split()[1]) for line in handle if line.startswith("summary:") or line.startswith("totals:"))
    os.remove(out)
    return total


def bench_writes(binary, path, runs):
    # Each tool's runs are a series of their own, so one tool's cache effects (porcelain git rewrites the
    # whole index on every commit) do not land on another's measurements.
    timed([binary, "task", "warm-up", "--draft"], path)
    aee = [timed([binary, "task", f"bench {n}", "--draft"], path) for n in range(runs)]
    porcelain, plumbing = [], []
    for n in range(runs):
        # Porcelain: the record as files in the working tree, then git add + git commit (on the current branch).
        task_id = f"p{n:07d}"
        directory = os.path.join(path, ".aee", "tasks", task_id)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "task.json"), "w") as handle:
            handle.write(RECORD.format(id=task_id, n=n))
        with open(os.path.join(directory, "events.jsonl"), "w") as handle:
            handle.write('{"event":"created"}\n')
        porcelain.append(timed(["git", "add", f".aee/tasks/{task_id}"], path) + timed(["git", "commit", "-q", "-m", f"aee({task_id}): created"], path))
    for n in range(runs):
        plumbing_id = f"q{n:07d}"
        ENV.update(RECORD=RECORD.format(id=plumbing_id, n=n), EVENT='{"event":"created"}', ID=plumbing_id)
        plumbing.append(timed(["bash", "-c", PLUMBING], path))
    return statistics.median(aee), statistics.median(porcelain), statistics.median(plumbing), instructions([binary, "task", "counted", "--draft"], path)


def bench_list(binary, path, runs):
    count = len(json.loads(run([binary, "list", "--json"], path))["tasks"])
    git_read = ("git for-each-ref --format='%(refname):.aee/tasks/%(refname:lstrip=3)/task.json' refs/heads/aee/ "
                "| git cat-file --batch > /dev/null")
    aee = [timed([binary, "list", "--json"], path) for _ in range(runs)]
    git = [timed(git_read, path, shell=True) for _ in range(runs)]
    return count, statistics.median(aee), statistics.median(git)


def make_tasks(binary, tasks, path):
    """A repository of 100 files holding `tasks` tasks, each made by `git aee task --draft`."""
    make_repo(path, 100)
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(lambda n: run([binary, "task", f"listed {n}", "--draft"], path), range(tasks)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=shutil.which("git-aee"), help="the git-aee to measure")
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--large-files", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep benchmarks/work/")
    options = parser.parse_args()
    if not options.binary:
        sys.exit("error: no git-aee binary: pass --binary or put git-aee on PATH")
    binary = os.path.abspath(options.binary)
    work = os.path.join(HERE, "work")
    os.makedirs(work, exist_ok=True)
    print(f"git-aee: {binary}\n{run(['git', '--version'], work).decode().strip()}; {os.cpu_count()} cores; medians of {options.runs} runs\n")

    print("1. Writing one task record (ms)")
    print(f"   {'files':>8}  {'git aee':>8}  {'porcelain':>9}  {'plumbing':>8}  {'aee/porcelain':>13}  {'aee/plumbing':>12}  {'git aee instructions':>20}")
    writes = {}
    for files in (100, options.large_files):
        path = os.path.join(work, f"repo-{files}")
        make_repo(path, files)
        aee, porcelain, plumbing, counted = bench_writes(binary, path, options.runs)
        writes[files] = (aee, counted)
        print(f"   {files:>8}  {aee:8.2f}  {porcelain:9.2f}  {plumbing:8.2f}  {aee / porcelain:13.2f}  {aee / plumbing:12.2f}  {f'{counted:,}' if counted else 'n/a':>20}")
    (small, small_count), (large, large_count) = writes[100], writes[options.large_files]
    print(f"   git aee, {options.large_files} files against 100 files: {large / small:.2f}x wall time"
          + (f", {large_count / small_count:.4f}x instructions" if small_count and large_count else "") + "\n")

    print(f"2. Reading every record, {options.tasks} tasks (ms)")
    path = os.path.join(work, "tasks")
    make_tasks(binary, options.tasks, path)
    for label in ("loose objects (as written)", "packed (after git gc)"):
        if label.startswith("packed"):
            run(["git", "gc", "-q"], path)
        os.sync()
        count, aee, git = bench_list(binary, path, max(5, options.runs // 3))
        print(f"   {label:27} git aee list --json: {aee:7.1f}   for-each-ref | cat-file --batch: {git:7.1f}   ratio {aee / git:.2f}   ({count} tasks)")
    print()

    print("3. Start-up (ms)")
    aee = statistics.median(timed([binary, "--version"], work) for _ in range(options.runs * 2))
    git = statistics.median(timed(["git", "--version"], work) for _ in range(options.runs * 2))
    print(f"   git-aee --version: {aee:.2f}   git --version: {git:.2f}   ratio {aee / git:.2f}")
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
