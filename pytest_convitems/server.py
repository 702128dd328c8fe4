"""The embedded Conversations items API behind `convitems serve` (starlette + uvicorn).

Stateful and in memory, on loopback: conversations (create, retrieve, update metadata,
delete) and the four item endpoints, with the API's errors (`server_app`), answering as
the `current` or the `seed` release (`server_profiles`, `docs/profiles.md`).

    with running_server(profile="current") as srv:
        client = openai.OpenAI(base_url=srv.api_base, api_key="sk-fake")
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Final, TextIO

import uvicorn

from .errors import InputError
from .server_app import MAX_BODY_BYTES, build_app
from .server_profiles import (
    PROFILES,
    SEED_PROFILE_DIFFERENCES,
    ProfileDifference,
    ProfileName,
)

__all__ = [
    "MAX_BODY_BYTES",
    "PROFILES",
    "SEED_PROFILE_DIFFERENCES",
    "ProfileDifference",
    "RunningServer",
    "build_app",
    "running_server",
    "serve_forever",
    "start_server",
]


class _Server(uvicorn.Server):
    """uvicorn, but SIGINT/SIGTERM end `run()` normally instead of being re-raised, and
    `wake()` ends the main loop at once rather than at its next 0.1 s tick (many tests
    start and stop a server)."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wakeup: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wakeup = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    def wake(self) -> None:
        loop, wakeup = self._loop, self._wakeup
        if loop is not None and wakeup is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(wakeup.set)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(signum: int, frame: FrameType | None) -> None:
            if self.should_exit:
                self.force_exit = True
            self.should_exit = True

        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, stop) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _config(profile: ProfileName, *, log_level: str = "warning") -> uvicorn.Config:
    return uvicorn.Config(
        build_app(profile),
        http="h11",
        ws="none",
        lifespan="off",
        loop="asyncio",
        log_config=None,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=2,
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP, and without it every keep-alive response waits ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except socket.gaierror as exc:  # an OSError too, but the host is what is wrong
        sock.close()
        raise InputError(
            f"cannot listen on {host}:{port}: no such host ({exc.strerror or exc}); "
            "pass an address of this machine, such as 127.0.0.1 or ::1, as --host."
        ) from None
    except OSError as exc:
        sock.close()
        raise InputError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "pick another --port, or --port 0 for a free one."
        ) from None
    except OverflowError:
        sock.close()
        raise InputError(f"--port {port} is not a port: use 0-65535 (0: a free one).") from None
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class RunningServer:
    """A server running in a background thread of this process."""

    profile: ProfileName
    host: str
    port: int
    _server: _Server
    _thread: threading.Thread

    @property
    def base_url(self) -> str:
        return _url(self.host, self.port)

    @property
    def api_base(self) -> str:
        return self.base_url + "/v1"

    def stop(self) -> None:
        self._server.should_exit = True
        self._server.force_exit = True
        self._server.wake()
        self._thread.join(timeout=10)


_STARTUP_TIMEOUT: Final = 10.0


def start_server(
    profile: ProfileName = "current", host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    """Start a server in a daemon thread and return once it accepts connections."""
    sock = _bind(host, port)
    bound_port = int(sock.getsockname()[1])
    server = _Server(_config(profile))
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name=f"convitems-serve-{bound_port}",
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=2)
            sock.close()
            raise RuntimeError(f"the embedded server on port {bound_port} did not start")
        time.sleep(0.002)
    return RunningServer(profile, host, bound_port, server, thread)


@contextlib.contextmanager
def running_server(
    profile: ProfileName = "current", host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningServer]:
    """The embedded API on `host:port` (0: a free port) for the `with` block."""
    srv = start_server(profile, host, port)
    try:
        yield srv
    finally:
        srv.stop()


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 0,
    profile: ProfileName = "current",
    *,
    out: TextIO | None = None,
) -> int:
    """Serve in this thread until SIGINT/SIGTERM; prints the URL first. Returns 0."""
    stream = out if out is not None else sys.stdout
    if profile not in PROFILES:
        raise InputError(f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}")
    sock = _bind(host, port)
    url = _url(host, int(sock.getsockname()[1]))
    print(
        f"convitems serve: listening on {url} (profile {profile}); use base_url {url}/v1",
        file=stream,
        flush=True,
    )
    _Server(_config(profile)).run(sockets=[sock])
    print("convitems serve: stopped", file=stream, flush=True)
    return 0
