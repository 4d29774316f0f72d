"""Write slack_events.lua (in the working directory): a wrk script posting N distinct Slack
message events, each signed now with SECRET (valid for 5 minutes; N at most ~30,000).

    python bench/baselines/slack_events.py N SECRET [PATH]
"""

import hashlib
import hmac
import json
import sys
import time

n, secret, path = int(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "/webhook"
ts = str(int(time.time()))
out = ["local reqs = {}"]
for i in range(n):
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{i % 500:08d}",
        "user": f"U{i % 500:08d}",
        "text": f"hello {i}",
        "ts": f"{ts}.{i:06d}",
    }
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": f"Ev{ts}{i:06d}",
            "event_time": int(ts),
            "event": event,
        }
    )
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    out.append(f'reqs[{i + 1}] = {{body = {json.dumps(body)}, sig = "{sig}"}}')
headers = (
    f'{{["Content-Type"] = "application/json", ["X-Slack-Request-Timestamp"] = "{ts}", ["X-Slack-Signature"] = r.sig}}'
)
out.append(f"""local i = 0
request = function()
  i = i % {n} + 1
  local r = reqs[i]
  return wrk.format("POST", "{path}", {headers}, r.body)
end""")
with open("slack_events.lua", "w") as f:
    f.write("\n".join(out))
