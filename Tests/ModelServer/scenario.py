"""What the scripted model does, whatever API it is reached through.

It behaves like a model that reads what it is sent. The project is `calc.sh` (prints A + B, but subtracts) and
`test.sh` (fails with "FAIL: 2 + 3 gave ..."). Asked to plan, it answers with a plan of one work item. Asked to
execute, it reads calc.sh, writes a fix, runs the test and says it is done. The fix is wrong (multiplies) unless the
prompt carries the failure of an earlier iteration ("... expected 5"), in which case it is right. Markers in the task
title change the story: "hang" makes the test command hang; "deny" asks to run `git commit` (which the agent must be
refused).
"""

PLAN = {
    "summary": "Fix the addition in calc.sh",
    "work_items": [
        {"id": "fix-add", "title": "Make calc.sh add", "description": "calc.sh must print A + B."},
    ],
}

WRONG = '#!/bin/sh\n# prints A + B\necho $(($1 * $2))\n'
RIGHT = '#!/bin/sh\n# prints A + B\necho $(($1 + $2))\n'
HANG_COMMAND = "sh -c 'sleep 86399'"


def is_plan(prompt):
    """git aee's plan prompt asks for a list of work items."""
    return "Plan this task as a short list of work items" in prompt


def saw_failure(prompt):
    return "expected 5" in prompt


def next_step(prompt, done):
    """The next step, given the first prompt and how many tool calls were already answered.

    Steps: ("plan", PLAN), ("read", path), ("write", path, content), ("bash", command), ("finish", text).
    """
    if is_plan(prompt):
        return ("plan", PLAN)
    steps = [("read", "calc.sh"), ("write", "calc.sh", RIGHT if saw_failure(prompt) else WRONG)]
    if "hang" in prompt.split("\n", 1)[0]:
        steps.append(("bash", HANG_COMMAND))
    elif "deny" in prompt.split("\n", 1)[0]:
        steps.append(("bash", "git commit -am sneaky"))
    steps.append(("bash", "sh test.sh"))
    if done < len(steps):
        return steps[done]
    return ("finish", "Done: calc.sh changed and test.sh run.")
