"""Check `mlp-tui serve` in a real browser and save screenshots/serve-browser.png for the README.

    apt-get install -y chromium        # once
    python scripts/serve_screenshot.py [--chromium PATH] [--out FILE.png]

Starts `mlp-tui serve` on a free loopback port and headless Chromium with its DevTools port on
loopback, opens the page, waits for the dashboard, presses space (training starts), then saves
a screenshot. It then checks what a student sees when the class is
full, and what the page says when a dashboard is stopped for idling. Exits 1 if a step fails.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
WINDOW = (1280, 800)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*options: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mlp_tui", "serve", "--port", str(port), *options], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    banner = proc.stdout.readline()
    url = f"http://127.0.0.1:{port}"
    if url not in banner:
        raise SystemExit(f"the server did not start: {banner!r}")
    return proc, url


def start_chromium(binary: str, profile: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([binary, "--headless=new", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
                             "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}",
                             f"--window-size={WINDOW[0]},{WINDOW[1]}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port


class Tab:
    """One page, driven over the DevTools protocol."""

    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, devtools_port: int) -> "Tab":
        deadline = time.monotonic() + 30
        while True:
            try:
                async with http.put(f"http://127.0.0.1:{devtools_port}/json/new?about:blank") as r:
                    target = await r.json(content_type=None)
                break
            except aiohttp.ClientError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        return cls(await http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0))

    async def call(self, method: str, **params):
        ident = next(self.ids)
        await self.ws.send_json({"id": ident, "method": method, "params": params})
        async for message in self.ws:
            data = json.loads(message.data)
            if data.get("id") == ident:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data.get("result", {})
        raise RuntimeError("the browser closed the DevTools connection")

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not await self.evaluate(expression):
            if time.monotonic() > deadline:
                raise SystemExit(f"the page never satisfied {expression}")
            await asyncio.sleep(0.5)

    async def press(self, key: str, code: str, key_code: int) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=kind, key=key, code=code, windowsVirtualKeyCode=key_code,
                            text=key if kind == "keyDown" else "")

    async def screenshot(self, path: Path) -> None:
        result = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(result["data"]))
        print(f"wrote {path}")


async def dashboard_scene(devtools_port: int, out: Path) -> None:
    server, url = start_server("--preset", "moons", "--max-sessions", "1")
    try:
        async with aiohttp.ClientSession() as http:
            tab = await Tab.open(http, devtools_port)
            await tab.call("Page.navigate", url=url)
            await tab.wait_for("document.body && document.body.classList.contains('-first-byte')", 60)
            await asyncio.sleep(4)  # the first frames of the dashboard
            await tab.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
            await tab.press(" ", "Space", 32)
            await asyncio.sleep(8)  # a few hundred steps at the class pace: a boundary forms
            await tab.screenshot(out)
            second = await Tab.open(http, devtools_port)
            await second.call("Page.navigate", url=url)
            await second.wait_for("document.body && document.body.innerText.includes('class is full')", 30)
            print("a second browser sees: " + await second.evaluate("document.body.innerText"))
    finally:
        server.terminate()
        server.wait(30)


async def idle_scene(devtools_port: int, out: Path) -> None:
    server, url = start_server("--idle-timeout", "8")
    try:
        async with aiohttp.ClientSession() as http:
            tab = await Tab.open(http, devtools_port)
            await tab.call("Page.navigate", url=url)
            await tab.wait_for("document.body && document.body.classList.contains('-closed')", 60)
            message = await tab.evaluate("document.querySelector('.closed-dialog .message').innerText")
            print(f"after idling the page says: {message}")
            if "without a key" not in message:
                raise SystemExit("the page does not say why the dashboard stopped")
            await tab.screenshot(out)
    finally:
        server.terminate()
        server.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots" / "serve-browser.png")
    args = parser.parse_args()
    if not args.chromium:
        print("no chromium found: apt-get install -y chromium (or --chromium PATH)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as profile:
        browser, devtools_port = start_chromium(args.chromium, profile)
        try:
            asyncio.run(dashboard_scene(devtools_port, args.out))
            asyncio.run(idle_scene(devtools_port, Path(tempfile.gettempdir()) / "serve-idle.png"))
        finally:
            browser.terminate()
            browser.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
