"""Prism for the conformance test: installed once from npm, and started early since it loads slowly."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

PRISM_CLI = "5.14.2"
OCTOKIT_OPENAPI = "23.0.2"
# prism-cli 5.14.2 takes its prism-* siblings by caret range, and their 5.15+ releases need
# Node 24; pinning them keeps the install working on the Node 20 our machines have.
PACKAGE_JSON = {
    "name": "evolve-bot-conformance",
    "private": True,
    "dependencies": {"@stoplight/prism-cli": PRISM_CLI, "@octokit/openapi": OCTOKIT_OPENAPI},
    "overrides": {
        "@stoplight/prism-core": "5.8.0",
        "@stoplight/prism-http": "5.12.0",
        "@stoplight/prism-http-server": "5.12.2",
    },
}
CACHE_ROOT = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "evolve-bot" / "npm"
INSTALL_DIR = CACHE_ROOT / f"prism-cli-{PRISM_CLI}_octokit-openapi-{OCTOKIT_OPENAPI}"
SPEC = INSTALL_DIR / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
PRISM_BIN = INSTALL_DIR / "node_modules" / ".bin" / "prism"
PRISM_STARTUP = 120.0

NO_NODE = (
    "The conformance test needs Node.js and npm to run Prism (@stoplight/prism-cli {cli}); "
    "`{missing}` is not on PATH. Install Node.js >= 18 (e.g. `apt-get install nodejs npm`), or set "
    "EVOLVE_SKIP_PRISM=1 to skip this test explicitly."
)
INSTALL_FAILED = (
    "Installing Prism for the conformance test failed (`npm install` in {dir}, exit {code}). "
    "It needs the npm registry once; later runs reuse the cache. npm said:\n{output}"
)
PRISM_DID_NOT_START = "Prism did not start within {seconds:.0f} s; its output:\n{output}"


@dataclass(frozen=True)
class PrismInstall:
    prism: Path
    spec: Path


def install_prism() -> PrismInstall:
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(NO_NODE.format(cli=PRISM_CLI, missing=tool), pytrace=False)
    marker = INSTALL_DIR / ".evolve-installed"
    wanted = json.dumps(PACKAGE_JSON, sort_keys=True)
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    # Another pytest process (another engineer, CI) may be installing the same versions now.
    with open(CACHE_ROOT / f"{INSTALL_DIR.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (
            marker.exists()
            and marker.read_text() == wanted
            and PRISM_BIN.exists()
            and SPEC.exists()
        ):
            staging = INSTALL_DIR.with_name(f"{INSTALL_DIR.name}.tmp{os.getpid()}")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            (staging / "package.json").write_text(json.dumps(PACKAGE_JSON, indent=2))
            result = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=staging,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if result.returncode != 0:
                shutil.rmtree(staging, ignore_errors=True)
                output = (result.stdout + result.stderr).strip()[-3000:]
                pytest.fail(
                    INSTALL_FAILED.format(dir=INSTALL_DIR, code=result.returncode, output=output),
                    pytrace=False,
                )
            (staging / marker.name).write_text(wanted)
            shutil.rmtree(INSTALL_DIR, ignore_errors=True)
            staging.rename(INSTALL_DIR)
    return PrismInstall(prism=PRISM_BIN, spec=SPEC)


# "Prism is listening on http://127.0.0.1:40123": started with --port 0, it names the port it took.
LISTENING = re.compile(r"Prism is listening on (?P<url>http://\S+)")
PRISM_SKIPPED = "EVOLVE_SKIP_PRISM=1: the Prism conformance test was skipped on request"
# Started early, a Prism for the test to take (tests/conftest.py starts it after collection).
_STARTED_EARLY: list[PrismProxy] = []


class PrismProxy:
    """`prism proxy --errors` in front of a loopback socket reserved now for the sandbox.

    Installing (once) and starting Prism happen in a thread: loading GitHub's description takes
    Prism 20 s and more, so the session starts one as soon as collection shows this test will
    run, and the rest of the suite goes on meanwhile. The sandbox serves on `upstream` once the
    test gets there; until then Prism has nothing to forward to and nobody asks it anything.
    """

    def __init__(self) -> None:
        self.upstream = socket.socket()
        self.upstream.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.upstream.bind(("127.0.0.1", 0))
        self.output: list[str] = []
        self.url: str | None = None
        self.failure: BaseException | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stopped = False
        self._lock = threading.Lock()
        self._settled = threading.Event()  # listening, failed, or exited
        threading.Thread(target=self._run, name="prism", daemon=True).start()

    def _run(self) -> None:
        upstream = f"http://127.0.0.1:{self.upstream.getsockname()[1]}"
        try:
            install = install_prism()
            with self._lock:
                if self._stopped:
                    return
                self._process = subprocess.Popen(
                    [
                        str(install.prism),
                        "proxy",
                        str(install.spec),
                        upstream,
                        "--errors",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        "0",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
        except BaseException as exc:  # noqa: BLE001 - pytest.fail from the install, or no prism: the test reports it
            self.failure = exc
            return
        finally:
            if self._process is None:
                self._settled.set()
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            line = raw.decode(errors="replace")
            self.output.append(line)
            if self.url is None and (found := LISTENING.search(line)):
                self.url = found["url"]
                self._settled.set()
        self._settled.set()

    async def listening(self) -> str:
        """Prism's base URL once it listens; the test fails with its output if it does not."""
        deadline = time.monotonic() + PRISM_STARTUP
        while not self._settled.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.failure is not None:
            raise self.failure
        if self.url is None:
            pytest.fail(
                PRISM_DID_NOT_START.format(
                    seconds=PRISM_STARTUP, output="".join(self.output)[-3000:]
                )
            )
        return self.url

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.upstream.close()


def start_prism_early() -> None:
    """Start the test's Prism now, unless the test is to be skipped."""
    if os.environ.get("EVOLVE_SKIP_PRISM") != "1" and not _STARTED_EARLY:
        _STARTED_EARLY.append(PrismProxy())


def take_prism() -> PrismProxy:
    """The Prism started early, or one started now."""
    return _STARTED_EARLY.pop() if _STARTED_EARLY else PrismProxy()


def stop_prism_started_early() -> None:
    """A Prism started early that no test took (the run stopped before it) is stopped here."""
    while _STARTED_EARLY:
        _STARTED_EARLY.pop().stop()
