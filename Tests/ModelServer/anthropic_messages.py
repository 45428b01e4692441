"""The scripted model behind the Anthropic Messages API (POST /v1/messages), as Claude Code 2.1.x calls it.

Claude Code sends the whole conversation on every request, so the position in the story is recomputed each time:
the prompt is the first user message, and `done` is how many tool_result blocks the conversation holds (a refused
tool call comes back as a tool_result too, with is_error, so it counts as a step taken).
"""
import json
import os
import re
import uuid

import scenario


def text_of(content):
    """The text of a message's content, a string or a list of blocks."""
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content or [] if isinstance(b, dict) and b.get("type") == "text")


def prompt_of(content):
    """git aee's prompt. Claude Code puts <system-reminder> blocks (environment, git status, date, budget) before it
    in the same message; they go, so that the prompt's first line is the task title the scenario looks at."""
    text = text_of(content)
    return re.sub(r"<system-reminder>.*?</system-reminder>", "", text, flags=re.S).strip() or text


def working_directory(body):
    """Claude Code's cwd, which it states as " - Primary working directory: /path" in a system-reminder of the first
    user message (older versions: in the system prompt). Read, Write and Edit want absolute paths."""
    system = body.get("system") or ""
    texts = [system] if isinstance(system, str) else [b.get("text", "") for b in system if isinstance(b, dict)]
    texts += [text_of(m.get("content")) for m in body.get("messages") or [] if m.get("role") == "user"]
    for text in texts:
        match = re.search(r"(?:Primary working directory|Working directory): *(.+)", text)
        if match:
            return match.group(1).strip()
    return ""


def decide(body):
    """The answer: (content blocks, stop_reason)."""
    messages = body.get("messages") or []
    users = [m for m in messages if m.get("role") == "user"]
    prompt = prompt_of(users[0].get("content")) if users else ""
    blocks = [b for m in messages if isinstance(m.get("content"), list) for b in m["content"] if isinstance(b, dict)]
    done = sum(1 for b in blocks if b.get("type") == "tool_result")
    offered = {tool.get("name") for tool in body.get("tools") or []}
    cwd = working_directory(body)

    def call(name, arguments):
        if name not in offered:  # a side request (Claude Code may ask for a title etc.) offers no tools: just text
            return [{"type": "text", "text": "OK"}], "end_turn"
        return [{"type": "tool_use", "id": "toolu_" + uuid.uuid4().hex[:24], "name": name, "input": arguments}], "tool_use"

    step = scenario.next_step(prompt, done)
    if step[0] == "plan":
        # With --json-schema SCHEMA, Claude Code offers a tool "StructuredOutput" whose input_schema is SCHEMA; the
        # input of the model's call becomes `structured_output` in the result event, and the CLI stops there. Called
        # once only: if the CLI asks again (it refused the input), the plan comes as text (the result's `result`).
        called = any(b.get("type") == "tool_use" and b.get("name") == "StructuredOutput" for b in blocks)
        if "StructuredOutput" in offered and not called:
            return call("StructuredOutput", step[1])
        return [{"type": "text", "text": json.dumps(step[1])}], "end_turn"
    if step[0] == "read":
        return call("Read", {"file_path": os.path.join(cwd, step[1])})
    if step[0] == "write":
        return call("Write", {"file_path": os.path.join(cwd, step[1]), "content": step[2]})
    if step[0] == "bash":
        return call("Bash", {"command": step[1], "description": "Run " + step[1]})
    return [{"type": "text", "text": step[1]}], "end_turn"


def handle(handler, body):
    content, stop_reason = decide(body)
    # Usage lets the CLI price the call (total_cost_usd): about 4 characters a token.
    input_tokens = max(1, len(json.dumps(body)) // 4)
    message = {"id": "msg_" + uuid.uuid4().hex[:24], "type": "message", "role": "assistant",
               "model": body.get("model") or "claude-sonnet-4-6", "content": content,
               "stop_reason": stop_reason, "stop_sequence": None,
               "usage": {"input_tokens": input_tokens, "output_tokens": 50}}
    if not body.get("stream"):
        handler.reply(200, message)
        return
    # Streaming: message_start (empty content), then per block start / one delta / stop, then message_delta
    # (stop_reason, final output_tokens) and message_stop. A tool_use block starts with input {} and its input
    # arrives as input_json_delta text.
    start = dict(message, content=[], stop_reason=None, usage={"input_tokens": input_tokens, "output_tokens": 1})
    events = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(content):
        if block["type"] == "text":
            first, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": block["text"]}
        else:
            first, delta = dict(block, input={}), {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        events += [("content_block_start", {"type": "content_block_start", "index": index, "content_block": first}),
                   ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}),
                   ("content_block_stop", {"type": "content_block_stop", "index": index})]
    events += [("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                  "usage": {"output_tokens": 50}}),
               ("message_stop", {"type": "message_stop"})]
    handler.stream(events)
