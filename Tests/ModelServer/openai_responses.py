"""The OpenAI Responses API (POST /v1/responses, streamed), as the Codex CLI (0.163) speaks it.

Codex keeps no state on the server (`store: false`) and sends the whole conversation every time, so the story's
state is read from `input`: git aee's prompt is the last user message that is not one of codex's own context blocks,
and the tool results (`function_call_output` / `custom_tool_call_output` items) say how far the story got.

Tools used, from what codex offers in `tools`: `exec_command` (its shell tool) for read and bash, the freeform
`apply_patch` for write when offered (only for models codex knows, e.g. gpt-5.5; else a shell heredoc), and
`write_stdin` to wait on a command that is still running.

Codex builds its items from `response.output_item.done` and ends a request at `response.completed` (its usage is
what codex adds up into turn.completed); the other events are sent as the real API sends them.
"""
import json
import re
import shlex

import scenario

_counter = [0]
RUNNING = re.compile(r"Process running with session ID (\d+)")


def _id(prefix):
    _counter[0] += 1
    return "%s_%06d" % (prefix, _counter[0])


def _text(content):
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def prompt_of(body):
    """git aee's prompt: codex puts its own user-role additions first and wraps them in tags
    (<environment_context>, <user_instructions>, ...) or headers them (# AGENTS.md instructions)."""
    prompt = ""
    for item in body.get("input") or []:
        if item.get("type", "message") == "message" and item.get("role") == "user":
            text = _text(item.get("content"))
            if not text.lstrip().startswith(("<", "# AGENTS.md")):
                prompt = text
    return prompt


def progress_of(body):
    """(steps done, session id of a command still running or None).

    exec_command returns after at most ~10 s with "Process running with session ID N" while the command goes on;
    such a step is not done yet, and the scripted model waits for it with write_stdin (as a real model does), so a
    hanging command really hangs the agent. A step is done when its output no longer says it is running."""
    done, running = 0, None
    for item in body.get("input") or []:
        if str(item.get("type", "")).endswith("call_output"):
            output = item.get("output")
            match = RUNNING.search(output if isinstance(output, str) else json.dumps(output))
            if match:
                running = int(match.group(1))
            else:
                done, running = done + 1, None
    return done, running


def _function_call(name, arguments):
    return {"type": "function_call", "id": _id("fc"), "call_id": _id("call"), "status": "completed",
            "name": name, "arguments": json.dumps(arguments)}


def _tool(body, name):
    return next((tool for tool in body.get("tools") or [] if tool.get("name") == name), None)


def _write_call(body, path, content):
    tool = _tool(body, "apply_patch")
    if tool is None:
        return _function_call("exec_command", {"cmd": "cat > %s <<'AEE_EOF'\n%sAEE_EOF" % (shlex.quote(path), content)})
    # "Add File" replaces the whole file, so no diff against what was read is needed (codex reports kind "add").
    patch = "*** Begin Patch\n*** Add File: %s\n%s*** End Patch\n" % (
        path, "".join("+" + line + "\n" for line in content.splitlines()))
    if tool.get("type") == "custom":
        # Freeform tool: the patch is the raw `input`; its result comes back as custom_tool_call_output.
        return {"type": "custom_tool_call", "id": _id("ctc"), "call_id": _id("call"), "status": "completed",
                "name": "apply_patch", "input": patch}
    return _function_call("apply_patch", {"input": patch})


def _message(text):
    return {"type": "message", "id": _id("msg"), "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def next_item(body):
    done, running = progress_of(body)
    if running is not None:
        return _function_call("write_stdin", {"session_id": running, "chars": "", "yield_time_ms": 30000})
    step = scenario.next_step(prompt_of(body), done)
    kind = step[0]
    if kind == "plan":
        # The plan is the final assistant message. With --output-schema codex asks for it through
        # text.format (json_schema) and writes exactly this text to the -o file.
        return _message(json.dumps(step[1]))
    if kind == "finish":
        return _message(step[1])
    if kind == "read":
        return _function_call("exec_command", {"cmd": "cat " + shlex.quote(step[1])})
    if kind == "write":
        return _write_call(body, step[1], step[2])
    if kind == "bash":
        return _function_call("exec_command", {"cmd": step[1]})
    raise ValueError("unknown step %r" % (step,))


def handle(handler, body):
    item = next_item(body)
    base = {"id": _id("resp"), "object": "response", "created_at": 0, "model": body.get("model", ""),
            "status": "in_progress", "output": []}
    events = []

    def event(kind, **fields):
        events.append((kind, dict(type=kind, sequence_number=len(events), **fields)))

    event("response.created", response=base)
    where = {"item_id": item["id"], "output_index": 0}
    if item["type"] == "message":
        text = item["content"][0]["text"]
        part = {"type": "output_text", "text": "", "annotations": []}
        event("response.output_item.added", output_index=0, item=dict(item, status="in_progress", content=[]))
        event("response.content_part.added", content_index=0, part=part, **where)
        event("response.output_text.delta", content_index=0, delta=text, **where)
        event("response.output_text.done", content_index=0, text=text, **where)
        event("response.content_part.done", content_index=0, part=dict(part, text=text), **where)
    elif item["type"] == "custom_tool_call":
        event("response.output_item.added", output_index=0, item=dict(item, status="in_progress", input=""))
        event("response.custom_tool_call_input.delta", delta=item["input"], **where)
        event("response.custom_tool_call_input.done", input=item["input"], **where)
    else:
        event("response.output_item.added", output_index=0, item=dict(item, status="in_progress", arguments=""))
        event("response.function_call_arguments.delta", delta=item["arguments"], **where)
        event("response.function_call_arguments.done", arguments=item["arguments"], **where)
    event("response.output_item.done", output_index=0, item=item)

    # Token counts: deterministic and roughly proportional to the text, so a test can check they add up.
    input_tokens = len(json.dumps(body.get("input") or [])) // 4
    output_tokens = max(1, len(json.dumps(item)) // 4)
    usage = {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0},
             "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
             "total_tokens": input_tokens + output_tokens}
    event("response.completed", response=dict(base, status="completed", output=[item], usage=usage))
    handler.stream(events)
