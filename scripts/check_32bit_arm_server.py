"""Run by check_32bit_arm.sh inside the armhf chroot: a real OctoPrint with the plugin on a 32-bit
Python. Prints what /status says about designing, the answer to a new job and to the job list."""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import yaml  # OctoPrint's dependency

BASEDIR = "/root/octoprint"
KEY = "ARMHF0CHECK0KEY0000000000000000"
octoprint = [sys.executable, "-m", "octoprint", "--basedir", BASEDIR]

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
# A new basedir each time: after a start that did not finish, OctoPrint starts in safe mode,
# without third-party plugins.
shutil.rmtree(BASEDIR, ignore_errors=True)
os.makedirs(BASEDIR)
with open(f"{BASEDIR}/config.yaml", "w") as f:
    f.write(
        f"server: {{host: 127.0.0.1, port: {port}, firstRun: false, onlineCheck: {{enabled: false}}, pythonEolCheck: {{enabled: false}}}}\n"
        "plugins: {_disabled: [announcements, tracking, errortracking]}\n"
    )
subprocess.run([*octoprint, "user", "add", "--password", KEY, "--admin", "admin"], check=True, capture_output=True)
with open(f"{BASEDIR}/users.yaml") as f:
    users = yaml.safe_load(f)
users["admin"]["apikey"] = KEY
with open(f"{BASEDIR}/users.yaml", "w") as f:
    yaml.safe_dump(users, f)


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers={"X-Api-Key": KEY, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


server = subprocess.Popen([*octoprint, "serve", "--host", "127.0.0.1", "--port", str(port), "--iknowwhatimdoing"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    started = time.monotonic()
    while True:
        if server.poll() is not None or time.monotonic() - started > 300:
            sys.exit(f"OctoPrint did not start: see {BASEDIR}/logs/octoprint.log")
        try:
            version = call("GET", "/api/version")[1]["server"]
            break
        except (OSError, http.client.HTTPException, ValueError):  # not listening, or not answering yet
            time.sleep(2)
    print(f"OctoPrint {version} answered after {time.monotonic() - started:.0f} s")
    status = call("GET", "/plugin/aiagent/status")
    print("GET status:", status[0], json.dumps(status[1]["design_unavailable"], indent=1) if status[0] == 200 else status[1])
    print("POST jobs:", *call("POST", "/plugin/aiagent/jobs", {"prompt": "a 20 mm cube"}))
    print("GET jobs:", *call("GET", "/plugin/aiagent/jobs"))
finally:
    server.terminate()
    server.wait(60)
