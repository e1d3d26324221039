"""``mlp-tui serve``: the command line, and a real server on a free loopback port, driven as the
browser page drives it (textual-serve's websocket protocol: JSON ["stdin", keys] and
["resize", {...}] in, the app's terminal output back as binary frames)."""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from mlp_tui.cli import build_parser, main
from mlp_tui.options import DashboardOptions
from mlp_tui.pace import DEFAULT_SPEED, capped
from mlp_tui.serve_cli import INSTALL_HINT, dashboard_args, is_loopback, session_command

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")

from mlp_tui.serve import CLASS_FULL, SERVER_STOPPED, ClassServer  # noqa: E402 - needs textual-serve

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE = (100, 30)
START = 90  # seconds a dashboard may take to appear on a loaded machine
GONE = 20  # seconds a session may take to exit (the server gives it 2 s, then kills its group)


# ----------------------------------------------------------------------------- command line


def test_loopback_addresses():
    assert all(map(is_loopback, ["127.0.0.1", "127.3.2.1", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "classroom.example"]))


def test_a_non_loopback_host_needs_public(monkeypatch, capsys):
    monkeypatch.setattr(ClassServer, "serve", lambda self: pytest.fail("the server started"))
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--host 0.0.0.0" in err and "--public" in err


def test_without_textual_serve_it_says_how_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # import fails as if not installed
    assert main(["serve"]) == 2
    assert capsys.readouterr().err.strip() == f"mlp-tui: error: {INSTALL_HINT}"
    assert 'pip install "mlp-tui[serve]"' in INSTALL_HINT


@pytest.mark.parametrize("argv, flag", [(["--lr", "fast"], "--lr"), (["--lock", "nonsense"], "--lock"),
                                        (["--port", "0"], "--port"), (["--max-sessions", "0"], "--max-sessions"),
                                        (["--idle-timeout", "soon"], "--idle-timeout")])
def test_bad_options_stop_the_server_before_it_listens(monkeypatch, capsys, argv, flag):
    monkeypatch.setattr(ClassServer, "serve", lambda self: pytest.fail("the server started"))
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err


def _session_command(argv):
    parser = build_parser()
    takes_value = {name: action.nargs != 0 for name, action in parser._option_string_actions.items()}
    return session_command(parser.parse_args(argv), dashboard_args(argv, takes_value))


def test_each_dashboard_gets_the_teachers_options_without_serves_own():
    command = _session_command(["serve", "--port", "8123", "--preset", "xor-2-3-2", "--host=127.0.0.1",
                                "--lock", "lr,hidden", "--public", "--max-sessions", "3", "--idle-timeout", "60",
                                "--hide", "network"])
    assert command[1:] == ["-m", "mlp_tui", "--preset", "xor-2-3-2", "--lock", "lr,hidden", "--hide", "network",
                           "--no-files", "--max-speed", f"{DEFAULT_SPEED:g}"]


@pytest.mark.parametrize("lift", [["--max-speed", "max"], ["--max-speed=max"], ["--max-speed", "500"]])
def test_files_and_pace_are_off_and_capped_unless_the_teacher_says(tmp_path, lift):
    command = _session_command(["serve", "--files", str(tmp_path), *lift])
    assert command[3:] == ["--files", str(tmp_path), *lift]


# ----------------------------------------------------------------------------- the pace cap


def test_capped():
    assert (capped(50, 20), capped(5, 20), capped(None, 20), capped(None, None), capped(500, None)) == \
        (20, 5, 20, None, 500)


async def test_plus_stops_at_max_speed():
    from engine import config as cfg
    from engine import presets
    from mlp_tui.app import MlpApp
    from mlp_tui.session import Session

    app = MlpApp(Session(cfg.build(presets.get("moons").config)), DashboardOptions(speed=5, max_speed=20))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(4):
                await pilot.press("plus")
            assert app.speed == 20
            await pilot.press("minus")
            assert app.speed == 10
    finally:
        app.session.shutdown()


# ----------------------------------------------------------------------------- a real server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the server's sessions)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pid: int, timeout: float = GONE) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not alive(pid)


class ServerProcess:
    def __init__(self, *options: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "mlp_tui", "serve", "--port", str(self.port), *options],
                                     cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)
        banner = self.proc.stdout.readline()
        assert self.url in banner, banner + self.proc.stderr.read()
        self.sessions_seen: set[int] = set()

    def sessions(self) -> list[int]:
        now = children(self.proc.pid)
        self.sessions_seen.update(now)
        return now

    def stop(self, sig=signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        for pid in self.sessions_seen:  # never leave a session behind, even when a test fails
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


@pytest.fixture
def serve():
    servers = []

    def start(*options):
        servers.append(ServerProcess(*options))
        return servers[-1]

    yield start
    for server in servers:
        server.cleanup()


class Browser:
    """The page's side of the websocket: keys in, terminal output out, played on a pyte screen."""

    def __init__(self, websocket):
        self.ws = websocket
        self.output = bytearray()
        self.closed_with = None

    @classmethod
    async def open(cls, http, url: str) -> "Browser":
        ws = await http.ws_connect(f"{url}/ws?width={SIZE[0]}&height={SIZE[1]}")
        await ws.send_json(["resize", {"width": SIZE[0], "height": SIZE[1]}])
        return cls(ws)

    def screen(self) -> str:
        import pyte

        screen = pyte.Screen(*SIZE)
        pyte.ByteStream(screen).feed(bytes(self.output))
        return "\n".join(screen.display)

    async def read(self, timeout: float) -> bool:
        """Take in what arrives for up to ``timeout`` s; False once the server has closed."""
        try:
            message = await self.ws.receive(timeout=timeout)
        except asyncio.TimeoutError:
            return True
        if message.type == aiohttp.WSMsgType.BINARY:
            self.output += message.data
            return True
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            self.closed_with = self.ws.close_code, message.extra
            return False
        return True

    async def wait_for(self, *texts: str, timeout: float = START) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and await self.read(0.5):
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
        raise AssertionError(f"never showed {texts}:\n{self.screen()}")

    async def wait_closed(self, timeout: float = GONE) -> tuple:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and await self.read(0.5):
            pass
        assert self.closed_with is not None, "the server never closed the websocket"
        return self.closed_with

    async def press(self, keys: str) -> None:
        await self.ws.send_json(["stdin", keys])


async def dashboard(http, server: ServerProcess) -> tuple[Browser, int]:
    browser = await Browser.open(http, server.url)
    await browser.wait_for("Hyperparameters")
    sessions = server.sessions()
    assert len(sessions) == 1
    return browser, sessions[0]


async def test_a_browser_gets_a_dashboard_it_can_drive_and_its_app_ends_when_it_leaves(serve):
    server = serve("--speed", "5")
    async with aiohttp.ClientSession() as http:
        page = await http.get(server.url)
        html = await page.text()
        assert page.status == 200 and "/ws" in html
        assert html.index(".closed-dialog .message") < html.index("textual.js"), "the page can say why it closed"
        elsewhere = await http.get(server.url, headers={"Host": "classroom.example:8123"})  # as with --public
        assert "ws://classroom.example:8123/ws" in await elsewhere.text()
        browser, session = await dashboard(http, server)
        with open(f"/proc/{session}/cmdline", "rb") as f:
            argv = f.read().decode().split("\0")
        assert "--no-files" in argv and argv[argv.index("--max-speed") + 1] == f"{DEFAULT_SPEED:g}"
        await browser.press(" ")  # start training
        await browser.wait_for("training to epoch", "5 steps/s", timeout=30)
        await browser.press("++++")  # 10, 20, then the class pace holds
        await browser.wait_for(f"{DEFAULT_SPEED:g} steps/s", timeout=30)
        await browser.read(2.0)
        assert "50 steps/s" not in browser.screen() and "100 steps/s" not in browser.screen()
        await browser.ws.close()
    assert wait_gone(session), "the session's process outlived its browser"
    assert server.proc.poll() is None, "the server goes on serving"


async def test_sigterm_ends_the_server_and_every_session(serve):
    server = serve()
    async with aiohttp.ClientSession() as http:
        browser, session = await dashboard(http, server)
        await browser.press(" ")
        server.stop(signal.SIGTERM)
        code, reason = await browser.wait_closed()
        assert reason == SERVER_STOPPED
    assert wait_gone(session), "the session outlived the server"
    assert server.proc.wait(GONE) == 0


async def test_a_session_whose_server_is_killed_ends_by_itself(serve):
    """The reported bug: the served app trained on, alone, after its server was gone."""
    server = serve("--max-speed", "max")
    async with aiohttp.ClientSession() as http:
        browser, session = await dashboard(http, server)
        await browser.press(" ")
        await browser.wait_for("training to epoch", timeout=30)
        server.stop(signal.SIGKILL)  # no chance to clean up: the session sees its stdin close
        assert wait_gone(session), "the session outlived a killed server"


async def test_a_full_class_refuses_the_next_browser_with_a_message(serve):
    server = serve("--max-sessions", "1")
    async with aiohttp.ClientSession() as http:
        first, session = await dashboard(http, server)
        page = await http.get(server.url)
        assert page.status == 503 and "class is full" in await page.text()
        second = await Browser.open(http, server.url)
        assert await second.wait_closed() == (1013, CLASS_FULL)
        assert server.sessions() == [session], "no process was started for the refused browser"
        await first.ws.close()
        assert wait_gone(session)
        third, _ = await dashboard(http, server)  # the seat is free again
        await third.ws.close()


async def test_an_idle_session_is_stopped_and_the_page_says_why(serve):
    server = serve("--idle-timeout", "3")
    async with aiohttp.ClientSession() as http:
        browser = await Browser.open(http, server.url)
        deadline = time.monotonic() + GONE
        while not server.sessions() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        [session] = server.sessions()
        code, reason = await browser.wait_closed(timeout=GONE + 3)
        assert "3 seconds without a key" in reason
    assert wait_gone(session)
