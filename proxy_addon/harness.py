"""Real processes for the proxy's tests and benchmark: a mitmdump and a fast canned upstream.

`running_mitmdump(...)` starts a real `mitmdump` on a free loopback port (port 0; the port
is read from mitmdump's own "listening at" line, so there is no race for a free port),
waits for it with a bounded loop and stops it by PID on exit. `running_upstream()` starts
`python -m proxy_addon.harness` as a loopback HTTP/1.1 server in its own process (so it does
not compete with the client for the GIL) that answers from precomputed bodies: the proxy,
not the upstream, must be the bottleneck in a benchmark. Conversation ids ask it for bad
traffic (see `BAD`).

No mitmproxy import here: only subprocesses.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from proxy_addon.launch import ADDON_PATH

_LISTENING = re.compile(rb"listening at \S*?:(\d+)")

BAD = {
    "conv_notjson": "a body that is not JSON",
    "conv_truncated": "JSON cut off halfway",
    "conv_wrongtype": "valid JSON sent as text/plain",
    "conv_badutf8": "bytes that are not UTF-8",
    "conv_big": "a 20 MB body",
    "conv_drop": "the connection closed with no response",
    "conv_gzip": "a valid list, gzip-compressed",
    "conv_sse": "a text/event-stream in three delayed chunks",
    "conv_sse_cut": "a text/event-stream whose connection drops after its first event",
    "conv_gzipgzip": "a valid list, gzip-compressed twice (content-encoding: gzip, gzip)",
    "conv_gziplines": "a valid list, gzip-compressed twice, one content-encoding line each",
    "conv_xgzip": "a valid list, gzip-compressed, named by its alias x-gzip",
    "conv_idgzip": "a valid list, gzip-compressed (content-encoding: identity, gzip)",
    "conv_trailing": "a valid list, then bytes after it that quote a key (FAKE_KEY)",
    "conv_bomb": "204 KB of gzip that decodes to 200 MB of zeros",
}

FAKE_KEY = "sk-proj-convitemsFAKEtrailing000000000000"

_CODED = {
    # id: (compressions, content-encoding header lines)
    "conv_gzipgzip": (2, "content-encoding: gzip, gzip\r\n"),
    "conv_gziplines": (2, "content-encoding: gzip\r\ncontent-encoding: gzip\r\n"),
    "conv_xgzip": (1, "content-encoding: x-gzip\r\n"),
    "conv_idgzip": (1, "content-encoding: identity, gzip\r\n"),
}


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text("utf-8", "replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        return self.popen.returncode


def _wait_for_port(
    popen: subprocess.Popen[bytes], log: Path, pattern: re.Pattern[bytes], timeout: float
) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = log.read_bytes() if log.exists() else b""
        m = pattern.search(data)
        if m is not None:
            return int(m.group(1))
        if popen.poll() is not None:
            break
        time.sleep(0.05)
    text = log.read_text("utf-8", "replace") if log.exists() else ""
    with contextlib.suppress(ProcessLookupError):
        popen.kill()
    popen.wait(5)
    raise RuntimeError(f"process {popen.args!r} did not start listening within {timeout}s:\n{text}")


def mitmdump_path() -> str:
    beside = Path(sys.executable).parent / "mitmdump"
    return str(beside) if beside.exists() else "mitmdump"


@contextlib.contextmanager
def _running(
    argv: list[str],
    log: Path,
    timeout: float,
    port_line: re.Pattern[bytes] = _LISTENING,
    cwd: Path | None = None,
    own_group: bool = False,
) -> Iterator[Process]:
    """A server process on the port its log names (`port_line`); stopped by PID on exit.
    `own_group`: in a process group of its own (its PID), which a test may signal whole, as
    `timeout`, systemd or a CI runner does, without signalling the test run."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            process_group=0 if own_group else None,
        )
    proc: Process | None = None
    try:
        proc = Process(popen, _wait_for_port(popen, log, port_line, timeout), log)
        yield proc
    finally:
        if proc is not None:
            proc.stop()
        elif popen.poll() is None:
            popen.kill()
            popen.wait(5)


def running_mitmdump(
    upstream: str | None,
    log_dir: Path,
    *,
    addon: bool = True,
    options: dict[str, str] | None = None,
    name: str = "mitmdump",
    timeout: float = 30.0,
    own_group: bool = False,
) -> contextlib.AbstractContextManager[Process]:
    """mitmdump in reverse mode to `upstream` (`None`: regular, forward mode), with (or
    without) the convitems addon; `own_group`: in a process group of its own."""
    mode = ["--mode", f"reverse:{upstream}"] if upstream is not None else []
    argv = [
        mitmdump_path(),
        *mode,
        "--listen-host",
        "127.0.0.1",
        "--listen-port",
        "0",
        "--set",
        "connection_strategy=lazy",
    ]
    if addon:
        argv += ["-s", str(ADDON_PATH)]
    for key, value in (options or {}).items():
        argv += ["--set", f"{key}={value}"]
    return _running(argv, log_dir / f"{name}.log", timeout, own_group=own_group)


def running_convitems_proxy(
    args: list[str], log_dir: Path, *, name: str = "convitems-proxy", timeout: float = 30.0
) -> contextlib.AbstractContextManager[Process]:
    """`convitems proxy ARGS` on a free loopback port, as a user runs it (the CLI execs
    mitmdump: the same PID)."""
    argv = [sys.executable, "-m", "pytest_convitems", "proxy", "--listen", "127.0.0.1:0", *args]
    return _running(argv, log_dir / f"{name}.log", timeout)


def running_upstream(
    log_dir: Path, timeout: float = 20.0
) -> contextlib.AbstractContextManager[Process]:
    """The canned upstream (`serve_canned`) in its own process on a free loopback port."""
    return _running(
        [sys.executable, "-m", "proxy_addon.harness"],
        log_dir / "upstream.log",
        timeout,
        re.compile(rb"upstream port (\d+)"),
        cwd=Path(__file__).resolve().parent.parent,
    )


# --- the canned upstream ---------------------------------------------------------------


def item(i: int) -> dict[str, object]:
    return {
        "type": "message",
        "id": f"msg_{i:06d}",
        "status": "completed",
        "role": "user" if i % 2 else "assistant",
        "content": [
            {
                "type": "input_text" if i % 2 else "output_text",
                **({"text": f"message {i}: " + "lorem ipsum dolor sit amet " * 4}),
                **({} if i % 2 else {"annotations": [], "logprobs": []}),
            }
        ],
    }


def list_body(n: int, conversation: str = "conv_bench") -> bytes:
    items = [item(i) for i in range(n)]
    return json.dumps(
        {
            "object": "list",
            "data": items,
            "first_id": items[0]["id"] if items else None,
            "last_id": items[-1]["id"] if items else None,
            "has_more": False,
        }
    ).encode()


def _response(
    status: int, body: bytes, content_type: str = "application/json", extra: str = ""
) -> bytes:
    head = (
        f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
        f"content-type: {content_type}\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


def _bomb(megabytes: int) -> bytes:
    """gzip of `megabytes` MB of zeros, made a megabyte at a time (never held whole)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(megabytes)) + packer.flush()


class _Canned:
    def __init__(self) -> None:
        self.bodies = {n: list_body(n) for n in (1, 20, 100)}
        self.big = b'{"object": "list", "data": [], "pad": "' + b"x" * (20 * 1024 * 1024) + b'"}'
        self.bomb: bytes | None = None  # made on first use: the benchmark never asks

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (h.partition(":") for h in lines[1:] if h)
                }
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                if not await self.answer(method, target, writer):
                    break
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def answer(self, method: str, target: str, writer: asyncio.StreamWriter) -> bool:
        url = urlsplit(target)
        m = re.search(r"/conversations/([^/]+)", url.path)
        conv = m.group(1) if m else ""
        query = parse_qs(url.query)
        if conv == "conv_drop":
            return False
        if conv == "conv_notjson":
            writer.write(_response(200, b"<html>upstream error page</html>"))
        elif conv == "conv_truncated":
            writer.write(_response(200, self.bodies[20][:100]))
        elif conv == "conv_wrongtype":
            writer.write(_response(200, self.bodies[1], "text/plain"))
        elif conv == "conv_badutf8":
            writer.write(_response(200, b'{"object": "list", "data": ["\xff\xfe"]}'))
        elif conv == "conv_big":
            writer.write(_response(200, self.big))
        elif conv == "conv_gzip":
            writer.write(
                _response(200, gzip.compress(self.bodies[20]), extra="content-encoding: gzip\r\n")
            )
        elif conv in _CODED:
            times, lines = _CODED[conv]
            body = self.bodies[20]
            for _ in range(times):
                body = gzip.compress(body)
            writer.write(_response(200, body, extra=lines))
        elif conv == "conv_bomb":
            if self.bomb is None:
                self.bomb = _bomb(200)
            writer.write(_response(200, self.bomb, extra="content-encoding: gzip\r\n"))
        elif conv == "conv_slow":  # an answer still on its way when the proxy is stopped
            await asyncio.sleep(1.0)
            writer.write(_response(200, self.bodies[1]))
        elif conv == "conv_trailing":
            writer.write(_response(200, self.bodies[1]) + f"key={FAKE_KEY}".encode())
        elif conv == "conv_sse_cut":
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
            )
            event = b'data: {"n": 0}\n\n'
            writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            await writer.drain()
            await asyncio.sleep(0.2)
            return False  # closed mid-body: no last chunk
        elif conv == "conv_sse":
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
            )
            for i in range(3):
                event = f'data: {{"n": {i}}}\n\n'.encode()
                writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                await writer.drain()
                await asyncio.sleep(0.3)
            writer.write(b"0\r\n\r\n")
        else:
            n = int(query.get("limit", ["20"])[0])
            body = self.bodies.get(n) or list_body(n)
            writer.write(_response(200, body))
        return True


async def _serve() -> None:
    canned = _Canned()
    server = await asyncio.start_server(canned.handle, "127.0.0.1", 0, backlog=512)
    port = server.sockets[0].getsockname()[1]
    print(f"upstream port {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve())
