#!/usr/bin/env python3
"""Benchmark of `git aee report` and `git aee web`, against `git aee list --json` of the same tasks, in the same run.

  python3 benchmarks/report.py --binary PATH [--tasks N] [--runs N] [--changes N] [--keep]

  1. `git aee report` of --tasks tasks (default 1,000 drafts): its time and
     the page's size, against `git aee list --json` (time and size) of the same repository;
  2. `git aee web`: from a ref change (`git update-ref` of a task branch, timed from just before it) to the
     server-sent event reaching a connected client, median and p95 over --changes changes (default 50).
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from store import ENV, make_tasks, run, timed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def bench_report(binary, path, runs):
    report = [timed([binary, "report", "-o", os.path.join(path, "..", "report.html")], path) for _ in range(runs)]
    listing = [timed([binary, "list", "--json"], path) for _ in range(runs)]
    page = os.path.getsize(os.path.join(path, "..", "report.html"))
    listed = len(run([binary, "list", "--json"], path))
    return statistics.median(report), page, statistics.median(listing), listed


def bench_web(binary, path, changes):
    server = subprocess.Popen([binary, "web"], cwd=path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = server.stdout.readline().strip()
        port = int(url.split(":")[2].split("/")[0])
        token = url.split("token=")[1]
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(f"GET /events?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        client.settimeout(10)
        received = b""
        while b"\r\n\r\n" not in received:
            received += client.recv(4096)
        branch = run(["git", "for-each-ref", "--count=1", "--format=%(refname)", "refs/heads/aee/"], path).decode().strip()
        tip = run(["git", "rev-parse", branch], path).decode().strip()
        latencies = []
        for n in range(changes):
            ref = f"refs/heads/aee/zzbench{n:02d}"
            start = time.perf_counter_ns()
            subprocess.run(["git", "update-ref", ref, tip], cwd=path, env=ENV, check=True)
            received = b""
            while b"event: change" not in received:
                received += client.recv(4096)
            latencies.append((time.perf_counter_ns() - start) / 1e6)
            subprocess.run(["git", "update-ref", "-d", ref], cwd=path, env=ENV, check=True)
            # The deletion wakes the server too; let that event pass before the next change.
            time.sleep(0.05)
            client.setblocking(False)
            try:
                while client.recv(4096):
                    pass
            except BlockingIOError:
                pass
            client.setblocking(True)
            client.settimeout(10)
        client.close()
        latencies.sort()
        return statistics.median(latencies), latencies[int(len(latencies) * 0.95) - 1]
    finally:
        server.kill()
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    work = os.path.join(HERE, "work", "report")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    repo = os.path.join(work, "repo")
    try:
        make_tasks(binary, args.tasks, repo)
        print(f"git aee report/web benchmark: {binary}; {args.tasks} tasks, medians over {args.runs} runs")
        report, size, listing, listed = bench_report(binary, repo, args.runs)
        print(f"  git aee report:        {report:8.1f} ms, {size / 1024:8.1f} KiB")
        print(f"  git aee list --json:   {listing:8.1f} ms, {listed / 1024:8.1f} KiB   (report/list: time {report / listing:.2f}, size {size / listed:.2f})")
        median, p95 = bench_web(binary, repo, args.changes)
        print(f"  git aee web, ref change to event at a client: median {median:.1f} ms, p95 {p95:.1f} ms over {args.changes} changes")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
