"""Run the real llama.cpp ``llama-server`` built by scripts/build_llama_server.sh, with a model
from scripts/fetch_test_models.sh, on a free loopback port (tests and bench/llm_accuracy.py)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

CACHE = Path(os.environ.get("AIAGENT_CACHE", Path.home() / ".cache" / "octoprint-aiagent"))
BINARY = CACHE / "bin" / "llama-server"
TINY_MODEL = CACHE / "models" / "tiny-llama.gguf"
SMOL_MODEL = CACHE / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def missing(model: Path) -> Optional[str]:
    """Why the server cannot run here, or None."""
    if not BINARY.exists():
        return f"{BINARY} is not built (run scripts/build_llama_server.sh; CI does)"
    if not model.exists():
        return f"{model} is not there (run scripts/fetch_test_models.sh; CI does)"
    return None


class LlamaServer:
    # One thread by default: ggml's worker threads spin while they wait for each other, so on a
    # shared 2-core machine two threads ran several times slower than one (measured).
    def __init__(self, model: Path, alias: str, ctx_size: int = 4096, threads: int = 1):
        from .fake_llm_server import free_port

        self.port = free_port()
        self.alias = alias
        self.log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
        self.args = [str(BINARY), "-m", str(model), "--host", "127.0.0.1", "--port", str(self.port),
                     "-c", str(ctx_size), "-t", str(threads), "-np", "1", "--alias", alias]
        self.proc: Optional[subprocess.Popen] = None
        self.health_statuses: list = []  # what /health answered while we waited, in order

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> LlamaServer:
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama-server exited with {self.proc.returncode}:\n{self.log_tail()}")
            status = self._health()
            if status is not None and (not self.health_statuses or self.health_statuses[-1] != status):
                self.health_statuses.append(status)
            if status == 200:
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"llama-server was not healthy after {timeout_s:g} s:\n{self.log_tail()}")

    def _health(self) -> Optional[int]:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=2) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code  # 503 while the model loads
        except (urllib.error.URLError, ConnectionError, OSError):
            return None  # not listening yet

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        os.unlink(self.log.name)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
