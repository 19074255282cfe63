"""Reads `chorus generate --json` from stdin and prints the session's own figures as one JSON line: tokens per second
after the prefill (completion ÷ (total − prefill), the counterpart of llama-server's predicted_per_second; it also
counts the session's set-up and admission), and tokens ÷ the whole session (counterpart of the request's wall time).
Events are not timed on arrival: the stream delivers them in bunches."""
import json
import sys

final = None
for line in sys.stdin:
    event = json.loads(line)
    if event["event"] == "finished":
        final = event
if final is None:
    sys.exit("no finished event in chorus generate's output")
tokens = final["completionTokens"]
print(json.dumps({"tokens": tokens, "avg_ts": final["tokensPerSecond"], "prefill_ms": final["prefillMs"],
                  "wall_ts": tokens / (final["totalMs"] / 1000), "step_ms": final["meanStepMs"],
                  "decode_ms": final["split"]["decodeMs"]}))
