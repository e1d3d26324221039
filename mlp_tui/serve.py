"""The class server behind ``mlp-tui serve``: textual-serve, made safe to leave running.

textual-serve starts one app process per browser websocket. As shipped, a session outlived its
server: stopping the server waited for ever on a session that no longer read its stdin, and
the session trained on, alone, at full CPU, deaf to SIGTERM (its event loop stuck writing to a
pipe nobody read). Here each session runs in its own process group, which is killed whatever
state it is in once it has had STOP_GRACE seconds to quit; the session's own driver
(mlp_tui.served_driver) also quits when its stdin closes, so even a killed server leaves no
session behind. On top: a cap on sessions, an idle timeout, and the reason a session ended
shown on the page.
"""
from __future__ import annotations

import asyncio
import html
import os
import shlex
import signal
import sys

import aiohttp_jinja2
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

# Seconds a session is given to quit by itself before its process group is killed.
STOP_GRACE = 2.0
DRIVER = "mlp_tui.served_driver:ServedDriver"

CLASS_FULL = "The class is full: every seat is taken. Try again in a while."
IDLE = "This dashboard was stopped after {duration} without a key or a click. Restart for a new one."
SERVER_STOPPED = "The server stopped."
APP_ENDED = "The dashboard ended."

# textual.js shows a fixed "Session ended." when its websocket closes; show the server's reason.
CLOSE_REASON_SCRIPT = """<script>
(() => {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("close", (event) => {
        const message = document.querySelector(".closed-dialog .message");
        if (event.reason && message) message.textContent = event.reason;
      });
    }
  };
})();
</script>"""

FULL_PAGE = f"""<!DOCTYPE html>
<html><head><title>mlp-tui: class full</title><meta http-equiv="refresh" content="30"></head>
<body style="background:#0c181f;color:#eee;font:18px monospace;display:flex;align-items:center;
justify-content:center;height:90vh"><p>{html.escape(CLASS_FULL)}<br>This page tries again every 30 seconds.</p>
</body></html>"""


class SessionService(AppService):
    """One browser's dashboard: a process group of its own, always ended by ``stop``."""

    def __init__(self, argv: list[str], **kwargs) -> None:
        super().__init__(shlex.join(argv), **kwargs)
        self.argv = argv
        self._stopping: asyncio.Task | None = None

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment["TEXTUAL_DRIVER"] = DRIVER
        environment["COLORTERM"] = "truecolor"  # the browser's terminal draws 24-bit colour
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24):
        # exec, not a shell: the pid is the app's; a new session: a group to kill as one.
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=self._build_environment(width, height), start_new_session=True)
        self._stdin = process.stdin
        return process

    async def finished(self) -> None:
        """Until the app process has closed its output (it exited, or is exiting)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        """Ask the app to quit, then kill what is left; safe to call more than once, concurrently."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        if self._process is None:
            return
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        if self._process.returncode is None:
            await self.send_meta({"type": "quit"})
            try:
                await asyncio.wait_for(self._process.wait(), STOP_GRACE)
            except asyncio.TimeoutError:
                pass
        self._kill_group()
        await self._process.wait()
        if self._task is not None:
            await self._task  # stdout reaches its end once the group is gone
            self._task = None

    def _kill_group(self) -> None:
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):  # already gone, with all it started
            pass


class ClassServer(Server):
    """textual-serve's server with a seat limit, an idle timeout and sessions that always end."""

    def __init__(self, argv: list[str], *, host: str, port: int, max_sessions: int, idle_timeout: float,
                 title: str = "mlp-tui") -> None:
        super().__init__(shlex.join(argv), host=host, port=port, title=title)
        self.argv = argv
        self.max_sessions = max_sessions
        self.idle_timeout = idle_timeout
        self.sessions: dict[SessionService, web.WebSocketResponse] = {}

    @property
    def full(self) -> bool:
        return len(self.sessions) >= self.max_sessions

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.full:
            return web.Response(status=503, text=FULL_PAGE, content_type="text/html")
        # The address this browser reached, not --host: 0.0.0.0 is no address to connect to.
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{'wss' if request.secure else 'ws'}://{request.host}/ws",
            "config": {"static": {"url": f"{request.scheme}://{request.host}/static/"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.text = response.text.replace("<head>", "<head>" + CLOSE_REASON_SCRIPT, 1)
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        if self.full:
            await websocket.close(code=1013, message=CLASS_FULL.encode())  # 1013: try again later
            return websocket
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service = SessionService(self.argv, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                                 close=websocket.close, download_manager=self.download_manager)
        self.sessions[service] = websocket  # taken before any await: two browsers cannot share a seat
        reason = APP_ENDED
        try:
            await service.start(width, height)
            reason = await self._converse(websocket, service)
        except asyncio.CancelledError:
            reason = SERVER_STOPPED
        finally:
            del self.sessions[service]
            await _close(websocket, 1000, reason)
            await service.stop()
        return websocket

    async def _converse(self, websocket: web.WebSocketResponse, service: SessionService) -> str:
        """Relay the browser's messages until it leaves, idles too long or the app ends; why it ended."""
        relay = asyncio.ensure_future(self._relay(websocket, service))
        app_done = asyncio.ensure_future(service.finished())
        try:
            done, _ = await asyncio.wait({relay, app_done}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (relay, app_done):
                task.cancel()
        return relay.result() if relay in done and not relay.cancelled() else APP_ENDED

    async def _relay(self, websocket: web.WebSocketResponse, service: SessionService) -> str:
        loop = asyncio.get_running_loop()
        last_input = loop.time()
        while True:
            try:
                message = await websocket.receive(timeout=max(0.0, last_input + self.idle_timeout - loop.time()))
            except asyncio.TimeoutError:
                return IDLE.format(duration=_duration(self.idle_timeout))
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return APP_ENDED
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, *rest = message.json()
            except (ValueError, TypeError):  # not the page's protocol: ignore it
                continue
            if kind == "stdin" and rest and isinstance(rest[0], str):
                last_input = loop.time()  # keys and mouse events: a student is there
                await service.send_bytes(rest[0].encode("utf-8"))
            elif kind == "resize" and rest and isinstance(rest[0], dict):
                await service.set_terminal_size(to_int(str(rest[0].get("width")), 80),
                                                to_int(str(rest[0].get("height")), 24))
            elif kind == "ping" and rest:
                await websocket.send_json(["pong", rest[0]])
            elif kind in ("blur", "focus"):
                await getattr(service, kind)()

    async def on_shutdown(self, app: web.Application) -> None:
        """Stop every session at once and tell each browser why."""
        await asyncio.gather(*(self._end(service, websocket) for service, websocket in list(self.sessions.items())))

    async def _end(self, service: SessionService, websocket: web.WebSocketResponse) -> None:
        await _close(websocket, 1001, SERVER_STOPPED)  # 1001: going away
        await service.stop()

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: textual-serve prints its banner here, before the port is open."""

    def _listening(self, _aiohttp_banner: str) -> None:
        print(f"mlp-tui serve: open {self.public_url} in a browser (up to {self.max_sessions} at once; "
              f"ctrl+c stops the server and every dashboard)", flush=True)

    def initialize_logging(self) -> None:
        """Only warnings: a line per request would bury the address the teacher needs."""
        import logging

        logging.basicConfig(level="WARNING", format="mlp-tui serve: %(message)s", stream=sys.stderr)

    def serve(self, debug: bool = False) -> None:
        """Serve until SIGINT or SIGTERM; then every session ends within seconds."""
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.request_exit)
        web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False, loop=loop,
                    print=self._listening, shutdown_timeout=STOP_GRACE + 1.0)


async def _close(websocket: web.WebSocketResponse, code: int, reason: str) -> None:
    """Close with the reason the page shows; first, before the app's own goodbye closes it blank."""
    if not websocket.closed:
        await websocket.close(code=code, message=reason.encode())


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:g} minutes" if minutes >= 1 else f"{seconds:g} seconds"
