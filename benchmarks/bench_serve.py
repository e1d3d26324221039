"""How many students can one machine serve? `mlp-tui serve` with N browsers at once.

    python benchmarks/bench_serve.py                 # N = 1, 5, 10, 20, 30; about 5 minutes
    python benchmarks/bench_serve.py --sessions 1 2 --window 5     # smoke test
    python benchmarks/bench_serve.py --json out.json
    python benchmarks/bench_serve.py --sessions 10 -- --low-bandwidth   # options for the dashboards

One server on a free loopback port; for each N, N websocket clients connect as the page does
(textual-serve's protocol), wait for their dashboard, press space: every session trains the
default run at the class pace (20 steps/s, + capped there). Then, for --window seconds:

cpu            CPU time of the server and all its sessions over the window, in % of one core,
               and in % of the whole machine (all cores); and the server's own share
rss            resident memory of each session process (mean), and of the server
key-to-frame   each client, about once a second, presses - and times the first frame that
               shows the slower pace ("10 steps/s" in the output bytes), then + to go back:
               the time a student waits to see a key's effect (p50, p95, max over all presses)

The clients run on the same machine (they are light: no terminal emulation), so their CPU is
part of the load. The load average before each N is printed, since the machine may be shared.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time

import aiohttp

from _common import ROOT, machine_info

SIZE = (120, 40)
SLOWER, SLOWER_SHOWN = "-", b"10 steps/s"  # from the class pace of 20 steps/s
FASTER, FASTER_SHOWN = "+", b"20 steps/s"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()
    except OSError:
        return None


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None and int(stat[1]) == pid:
            out.append(int(entry))
    return out


def cpu_seconds(pids) -> float:
    total = 0
    for pid in pids:
        if (stat := _stat(pid)) is not None:
            total += int(stat[11]) + int(stat[12])  # utime, stime
    return total / TICKS


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE / 2**20
    except OSError:
        return float("nan")


class Client:
    """A browser: reads every frame, and can time a key until a frame shows its effect."""

    def __init__(self, ws):
        self.ws = ws
        self.waiting: tuple[bytes, asyncio.Future] | None = None
        self.seen = bytearray()
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.BINARY:
                continue
            if len(self.seen) < 1 << 20:
                self.seen += message.data
            if self.waiting and self.waiting[0] in message.data and not self.waiting[1].done():
                self.waiting[1].set_result(time.perf_counter())

    async def until(self, text: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            if time.monotonic() > deadline:
                raise TimeoutError(f"never saw {text!r}")
            await asyncio.sleep(0.2)

    async def key_to_frame(self, key: str, shown: bytes, timeout: float = 10.0) -> float:
        """Seconds from sending ``key`` to the first frame containing ``shown``."""
        future = asyncio.get_running_loop().create_future()
        self.waiting = (shown, future)
        sent = time.perf_counter()
        await self.ws.send_json(["stdin", key])
        try:
            return await asyncio.wait_for(future, timeout) - sent
        finally:
            self.waiting = None

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


async def connect(http, url: str, start_timeout: float) -> Client:
    ws = await http.ws_connect(f"{url}/ws?width={SIZE[0]}&height={SIZE[1]}", max_msg_size=0)
    await ws.send_json(["resize", {"width": SIZE[0], "height": SIZE[1]}])
    client = Client(ws)
    await client.until(b"Hyperparameters", start_timeout)
    return client


async def press_loop(client: Client, stop_at: float, samples: list[float], misses: list[int]) -> None:
    await asyncio.sleep(random.uniform(0, 1))  # clients do not press in step
    while time.monotonic() < stop_at:
        try:
            samples.append(await client.key_to_frame(SLOWER, SLOWER_SHOWN))
            await client.key_to_frame(FASTER, FASTER_SHOWN)
        except asyncio.TimeoutError:
            misses.append(1)
        await asyncio.sleep(random.uniform(0.5, 1.5))


async def measure(url: str, server_pid: int, n: int, window: float, start_timeout: float) -> dict:
    load = os.getloadavg()[0]
    async with aiohttp.ClientSession() as http:
        started = time.monotonic()
        clients = await asyncio.gather(*(connect(http, url, start_timeout) for _ in range(n)))
        start_s = time.monotonic() - started
        for client in clients:
            await client.ws.send_json(["stdin", " "])  # start training
        await asyncio.gather(*(c.until(b"training to epoch", 30) for c in clients))
        await asyncio.sleep(3)
        sessions = children(server_pid)
        pids = [server_pid, *sessions]
        cpu0, server0, t0 = cpu_seconds(pids), cpu_seconds([server_pid]), time.monotonic()
        samples: list[float] = []
        misses: list[int] = []
        await asyncio.gather(*(press_loop(c, t0 + window, samples, misses) for c in clients))
        cpu1, server1, t1 = cpu_seconds(pids), cpu_seconds([server_pid]), time.monotonic()
        rss = [rss_mib(pid) for pid in sessions]
        server_rss = rss_mib(server_pid)
        await asyncio.gather(*(c.close() for c in clients))
    deadline = time.monotonic() + 30
    while children(server_pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    cpu_core = 100 * (cpu1 - cpu0) / (t1 - t0)
    ms = sorted(1000 * s for s in samples)
    return {
        "sessions": n, "load_before": round(load, 2), "start_all_s": round(start_s, 1),
        "cpu_pct_of_one_core": round(cpu_core, 1), "cpu_pct_of_machine": round(cpu_core / os.cpu_count(), 1),
        "server_cpu_pct_of_one_core": round(100 * (server1 - server0) / (t1 - t0), 1),
        "rss_per_session_mib": round(statistics.fmean(rss), 1) if rss else None,
        "server_rss_mib": round(server_rss, 1),
        "presses": len(ms), "missed": len(misses),
        "key_to_frame_ms": {"p50": round(ms[len(ms) // 2], 1), "p95": round(ms[int(0.95 * (len(ms) - 1))], 1),
                            "max": round(ms[-1], 1)} if ms else None,
        "sessions_left_after_close": len(children(server_pid)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="mlp-tui serve with N concurrent browsers")
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20, 30])
    parser.add_argument("--window", type=float, default=20.0, help="seconds measured per N (default 20)")
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument("dashboard", nargs="*", help="after --: options for mlp-tui serve's dashboards")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "mlp_tui", "serve", "--port", str(port),
                               "--max-sessions", str(max(args.sessions)), "--idle-timeout", "3600", *args.dashboard],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        if url not in server.stdout.readline():
            raise SystemExit("the server did not start")
        info = machine_info()
        print(f"machine: {info['cpu']}, {info['cores']} cores; python {info['python']}; "
              f"dashboards: {' '.join(args.dashboard) or 'the defaults'}")
        results = []
        for n in args.sessions:
            result = asyncio.run(measure(url, server.pid, n, args.window, start_timeout=60 + 5 * n))
            results.append(result)
            k = result["key_to_frame_ms"] or {}
            print(f"N={n:3d}  load before {result['load_before']:5.2f}  start {result['start_all_s']:5.1f} s  "
                  f"cpu {result['cpu_pct_of_one_core']:6.1f}% of a core ({result['cpu_pct_of_machine']:5.1f}% of all)  "
                  f"(server alone {result['server_cpu_pct_of_one_core']}%)  "
                  f"rss/session {result['rss_per_session_mib']} MiB  server {result['server_rss_mib']} MiB  "
                  f"key-to-frame p50 {k.get('p50')} p95 {k.get('p95')} max {k.get('max')} ms "
                  f"({result['presses']} presses, {result['missed']} missed)  "
                  f"left after close {result['sessions_left_after_close']}", flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"machine": info, "results": results}, f, indent=1)
    finally:
        server.terminate()
        server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
