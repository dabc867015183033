"""Does the plugin's work make the printer stutter? One long print, idle vs while jobs run.

    python bench/printer_stutter.py [--moves 20000] [--rounds 2] [--speed-factor 100]

Starts one OctoPrint (this interpreter's, with the plugin) and the Virtual Printer, uploads a
generated G-code file of many short moves (no heating), and prints it alternately on an idle
server and while the plugin designs and slices parts in a loop through its REST API (a mix of
prompts, the slicer setting switched between "builtin" and "prusaslicer" every few jobs, two jobs
always outstanding so the worker never waits). The print duration is OctoPrint's own, from PrintStarted
to PrintDone (the ``printTime`` of the file's print history). Prints medians and the ratio
loaded / idle (target <= 1.05). Beside each print: the CPU time OctoPrint's own process spent
(psutil, all its threads; its children, the design worker and the slicers, are not counted), which
says how much of the plugin's work still runs where the printer is fed, and the machine's load
average, which says how much the neighbours took.

How the Virtual Printer keeps time (octoprint/plugins/virtual_printer/virtual.py): a move goes
into a 4-move command buffer and is acknowledged at once; a buffer thread then sleeps for a tenth
of the move's duration at the current feed rate, scaled by ``M220 S<percent>``. So, like a real
printer, it runs dry only when OctoPrint sends lines slower than the buffered moves last: then the
print gets longer. (``plugins.virtual_printer.throttle`` is not read by OctoPrint 1.11.)
The Virtual Printer runs inside OctoPrint's process, so work that the plugin does there while
holding the GIL slows both OctoPrint's sending and the simulated firmware, whereas busy processes
elsewhere on the machine (slicers) compete only for CPU: the ratio is a conservative bound.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.octoprint_server import OctoPrintServer  # noqa: E402

GCODE_NAME = "aiagent-stutter-bench.gcode"
PROMPTS = (
    "a 20mm calibration cube",
    "a cylinder 30 mm in diameter and 10 mm tall",
    "a 12 tooth gear, 30mm outer diameter, 5mm thick",
    "a washer 24mm outer diameter, 10 mm hole, 2mm thick",
    "a sphere with a radius of 15mm",
    "a square plate 80mm wide 4mm thick with four 3mm mounting holes",
)
SLICERS = ("builtin", "prusaslicer")
JOBS_PER_SLICER = 4
TARGET_RATIO = 1.05


def make_gcode(moves: int, step_mm: float, feed_mm_min: float, row_mm: float = 100.0) -> str:
    """``moves`` extruding moves of ``step_mm`` each, in rows ``row_mm`` long at z 0.3.

    Every row runs towards +X, with a travel back between rows: the Virtual Printer times a move by
    its signed distance, so a move towards -X or -Y would take no time at all."""
    per_row = max(1, int(row_mm / step_mm))
    lines = ["; aiagent printer_stutter benchmark: short moves, no heating",
             "G21", "G90", "M82", "G28", "G92 E0", "G1 Z0.3 F600", f"G1 X20 Y20 F{feed_mm_min:g}"]
    x, y, e = 20.0, 20.0, 0.0
    for i in range(moves):
        if i and i % per_row == 0:
            x, y = 20.0, y + step_mm
            lines.append(f"G0 X{x:.3f} Y{y:.3f}")
        x += step_mm
        e += step_mm * 0.033  # mm of 1.75 mm filament for a 0.4 x 0.2 mm line
        lines.append(f"G1 X{x:.3f} E{e:.5f}")
    lines += ["G1 Z10 F600", "M84", ""]
    return "\n".join(lines)


def upload(server: OctoPrintServer, name: str, text: str) -> None:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + text.encode() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(server.url + "/api/files/local", data=body, method="POST", headers={
        "X-Api-Key": server.api_keys["admin"], "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=120) as r:
        if r.status != 201:
            raise RuntimeError(f"upload answered {r.status}: {r.read()[:500]!r}")


def print_once(server: OctoPrintServer, name: str, speed_factor: int, timeout_s: float) -> tuple[float, float, float]:
    """Prints ``name`` to the end; returns (OctoPrint's print time, wall time seen by polling, CPU
    seconds of OctoPrint's process meanwhile)."""
    octoprint = psutil.Process(server.process.pid)
    cpu = lambda: sum(octoprint.cpu_times()[:2])  # noqa: E731  (user + system, all threads)
    flags = lambda: server.printer_state().get("flags", {})  # noqa: E731
    r = server.post("/api/printer/command", {"commands": [f"M220 S{speed_factor}"]})
    assert r.status == 204, (r.status, r.body)
    before = server.get(f"/api/files/local/{name}").json().get("prints", {}).get("success", 0)
    started, cpu_started = time.monotonic(), cpu()
    r = server.post(f"/api/files/local/{name}", {"command": "select", "print": True})
    assert r.status == 204, (r.status, r.body)
    server.wait_for(lambda: flags().get("printing") or not flags().get("ready"), 30, "print to start")
    server.wait_for(lambda: not flags().get("printing") and flags().get("operational"), timeout_s, "print to finish", interval=0.5)
    wall, cpu_s = time.monotonic() - started, cpu() - cpu_started

    def recorded():
        prints = server.get(f"/api/files/local/{name}").json().get("prints", {})
        return prints if prints.get("success", 0) > before else None

    prints = server.wait_for(recorded, 30, "the print in the file's history")
    return float(prints["last"]["printTime"]), wall, cpu_s


class JobLoad:
    """Keeps the plugin busy: two jobs outstanding at all times until stopped."""

    def __init__(self, server: OctoPrintServer, outstanding: int = 2):
        self.server, self.outstanding = server, outstanding
        self.finished = {"ready": 0, "failed": 0, "cancelled": 0}
        self.by_slicer = {s: 0 for s in SLICERS}
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-load", daemon=True)
        self._n = 0

    def __enter__(self) -> JobLoad:
        self._thread.start()
        # The print starts a second after the first jobs went in: the load is running, not pending.
        self.server.wait_for(lambda: self._n >= self.outstanding, 30, "jobs to be submitted")
        time.sleep(1.0)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(600)

    def _submit(self) -> str:
        # The slicer is a plugin setting, read when a job starts slicing. It changes every few jobs,
        # as a user might change it, not before every job: saving settings is work of its own.
        if self._n % JOBS_PER_SLICER == 0:
            self.server.set_plugin_settings(slicer=SLICERS[self._n // JOBS_PER_SLICER % len(SLICERS)])
        r = self.server.post("/plugin/aiagent/jobs", {"prompt": PROMPTS[self._n % len(PROMPTS)]})
        if r.status != 202:
            raise RuntimeError(f"POST /jobs answered {r.status}: {r.body[:300]!r}")
        self._n += 1
        return r.json()["id"]

    def _run(self) -> None:
        pending = []
        try:
            while not self._stop.is_set() or pending:
                while not self._stop.is_set() and len(pending) < self.outstanding:
                    pending.append(self._submit())
                time.sleep(0.5)  # a browser tab polling its jobs
                for job_id in list(pending):
                    job = self.server.get(f"/plugin/aiagent/jobs/{job_id}").json()
                    if job["state"] in self.finished:
                        pending.remove(job_id)
                        self.finished[job["state"]] += 1
                        if job["state"] != "ready":
                            self.errors.append(job.get("error"))
                        elif job["outputs"].get("slicer") in self.by_slicer:
                            self.by_slicer[job["outputs"]["slicer"]] += 1
        except Exception as exc:  # reported in the results rather than lost in a thread
            self.errors.append(repr(exc))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20000)
    parser.add_argument("--step", type=float, default=0.5, help="mm per move")
    parser.add_argument("--feed", type=float, default=1800, help="mm/min of the moves")
    parser.add_argument("--speed-factor", type=int, default=100, help="M220 S<percent> on the Virtual Printer")
    parser.add_argument("--rounds", type=int, default=2, help="idle and loaded prints each, alternating")
    args = parser.parse_args()
    print("$", shlex.join([sys.executable] + sys.argv))
    move_s = args.step / (args.feed * args.speed_factor / 100) * 60 * 0.1
    print(f"{args.moves} moves of {args.step} mm at F{args.feed:g}, M220 S{args.speed_factor}: "
          f"the Virtual Printer sleeps {move_s * 1000:.2f} ms per move, {args.moves * move_s:.1f} s in all")

    server = OctoPrintServer.create(Path(tempfile.mkdtemp(prefix="aiagent-bench-stutter-")))
    server.update_config({"plugins": {"virtual_printer": {"enabled": True, "waitInterval": 0.2}}})
    server.start()
    results = {"idle": [], "loaded": []}
    loads = []
    try:
        server.connect_virtual_printer()
        server.set_plugin_settings(max_jobs_per_minute=10000, max_queued_jobs=100, print_without_asking=False)
        upload(server, GCODE_NAME, make_gcode(args.moves, args.step, args.feed))
        server.wait_for(lambda: "gcodeAnalysis" in server.get(f"/api/files/local/{GCODE_NAME}").json(), 120, "OctoPrint's analysis of the file")
        timeout = max(600.0, args.moves * move_s * 5)
        for round_no in range(args.rounds):
            order = ("idle", "loaded") if round_no % 2 == 0 else ("loaded", "idle")
            for mode in order:
                if mode == "idle":
                    time.sleep(3)  # let the last job's file analysis and writes settle
                    results[mode].append(print_once(server, GCODE_NAME, args.speed_factor, timeout))
                else:
                    with JobLoad(server) as load:
                        results[mode].append(print_once(server, GCODE_NAME, args.speed_factor, timeout))
                    loads.append(load)
                print_s, wall, cpu_s = results[mode][-1]
                print(f"round {round_no + 1} {mode:<6} print time {print_s:7.2f} s (wall {wall:.2f} s), OctoPrint CPU {cpu_s:6.2f} s, "
                      f"load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)", flush=True)
    finally:
        server.stop()

    from octoprint import __version__

    jobs = {k: sum(load.finished[k] for load in loads) for k in ("ready", "failed", "cancelled")}
    slicers = {s: sum(load.by_slicer[s] for load in loads) for s in SLICERS}
    print(f"OctoPrint {__version__}; {args.rounds} idle and {args.rounds} loaded prints, alternating")
    loaded_s = sum(t for t, _, _ in results["loaded"])
    print(f"jobs during the loaded prints: {json.dumps(jobs)}, sliced by {json.dumps(slicers)}; "
          f"{sum(jobs.values()) / loaded_s * 60:.0f} jobs per minute of printing")
    for load in loads:
        for error in load.errors[:3]:
            print(f"  job error: {error}")
    idle = statistics.median(t for t, _, _ in results["idle"])
    loaded = statistics.median(t for t, _, _ in results["loaded"])
    cpu = {mode: statistics.median(c for _, _, c in results[mode]) for mode in results}
    print(f"{'':8}{'print time s (median)':>24}{'OctoPrint CPU s':>18}   print times per round")
    for mode, median in (("idle", idle), ("loaded", loaded)):
        print(f"{mode:<8}{median:>24.2f}{cpu[mode]:>18.2f}   {' '.join(f'{t:.2f}' for t, _, _ in results[mode])}")
    print(f"OctoPrint's CPU during a print, loaded / idle: {cpu['loaded'] / cpu['idle']:.3f}")
    ratio = loaded / idle
    print(f"ratio loaded / idle: {ratio:.3f} ({'meets' if ratio <= TARGET_RATIO else 'MISSES'} the <= {TARGET_RATIO} target)")
    return 0 if not any(load.errors for load in loads) else 1


if __name__ == "__main__":
    sys.exit(main())
