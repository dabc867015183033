"""What loading the plugin costs OctoPrint: start-up time and idle resident memory.

Starts the same OctoPrint (the one in this interpreter's environment) alternately with the plugin
enabled and disabled, ``--rounds`` times each, and prints medians and differences.

    python bench/startup.py --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.octoprint_server import OctoPrintServer  # noqa: E402


def measure(enabled: bool, idle_s: float) -> tuple[float, float]:
    server = OctoPrintServer.create(Path(tempfile.mkdtemp(prefix="aiagent-bench-")))
    if not enabled:
        server.update_config({"plugins": {"_disabled": ["announcements", "tracking", "errortracking", "aiagent"]}})
    started = time.perf_counter()
    server.start()
    startup = time.perf_counter() - started
    try:
        # The plugin's services start in on_after_startup; let it settle like an idle install.
        time.sleep(idle_s)
        rss = sum(p.memory_info().rss for p in [psutil.Process(server.process.pid)] + psutil.Process(server.process.pid).children(recursive=True))
        loaded = server.get("/plugin/aiagent/status").status == 200
        assert loaded == enabled, f"plugin enabled={enabled} but status route answered {loaded}"
    finally:
        server.stop()
    return startup, rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle before reading memory")
    args = parser.parse_args()
    results = {True: [], False: []}
    for _ in range(args.rounds):
        for enabled in (False, True):
            results[enabled].append(measure(enabled, args.idle))
    from octoprint import __version__

    print(f"OctoPrint {__version__}, {args.rounds} rounds, alternating, idle {args.idle:g} s before the memory reading")
    print(f"{'':22}{'start-up s (median)':>22}{'idle RSS MB (median)':>24}")
    med = {}
    for enabled in (False, True):
        startup = statistics.median(s for s, _ in results[enabled])
        rss = statistics.median(r for _, r in results[enabled])
        med[enabled] = (startup, rss)
        print(f"{'plugin enabled' if enabled else 'plugin disabled':22}{startup:22.2f}{rss:24.1f}")
    print(f"{'difference':22}{med[True][0] - med[False][0]:+22.2f}{med[True][1] - med[False][1]:+24.1f}")
    print(f"{'ratio':22}{med[True][0] / med[False][0]:22.3f}{med[True][1] / med[False][1]:24.3f}")


if __name__ == "__main__":
    main()
