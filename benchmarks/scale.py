#!/usr/bin/env python3
"""Benchmark of git aee with many tasks: reading them all, and the one-task commands, against the git CLI.

  python3 benchmarks/scale.py --binary PATH [--runs N] [--sizes 100,10000,100000] [--keep]

For each number of tasks, in a repository of 100 files:
  1. `git aee list --json` against `git for-each-ref | git cat-file --batch` reading the same task.json blobs;
  2. `git aee show <id> --json` against `git cat-file -p aee/<id>:.aee/tasks/<id>/task.json`;
  3. the one-task commands (`show`, `task --draft`, `approve`, `cancel`, and resolving a 5-character id prefix),
     wall time and, with valgrind, instructions: they should cost the same with 100 tasks as with 100,000.
Up to 10,000 tasks are made by `git aee task --draft`, their objects as git aee leaves them (loose up to
aee.autoPack, the rest in the packs it makes); more are written by `git fast-import` in the same format (a record
git aee made, with the id and title changed), one pack, and loose refs as git aee writes them.
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import store  # noqa: E402  (the same repositories, timer and instruction counter)

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def git(path, *args, stdin=None):
    return store.run(["git", *args], path, stdin=stdin).decode()


def import_tasks(binary, tasks, path):
    """`tasks` tasks in git aee's format, written by git fast-import from one record git aee made."""
    store.make_repo(path, 100)
    template = store.run([binary, "task", "template", "--draft"], path).decode().strip()
    record = git(path, "show", f"aee/{template}:.aee/tasks/{template}/task.json")
    events = git(path, "show", f"aee/{template}:.aee/tasks/{template}/events.jsonl")
    message = git(path, "log", "-1", "--format=%B", f"aee/{template}")
    base = git(path, "rev-parse", "main").strip()
    made = set(os.listdir(os.path.join(path, ".git", "refs", "heads", "aee")))
    chunks = []
    for n in range(tasks - 1):
        while True:
            task = "".join(random.choice(ALPHABET) for _ in range(8))
            if task not in made:
                made.add(task)
                break
        title = f"listed {n}"
        parts = [record.replace(template, task).replace('"title": "template"', f'"title": "{title}"'),
                 events.replace(template, task),
                 message.replace(template, task).replace("created: template", f"created: {title}")]
        body = [p.encode() for p in parts]
        chunks.append(f"commit refs/heads/aee/{task}\nauthor Bench <bench@example.com> 1764780000 +0000\n"
                      f"committer Bench <bench@example.com> 1764780000 +0000\ndata {len(body[2])}\n".encode() + body[2]
                      + f"\nfrom {base}\nM 100644 inline .aee/tasks/{task}/task.json\ndata {len(body[0])}\n".encode()
                      + body[0] + f"\nM 100644 inline .aee/tasks/{task}/events.jsonl\ndata {len(body[1])}\n".encode()
                      + body[1] + b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, env=store.ENV, input=b"".join(chunks), check=True)


def median_ms(args, path, runs, shell=False):
    return statistics.median(store.timed(args, path, shell=shell) for _ in range(runs))


def one_task_commands(binary, path, runs):
    """Wall time (ms) and instructions of each one-task command, each on a task of its own where it changes one."""
    drafts = [store.run([binary, "task", f"fresh {n}", "--draft"], path).decode().strip() for n in range(2 * runs + 4)]
    shown = drafts[-1]
    results = {}
    results["show"] = (median_ms([binary, "show", shown, "--json"], path, runs), store.instructions([binary, "show", shown, "--json"], path))
    results["resolve a prefix"] = (median_ms([binary, "show", shown[:5], "--json"], path, runs),
                                   store.instructions([binary, "show", shown[:5], "--json"], path))
    results["task --draft"] = (median_ms([binary, "task", "timed", "--draft"], path, runs),
                               store.instructions([binary, "task", "counted", "--draft"], path))
    approve = [store.timed([binary, "approve", drafts[n]], path) for n in range(runs)]
    cancel = [store.timed([binary, "cancel", drafts[runs + n]], path) for n in range(runs)]
    results["approve"] = (statistics.median(approve), store.instructions([binary, "approve", drafts[-2]], path))
    results["cancel"] = (statistics.median(cancel), store.instructions([binary, "cancel", drafts[-3]], path))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=shutil.which("git-aee"), help="the git-aee to measure")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--sizes", default="100,10000,100000", help="numbers of tasks, comma-separated")
    parser.add_argument("--keep", action="store_true", help="keep benchmarks/work/")
    options = parser.parse_args()
    if not options.binary:
        sys.exit("error: no git-aee binary: pass --binary or put git-aee on PATH")
    binary = os.path.abspath(options.binary)
    work = os.path.join(store.HERE, "work")
    os.makedirs(work, exist_ok=True)
    sizes = [int(size) for size in options.sizes.split(",")]
    print(f"git-aee: {binary}\n{git(work, '--version').strip()}; {os.cpu_count()} cores; medians of {options.runs} runs\n")

    commands = {}
    for tasks in sizes:
        path = os.path.join(work, f"tasks-{tasks}")
        if tasks <= 10_000:
            store.make_tasks(binary, tasks, path)
            how = "made by git aee task --draft"
        else:
            import_tasks(binary, tasks, path)
            how = "written by git fast-import"
        os.sync()
        objects = dict(line.split(": ") for line in git(path, "count-objects", "-v").splitlines())
        print(f"{tasks:,} tasks ({how}; {objects['count']} loose objects, {objects['in-pack']} packed in {objects['packs']} packs)")
        count, aee, cli = store.bench_list(binary, path, max(5, options.runs))
        print(f"   list --json: {aee:8.1f} ms   for-each-ref | cat-file --batch: {cli:8.1f} ms   ratio {aee / cli:.2f}   ({count} listed)")
        shown = git(path, "for-each-ref", "--count=1", "--format=%(refname:lstrip=3)", "refs/heads/aee/").strip()
        aee = median_ms([binary, "show", shown, "--json"], path, options.runs)
        cli = median_ms(["git", "cat-file", "-p", f"aee/{shown}:.aee/tasks/{shown}/task.json"], path, options.runs)
        print(f"   show --json: {aee:8.1f} ms   cat-file -p <branch>:<record>:   {cli:8.1f} ms   ratio {aee / cli:.2f}")
        commands[tasks] = one_task_commands(binary, path, options.runs)
        for name, (wall, counted) in commands[tasks].items():
            print(f"   {name:17} {wall:7.1f} ms" + (f"   {counted:,} instructions" if counted else ""))
        print()
    if len(sizes) > 1:
        low, high = sizes[0], sizes[-1]
        print(f"One-task commands, {high:,} tasks against {low:,}:")
        for name in commands[low]:
            (wall_low, count_low), (wall_high, count_high) = commands[low][name], commands[high][name]
            print(f"   {name:17} wall {wall_high / wall_low:.2f}x" + (f", instructions {count_high / count_low:.3f}x" if count_low and count_high else ""))
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
