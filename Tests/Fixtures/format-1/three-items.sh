#!/bin/sh
# The fixture's agent: a plan of three work items, each writing a file; in item b it waits for the file
# $FIXTURE_MARKS/go when $FIXTURE_MARKS is set (the generator kills the run there).
if [ "$AEE_STAGE" = plan ]; then
  echo '{"work_items": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}, {"id": "c", "title": "C"}]}' > "$AEE_OUTPUT_FILE"
  exit 0
fi
item=$(tr -d ' \n' < "$AEE_WORK_ITEM_FILE" | sed 's/.*"id":"\([a-z]*\)".*/\1/')
if [ "$item" = b ] && [ -n "$FIXTURE_MARKS" ]; then
  touch "$FIXTURE_MARKS/in-b"
  while [ ! -e "$FIXTURE_MARKS/go" ]; do sleep 0.1; done
fi
echo "$item done" > "$item.txt"
