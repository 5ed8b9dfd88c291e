"""Running the app under uvicorn in a background thread, and stopping it cleanly.

The listening socket is bound before the thread starts, so a port in use fails in the caller,
port 0 gives a free port whose number is known at once, and a client that connects before the
server's loop is running simply waits in the backlog.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from syndicate.web.limits import Limits, limited_protocol, parser_class


class BackgroundServer:
    """uvicorn serving `app` on host:port from a daemon thread.

    uvicorn installs no signal handlers outside the main thread, so the caller keeps its own.
    `log_config=None` leaves logging as the caller configured it (uvicorn's loggers are
    `uvicorn.error` and `uvicorn.access`).
    """

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_log: bool = True,
        graceful_seconds: int = 5,
        limits: Limits | None = None,
        parser: str = "auto",
    ) -> None:
        """`limits` bound connections, time and request heads (web/limits.py); `parser` is
        uvicorn's HTTP parser: "auto" (httptools when installed), "h11" or "httptools"."""
        limits = limits or Limits()
        self._socket = _listen(host, port)
        bound = self._socket.getsockname()
        self.host, self.port = str(bound[0]), int(bound[1])
        self.protocol = limited_protocol(parser_class(parser), limits)
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=access_log,
            lifespan="off",  # the app has no startup work; the daemon owns its resources
            timeout_graceful_shutdown=graceful_seconds,
            http=self.protocol,
            timeout_keep_alive=limits.keep_alive,
            # h11 holds at most this much of a head; ours refuses (431) at max_header_bytes.
            h11_max_incomplete_event_size=limits.max_header_bytes + 256 * 1024,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; returns once uvicorn has started, raises if it could not."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._socket.close()
                raise RuntimeError(f"the web server did not start on {self.url}")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to finish (open requests get `graceful_seconds`) and wait for it."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart over TIME_WAIT
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock
