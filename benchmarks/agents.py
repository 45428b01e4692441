#!/usr/bin/env python3
"""Benchmark of git aee's own time per call of each real agent CLI, against the same CLI run alone on the same prompt.

  python3 benchmarks/agents.py --binary PATH --agents DIR [--runs N]

DIR holds the real CLIs (`make agent-tools` links them into ~/.cache/git-aee-test-tools/agents/bin). Each talks to
the scripted model of Tests/ModelServer on 127.0.0.1, so the model answers at once and what is measured is the CLIs
and git aee. For each CLI:
  alone       the CLI started by hand on git aee's execute prompt in a calculator repository, as git aee starts it
              (same flags and environment), launch to exit: what a user running the CLI pays per call
  in git aee  a whole task (two iterations: plan and execute each, then the gate), its wall time less the time its
              agent calls took (each call's `duration_ms`, launch to exit, as git aee recorded it) and its gate runs:
              what is left is git aee's own work (claim, workspace, prompts, staging, commits, records), per call
The ratio is (alone + git aee's own per call) / alone: how much longer a call takes through git aee. Medians over
--runs tasks.
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "..", "Tests", "ModelServer", "server.py")
CALC = '#!/bin/sh\n# Adds two numbers.\necho $(($1 - $2))\n'
TEST = ('#!/bin/sh\nout=$(./calc.sh 2 3)\nif [ "$out" = 5 ]; then echo "ok: 2 + 3 = 5"; '
        'else echo "FAIL: ./calc.sh 2 3 printed $out, expected 5"; exit 1; fi\n')
PROMPT = """Task bench: Make calc.sh add
(attempt 1 of at most 20)

Do this work item now, in the current directory (a checkout of the project):

Work item fix-add: Make calc.sh add
calc.sh must print A + B.

Change the files it needs, and run the project's tests if you can.
Do not commit, push or switch branches (git aee commits your changes), and leave .aee/ alone.
"""
PRICES = {"input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5, "max_input_tokens": 128000,
          "max_tokens": 8192, "litellm_provider": "openai", "mode": "chat"}


def agents(url, home, scratch):
    """Per CLI: the model, the environment that sends it to `url`, and its execute command line as git aee builds it."""
    prices = os.path.join(home, "prices.json")
    with open(prices, "w") as handle:
        json.dump({"openai/scripted": PRICES, "scripted": PRICES}, handle)
    codex_home = os.path.join(home, ".codex")
    os.makedirs(codex_home, exist_ok=True)
    with open(os.path.join(codex_home, "config.toml"), "w") as handle:
        handle.write('model_provider = "local"\n[model_providers.local]\nname = "local"\nbase_url = "%s/v1"\n'
                     'wire_api = "responses"\nenv_key = "OPENAI_API_KEY"\nrequest_max_retries = 0\nstream_max_retries = 0\n' % url)
    chat = {"OPENAI_API_BASE": url + "/v1", "OPENAI_API_KEY": "sk-bench", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    return {
        "claude-code": ("claude-sonnet-4-6",
                        {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "sk-ant-bench", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                         "IS_SANDBOX": "1", "CLAUDE_CODE_MAX_RETRIES": "2", "CLAUDE_CODE_DISABLE_BACKGROUND_TASKS": "1", "DISABLE_AUTOUPDATER": "1",
                         "TMPDIR": scratch},
                        ["claude", "-p", "--output-format", "stream-json", "--verbose", "--no-session-persistence", "--permission-mode",
                         "bypassPermissions", "--tools", "Read,Glob,Grep,Edit,Write,Bash", "--disallowedTools", "Bash(git commit:*)",
                         "Bash(git push:*)", "Bash(git reset:*)", "--model", "claude-sonnet-4-6"], True),
        "codex": ("gpt-5.5", {"CODEX_HOME": codex_home, "OPENAI_API_KEY": "sk-bench"},
                  ["codex", "-a", "never", "exec", "--json", "--skip-git-repo-check", "--color", "never", "--ephemeral", "--disable", "plugins",
                   "--disable", "unbounded_connection_retries", "-c", "analytics.enabled=false", "--sandbox", "workspace-write",
                   "--model", "gpt-5.5", "-"], True),
        "aider": ("openai/scripted", dict(chat, AIDER_MODEL_METADATA_FILE=prices, COLUMNS="100000"),
                  ["aider", "--yes-always", "--no-auto-commits", "--no-dirty-commits", "--no-gitignore", "--no-check-update",
                   "--no-show-release-notes", "--analytics-disable", "--analytics-log", scratch + "/a.jsonl", "--no-pretty", "--no-stream",
                   "--no-fancy-input", "--chat-history-file", scratch + "/h.md", "--input-history-file", scratch + "/i",
                   "--message-file", scratch + "/prompt.txt", "--model", "openai/scripted"], False),
        "mini-swe-agent": ("openai/scripted", dict(chat, LITELLM_MODEL_REGISTRY_PATH=prices, MSWEA_CONFIGURED="true", MSWEA_SILENT_STARTUP="1",
                                                   MSWEA_MODEL_RETRY_STOP_AFTER_ATTEMPT="2"),
                           ["mini", "-y", "--exit-immediately", "-t", PROMPT, "-o", scratch + "/trajectory.json", "-m", "openai/scripted"], False),
    }


def calculator(path, env, agent, model):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.join(path, ".aee"))
    for name, text in (("calc.sh", CALC), ("test.sh", TEST)):
        with open(os.path.join(path, name), "w") as handle:
            handle.write(text)
        os.chmod(os.path.join(path, name), 0o755)
    with open(os.path.join(path, ".aee", "config.json"), "w") as handle:
        handle.write('{"version": 1, "agent": {"kind": "%s", "model": "%s", "timeout_seconds": 120}, '
                     '"gates": {"tests": {"run": "./test.sh"}}, "default_gates": ["tests"]}\n' % (agent, model))
    for args in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "calculator"]):
        subprocess.run(args, cwd=path, env=env, check=True, stdout=subprocess.DEVNULL)


def task(binary, path, env):
    """One task's wall time and the time its agent calls and gates took (ms), and how many calls it made."""
    start = time.perf_counter_ns()
    out = subprocess.run([binary, "task", "Make calc.sh add", "--json"], cwd=path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = (time.perf_counter_ns() - start) / 1e6
    record = json.loads(out.stdout)
    if record.get("state") != "SUCCEEDED":
        sys.exit("the task did not succeed: %s\n%s" % (record, out.stderr.decode()))
    tree = subprocess.run(["git", "ls-tree", "-r", "--name-only", "aee/" + record["id"]], cwd=path, env=env, stdout=subprocess.PIPE,
                          check=True).stdout.decode().split()
    agent, gates, calls = 0, 0, 0
    for name in tree:
        if not name.endswith(".json") or "/iterations/" not in name:
            continue
        doc = json.loads(subprocess.run(["git", "show", "aee/%s:%s" % (record["id"], name)], cwd=path, env=env, stdout=subprocess.PIPE,
                                        check=True).stdout)
        base = os.path.basename(name)
        if base == "open_plan.json" or base.startswith("work_item_"):
            agent += doc["agent"]["duration_ms"]
            calls += 1 if doc["agent"]["exit_code"] is not None else 0
        elif base == "gate_results.json":
            gates += sum(result.get("duration_ms", 0) for result in doc.get("results", []))
    return wall, agent, gates, calls


def alone(command, path, env, scratch, stdin):
    with open(os.path.join(scratch, "prompt.txt"), "w") as handle:
        handle.write(PROMPT)
    start = time.perf_counter_ns()
    with open(os.path.join(scratch, "prompt.txt")) if stdin else open(os.devnull) as source:
        subprocess.run(command, cwd=path, env=env, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter_ns() - start) / 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--agents", required=True, help="the directory holding the real CLIs")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix="aee-bench-agents-")
    home = os.path.join(work, "home")
    os.makedirs(home)
    port_file = os.path.join(work, "port")
    server = subprocess.Popen([sys.executable, SERVER, "--port-file", port_file, "--log", os.path.join(work, "requests.jsonl"), "--lifetime", "1800"])
    try:
        while not os.path.exists(port_file):
            time.sleep(0.05)
        url = "http://127.0.0.1:" + open(port_file).read()
        env = dict(os.environ, HOME=home, PATH=os.path.abspath(options.agents) + ":" + os.environ["PATH"], AEE_TRUST="1",
                   GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com", GIT_COMMITTER_NAME="Bench",
                   GIT_COMMITTER_EMAIL="bench@example.com", GIT_CONFIG_NOSYSTEM="1")
        print("agent            CLI alone   git aee's own   calls   ratio   (ms per call, medians over %d tasks)" % options.runs)
        for name, (model, extra, command, stdin) in agents(url, home, os.path.join(work, "scratch")).items():
            if not os.access(os.path.join(options.agents, command[0]), os.X_OK):
                print("%-16s not installed" % name)
                continue
            os.makedirs(os.path.join(work, "scratch"), exist_ok=True)
            cli_env = dict(env, **extra)
            repo = os.path.join(work, name)
            solo, own, counts = [], [], []
            for _ in range(options.runs):
                calculator(repo, cli_env, name, model)
                solo.append(alone(command, repo, cli_env, os.path.join(work, "scratch"), stdin))
                calculator(repo, cli_env, name, model)
                wall, agent, gates, calls = task(options.binary, repo, cli_env)
                own.append((wall - agent - gates) / max(calls, 1))
                counts.append(calls)
            a, o = statistics.median(solo), statistics.median(own)
            print("%-16s %9.0f   %13.0f   %5d   %5.2f" % (name, a, o, statistics.median(counts), (a + o) / a))
    finally:
        server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
