"""The OpenAI chat completions API (POST /v1/chat/completions) for scenario.py's story.

Two kinds of client reach it, told apart by the request:
- mini-swe-agent sends a `bash` function tool: every step is one `bash` tool call (reading, writing and testing are all
  shell commands), and it stops when a command prints COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT as its first line.
- aider sends no tools: it asks for edits in its own text format (its system prompt says which) and applies them itself.

Both `stream: true` (chunks, then a usage chunk, then [DONE]) and plain JSON answers are served. Token counts are a
fixed function of the text, so cost is non-zero and the same on every run.
"""
import json
import re
import shlex
import time

import scenario

SUBMIT = "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"  # mini-swe-agent ends when a command's output starts with this line


def handle(handler, body):
    messages = body.get("messages") or []
    prompt, after = task_prompt(messages)
    if any(tool.get("function", {}).get("name") == "bash" for tool in body.get("tools") or []):
        done = sum(1 for m in messages if m.get("role") == "tool")  # results of earlier tool calls
        text, calls = mini_turn(prompt, done)
    else:
        text, calls = aider_turn(prompt, messages, after), []
    usage = {"prompt_tokens": tokens(json.dumps(messages)), "completion_tokens": tokens(text + json.dumps(calls))}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    base = {"id": "chatcmpl-scripted-%d" % len(messages), "created": int(time.time()), "model": body.get("model", "scripted")}
    finish = "tool_calls" if calls else "stop"
    if not body.get("stream"):
        message = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = calls
        handler.reply(200, dict(base, object="chat.completion", usage=usage,
                                choices=[{"index": 0, "message": message, "finish_reason": finish}]))
        return
    chunk = dict(base, object="chat.completion.chunk")
    deltas = [{"role": "assistant", "content": ""}]
    deltas += [{"content": text[i:i + 40]} for i in range(0, len(text), 40)]  # a few pieces, as a real stream
    deltas += [{"tool_calls": [dict(call, index=i)]} for i, call in enumerate(calls)]
    events = [(None, dict(chunk, choices=[{"index": 0, "delta": d, "finish_reason": None}])) for d in deltas]
    events.append((None, dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": finish}])))
    # Sent whether or not stream_options.include_usage asked for it: clients that did not ask ignore it.
    events.append((None, dict(chunk, choices=[], usage=usage)))
    events.append((None, "[DONE]"))
    handler.stream(events)


def tokens(text):
    return max(1, len(text) // 4)


def text_of(message):
    content = message.get("content") or ""
    if isinstance(content, list):  # content parts
        content = "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content


def task_prompt(messages):
    """git aee's prompt and the index of the message holding it.

    Agents wrap it (mini: "Please solve this issue: <prompt>...", aider: format reminders after it) and put other
    user messages before it (aider: an example conversation, the repo map, the files' contents), so it is found by its
    first line, "Task <id>: <title>". Failing that, the first user message is taken whole.
    """
    first = None
    for index, message in enumerate(messages):
        if message.get("role") != "user":
            continue
        text = text_of(message)
        found = re.search(r"Task \S+: ", text)
        if found:
            return text[found.start():], index
        if first is None:
            first = (text, index)
    return first or ("", len(messages))


def mini_turn(prompt, done):
    """(content, tool calls) for mini-swe-agent: each step as one shell command."""
    step = scenario.next_step(prompt, done)
    if step[0] == "plan":
        plan = json.dumps(step[1])
        # The plan is the reply's text and also the submission (the output after the marker line).
        return plan, [bash_call(done, "echo %s && printf '%%s\\n' %s" % (SUBMIT, shlex.quote(plan)))]
    if step[0] == "read":
        return "Let me read %s." % step[1], [bash_call(done, "cat " + shlex.quote(step[1]))]
    if step[0] == "write":
        command = "cat > %s <<'EOF'\n%sEOF" % (shlex.quote(step[1]), step[2])
        return "Now I fix %s." % step[1], [bash_call(done, command)]
    if step[0] == "bash":
        return "Let me run this.", [bash_call(done, step[1])]
    return step[1], [bash_call(done, "echo " + SUBMIT)]  # the prompt asks for this command on its own


def bash_call(done, command):
    return {"id": "call_%d" % done, "type": "function", "function": {"name": "bash", "arguments": json.dumps({"command": command})}}


def aider_turn(prompt, messages, after):
    """aider's next reply. aider has no tools, so the story is told in what it does with a reply:

    - read: a file not yet in the chat is named, and aider (--yes-always) adds it and asks again; a file already in the
      chat (given on the command line) needs no turn.
    - write: an edit in the format aider's system prompt asks for ("whole" file listing for an unknown model,
      SEARCH/REPLACE for "diff"), which aider applies.
    - bash: no turn. aider under --yes-always refuses to run a command from a reply, and naming a repo file that is not
      in the chat (test.sh) makes it add that file and ask again instead of applying the edit. It runs the tests
      itself with --test-cmd/--auto-test, and sends a failure back as the next user message.
    - finish: plain text; with no edit aider stops.
    The last turn is repeated if aider asks again (it does after a finish text that names test.sh: it adds the file).
    """
    if scenario.is_plan(prompt):
        return json.dumps(scenario.PLAN)  # ask mode: the answer is just the text
    system = "\n".join(text_of(m) for m in messages if m.get("role") == "system")
    diff = "SEARCH/REPLACE" in system
    shown = {}  # files whose contents aider put in the chat, newest last
    for message in messages:
        if message.get("role") == "user":
            for name, content in re.findall(r"(?m)^(\S+)\n```[^\n]*\n(.*?)^```$", text_of(message), re.S):
                shown[name] = content
    turns = []
    done = 0
    while True:
        step = scenario.next_step(prompt, done)
        done += 1
        if step[0] == "read":
            if step[1] not in shown:
                turns.append("To change it I need to see %s." % step[1])
        elif step[0] == "write":
            path, content = step[1], step[2]
            if diff:
                edit = "%s\n```\n<<<<<<< SEARCH\n%s=======\n%s>>>>>>> REPLACE\n```\n" % (path, shown.get(path, ""), content)
            else:
                edit = "%s\n```\n%s```\n" % (path, content)
            turns.append("Here is the fixed %s.\n\n%s" % (path, edit))
        elif step[0] == "bash":
            pass  # see above: aider runs the tests itself (--test-cmd), never a command from a reply
        else:
            turns.append(step[1])
            break
    # Turns taken: replies of ours after the prompt, known by their first lines (aider puts its own "Ok." messages
    # in between, and in a diff edit the rest of the text depends on the file as it was then).
    ours = {turn.split("\n", 1)[0] for turn in turns}
    taken = sum(1 for m in messages[after + 1:] if m.get("role") == "assistant" and text_of(m).split("\n", 1)[0] in ours)
    return turns[min(taken, len(turns) - 1)]
