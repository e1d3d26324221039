"""What does the dashboard cost? Training speed, UI latency, render time, bytes and start-up.

    python benchmarks/bench_dashboard.py              # everything, about 3 minutes
    python benchmarks/bench_dashboard.py --quick      # smoke test, < 60 s
    python benchmarks/bench_dashboard.py --json out.json

(a) throughput   training steps/s with the dashboard open (Textual headless, 120x40, all four
                 panels live at their default rates) vs the same run trained by the same worker
                 thread with no UI, for the same wall time. Rounds interleaved, 0.3 s pause.
(b) latency      event-loop lag: a set_interval(0.01) timer whose events record how late they
                 are handled (scheduled time -> handler), idle vs training flat out; and
                 key-to-screen: a key event is posted and we time the first frame the app
                 renders after the key's effect (the active panel) is visible in its state.
(c) render       ms per frame of DecisionHeatmap.render_line over all its rows and of
                 MatrixView.render_line (120x40 showing a 784x256 matrix) over all rows.
(d) bandwidth    bytes/s the real CLI (`python -m mlp_tui`) writes to a pseudo-terminal of
                 120x40 (TERM=xterm-256color, COLORTERM=truecolor) while training with the network
                 view shown (key 5): at the default pace, with --low-bandwidth, and at --speed max;
                 and the CPU the whole process uses meanwhile (% of one core, from /proc).
(e) start-up     spawn -> the footer ("Quit") has been written: the first full frame.

Two workloads: "tiny", the dashboard's default run (moons 2-16-16-2 tanh, Adam, batch 32,
float64), and "large", 784-256-10 ReLU, batch 64, float32 on 10,000 synthetic MNIST-shaped
samples (the mnist-784-256-10 preset's settings on generated data).

Why headless Textual for (a)-(c): it runs the real widgets, timers and compositor in the real
event loop; only the final conversion to escape sequences and the write are skipped. (d) and (e)
run the real program in a real pseudo-terminal for exactly that part.
"""
from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import numpy as np

import _common
from _common import ROOT, percentile, print_machine, print_table, synthetic_mnist

from textual import events
from textual._time import get_time  # the clock Textual's timers schedule with
from textual.app import App
from textual.geometry import Region

import mlp_tui.app as app_module
from engine import config as cfg
from engine import datasets, presets
from mlp_tui.app import MlpApp
from mlp_tui.options import DashboardOptions
from mlp_tui.pace import DEFAULT_SPEED, format_speed
from mlp_tui.session import Session
from mlp_tui.widgets.heatmap import DecisionHeatmap
from mlp_tui.widgets.matrix_view import MatrixView

SIZE = (120, 40)
BUDGET = 1_000_000  # epochs: the dashboard pauses at a run's budget, and no run here may reach it
PAUSE = 0.3  # idle before each timed run, so the previous run's threads settle
TARGETS = {"throughput": 0.80, "lag_p95_over_idle_ms": 5.0, "lag_max_ms": 50.0, "key_p95_ms": 100.0,
           "kib_default": 150.0, "kib_low": 40.0, "startup_s": 1.5, "cpu_default_pct": 10.0}


# ============================================================================ workloads

def tiny_run() -> cfg.Run:
    """The dashboard's default run: the moons preset."""
    return cfg.build(presets.get("moons").config.replace(epochs=BUDGET))


_LARGE_DATA = None


def large_run() -> cfg.Run:
    """784-256-10 ReLU, batch 64, float32 (the MNIST preset's settings) on synthetic data."""
    global _LARGE_DATA
    if _LARGE_DATA is None:
        X, y = synthetic_mnist(12_000, seed=0)
        _LARGE_DATA = datasets.Dataset(X[:10_000], y[:10_000], X[10_000:], y[10_000:], 10,
                                       [f"pixel{i}" for i in range(784)], "synthetic-mnist")
    config = presets.get("mnist-784-256-10").config.replace(dataset="synthetic-mnist", epochs=BUDGET)
    return cfg.build(config, data=_LARGE_DATA)


WORKLOADS = {"tiny": ("moons 2-16-16-2 tanh, Adam, batch 32, float64", tiny_run),
             "large": ("synthetic MNIST 784-256-10 relu, momentum, batch 64, float32", large_run)}


# ============================================================================ the probed app

class ProbedApp(MlpApp):
    """The real dashboard plus two probes; nothing it draws or does is changed.

    * lag probe: a set_interval timer without callback posts Timer events that carry their
      scheduled time; the handler records how late it runs (timer wake-up + message queue).
    * frame probe: ``_display`` is where Textual hands each rendered frame to the driver; we
      note when a frame is produced while a key's effect is visible in the app's state.
    """

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))  # relative paths resolve here

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.lags: list[float] = []
        self.frames = 0
        self._lag_timer = None
        self.key_check = None  # a function: True once the pressed key's effect is in the state
        self.key_frame_at: float | None = None

    def start_lag_probe(self, interval: float = 0.01) -> None:
        self._lag_timer = self.set_interval(interval)

    def on_timer(self, event: events.Timer) -> None:
        if event.timer is self._lag_timer:
            self.lags.append(get_time() - event.time)

    def _display(self, screen, renderable) -> None:
        if renderable is not None:
            self.frames += 1
            if self.key_check is not None and self.key_frame_at is None and self.key_check():
                self.key_frame_at = time.perf_counter()
        super()._display(screen, renderable)


def new_app(make_run, speed=None) -> ProbedApp:
    # Default options (colour, 10 fps); training flat out (speed None) unless a pace is given.
    return ProbedApp(Session(make_run()), DashboardOptions(speed=speed))


# ============================================================================ (a) throughput

async def steps_with_dashboard(make_run, seconds: float) -> dict:
    app = new_app(make_run)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await asyncio.sleep(0.3)  # first frames drawn
            trainer = app.session.trainer
            frames0, steps0, t0 = app.frames, trainer.step_count, time.perf_counter()
            app.session.toggle()  # what the space key does
            await asyncio.sleep(seconds)  # NOT pilot.press/pause: they wait for idle
            steps1, t1 = trainer.step_count, time.perf_counter()
            frames = app.frames - frames0
            app.session.toggle()
    finally:
        app.session.shutdown()
    return {"steps_per_s": (steps1 - steps0) / (t1 - t0), "frames_per_s": frames / (t1 - t0)}


def steps_headless(make_run, seconds: float) -> dict:
    """The same run, trained by the same controller thread, with no UI at all. One BLAS thread,
    as the dashboard sets on mount, so the ratio measures the UI and nothing else."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        session = Session(make_run())
        try:
            trainer = session.trainer
            steps0, t0 = trainer.step_count, time.perf_counter()
            session.toggle()
            time.sleep(seconds)
            steps1, t1 = trainer.step_count, time.perf_counter()
            session.toggle()
        finally:
            session.shutdown()
    return {"steps_per_s": (steps1 - steps0) / (t1 - t0)}


def measure_throughput(key: str, rounds: int, seconds: float) -> dict:
    make_run = WORKLOADS[key][1]
    make_run()  # build once untimed (data generation, imports)
    ui, alone = [], []
    for r in range(rounds):  # interleaved, order swapped every other round
        for which in (("ui", "alone") if r % 2 == 0 else ("alone", "ui")):
            time.sleep(PAUSE)
            if which == "ui":
                ui.append(asyncio.run(steps_with_dashboard(make_run, seconds)))
            else:
                alone.append(steps_headless(make_run, seconds))
    ratios = [u["steps_per_s"] / a["steps_per_s"] for u, a in zip(ui, alone)]
    return {"ui": ui, "alone": alone, "ratios": ratios, "ratio": statistics.median(ratios)}


# ============================================================================ (b) latency

async def key_latencies(app: ProbedApp, presses: int) -> dict:
    """Press 3 and 4 alternately (boundary / inspector panel) and time key -> state (the panel is
    marked active) and key -> frame (the first frame rendered after that: the focus border moves).
    Keys 1 and 2 are not used: 1 focuses a text field, which would then take digits as text, and
    at 120x40 key 2 changes nothing visible (the metrics panel cannot take focus)."""
    app.action_panel(3)  # start from the inspector, away from the form's text fields
    await asyncio.sleep(0.2)
    to_state, to_frame = [], []
    for i in range(presses):
        key = "3" if i % 2 == 0 else "4"
        panel = app.panels[int(key) - 1]
        app.key_frame_at = None
        app.key_check = lambda panel=panel: panel.has_class("-active")
        t0 = time.perf_counter()
        app.post_message(events.Key(key, key))
        state_at, deadline = None, t0 + 2.0
        while app.key_frame_at is None and time.perf_counter() < deadline:
            if state_at is None and panel.has_class("-active"):
                state_at = time.perf_counter()
            await asyncio.sleep(0.0005)
        app.key_check = None
        to_state.append((state_at or app.key_frame_at or deadline) - t0)
        to_frame.append((app.key_frame_at or deadline) - t0)
        await asyncio.sleep(0.03 + 0.02 * (i % 3))  # a person's pace, not a burst
    return {"to_state": to_state, "to_frame": to_frame}


async def measure_latency(key: str, seconds: float, presses: int, speed=None) -> dict:
    app = new_app(WORKLOADS[key][1], speed)
    out = {}
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await asyncio.sleep(0.3)
            app.start_lag_probe(0.01)
            for state in ("idle", "training"):
                if state == "training":
                    app.session.toggle()
                    await asyncio.sleep(0.3)
                app.lags.clear()
                await asyncio.sleep(seconds)
                lags = list(app.lags)
                keys = await key_latencies(app, presses)
                out[state] = {"lag": lags, **keys}
            app.session.toggle()
    finally:
        app.session.shutdown()
    return out


def ms_stats(values) -> dict:
    ms = [1000 * v for v in values]
    return {"n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95), "max": max(ms) if ms else float("nan")}


# ============================================================================ (c) render cost

def time_render(widget, reps: int) -> float:
    """Median ms to produce every line of ``widget`` once (render_lines resolves styles first)."""
    width, height = widget.size
    widget.render_lines(Region(0, 0, width, height))  # once: resolves the CSS styles the lines use
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        for y in range(height):
            widget.render_line(y)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


class OneWidgetApp(App):
    def __init__(self, widget):
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


async def measure_render(reps: int) -> list[dict]:
    rows = []
    # The heatmap as the dashboard shows it (default moons run, 120x40, all panels).
    app = new_app(tiny_run)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await asyncio.sleep(0.3)
            heat = app.query_one(DecisionHeatmap)
            w, h = heat.size
            rows.append({"what": f"heatmap in the dashboard ({w}x{h} cells, colour)", "ms": time_render(heat, reps)})
    finally:
        app.session.shutdown()

    # A heatmap filling a 120x40 screen, colour and ASCII: the largest it gets.
    rng = np.random.default_rng(0)
    for mode in ("color", "ascii"):
        heat = DecisionHeatmap(mode)
        async with OneWidgetApp(heat).run_test(size=SIZE) as pilot:
            await pilot.pause()
            H, W = heat.pixel_shape
            pred = (np.add.outer(np.arange(H), np.arange(W)) > (H + W) / 2).astype(int)
            conf = rng.uniform(0.5, 1.0, (H, W))
            pts = (rng.integers(0, H, 300), rng.integers(0, W, 300), rng.integers(0, 2, 300))
            t0 = time.perf_counter()
            heat.show_classes(pred, conf, 2, train=pts)
            show_ms = 1000 * (time.perf_counter() - t0)
            await pilot.pause()
            rows.append({"what": f"heatmap full screen 120x40 ({mode}), 300 points", "ms": time_render(heat, reps),
                         "update_ms": show_ms})

    # The matrix inspector at 120x40 showing W1 of 784-256-10.
    values = rng.standard_normal((784, 256)) * 0.05
    for mode, compact, label in (("color", "auto", "colour blocks (auto: compact)"),
                                 ("ascii", "auto", "ascii (auto: compact)"),
                                 ("color", False, "colour numbers (compact off)")):
        view = MatrixView(mode, compact=compact)
        async with OneWidgetApp(view).run_test(size=SIZE) as pilot:
            await pilot.pause()
            t0 = time.perf_counter()
            view.set_matrix(values, "W1")
            set_ms = 1000 * (time.perf_counter() - t0)
            values = values + 1e-3  # a changed matrix, as during training
            await pilot.pause()
            rows.append({"what": f"matrix 784x256 at 120x40, {label}", "ms": time_render(view, reps),
                         "update_ms": set_ms})
    return rows


# ============================================================================ (d, e) a real terminal

def spawn_in_pty(args: list[str]) -> tuple[subprocess.Popen, int]:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", PYTHONPATH=str(ROOT))
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "mlp_tui", *args], stdin=slave, stdout=slave,
                            stderr=slave, cwd=ROOT, env=env, start_new_session=True, close_fds=True)
    os.close(slave)
    return proc, master


class TerminalReader:
    """Drains the pty master (a full pty buffer would stall the program) and counts bytes."""

    def __init__(self, master: int):
        self.master = master
        self.total = 0
        self.tail = b""
        self.closed = False

    def pump(self, seconds: float, until: bytes | None = None) -> float | None:
        """Read for ``seconds``; with ``until``, stop early when it appears: returns that time."""
        end = time.perf_counter() + seconds
        while not self.closed:
            left = end - time.perf_counter()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.master], [], [], min(left, 0.05))
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the program closed the terminal
                self.closed = True
                return None
            if not chunk:
                self.closed = True
                return None
            self.total += len(chunk)
            self.tail = (self.tail + chunk)[-4096:]
            if until is not None and until in self.tail:
                return time.perf_counter()
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def terminal_run(args: list[str], train_seconds: float, idle_seconds: float = 2.0, keys: bytes = b"5") -> dict:
    """Start the CLI in a 120x40 pty: start-up time, idle bytes/s, then ``keys`` (the network
    view) and training: bytes/s and CPU (% of one core); then quit."""
    t_spawn = time.perf_counter()
    proc, master = spawn_in_pty(args)
    reader = TerminalReader(master)
    out = {"args": args}
    try:
        seen = reader.pump(20.0, until=b"Quit")
        out["startup_s"] = (seen - t_spawn) if seen else None
        reader.pump(0.5)  # let start-up settle
        before = reader.total
        reader.pump(idle_seconds)
        out["idle_kib_s"] = (reader.total - before) / idle_seconds / 1024
        if keys:
            os.write(master, keys)
            reader.pump(0.5)
        os.write(master, b" ")  # space: start training
        start, before, cpu0 = time.perf_counter(), reader.total, cpu_seconds(proc.pid)
        reader.tail = b""
        reader.pump(train_seconds)
        elapsed = time.perf_counter() - start
        out["train_kib_s"] = (reader.total - before) / elapsed / 1024
        out["cpu_pct"] = 100 * (cpu_seconds(proc.pid) - cpu0) / elapsed
        out["training_seen"] = b"training" in reader.tail or reader.total - before > 0
        os.write(master, b"q")
        reader.pump(5.0, until=None) if proc.poll() is None else None
    finally:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()  # our own child, by its pid
            proc.wait()
        os.close(master)
    out["exit_code"] = proc.returncode
    return out


def startup_only(args: list[str]) -> float | None:
    t_spawn = time.perf_counter()
    proc, master = spawn_in_pty(args)
    reader = TerminalReader(master)
    try:
        seen = reader.pump(20.0, until=b"Quit")
        os.write(master, b"q")
        reader.pump(3.0)
    finally:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(master)
    return (seen - t_spawn) if seen else None


# ============================================================================ main

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="short runs: a smoke test (< 60 s)")
    p.add_argument("--json", metavar="FILE", help="write every measurement as JSON")
    p.add_argument("--parts", default="a,b,c,d,e", help="comma-separated subset of a,b,c,d,e")
    args = p.parse_args(argv)
    parts = set(args.parts.split(","))
    q = args.quick
    rounds, seconds = (1, 1.5) if q else (3, 5.0)
    lag_seconds, presses = (1.5, 10) if q else (5.0, 50)
    reps = 5 if q else 30
    train_seconds = 3.0 if q else 8.0
    extra_startups = 0 if q else 2
    began = time.perf_counter()

    print_machine(_common.machine_info())
    if q:
        print("note: --quick: short runs, a smoke test, not a measurement.\n")
    results: dict = {}
    verdicts: list[tuple[bool, str]] = []

    def verdict(ok: bool, text: str) -> None:
        verdicts.append((ok, text))

    if "c" in parts:
        print("== (c) render cost per frame (render_line over every row; median of "
              f"{reps}) ==")
        rows = asyncio.run(measure_render(reps))
        results["render"] = rows
        print_table(["widget", "ms/frame", "update ms"],
                    [[r["what"], f"{r['ms']:.2f}", f"{r['update_ms']:.1f}" if "update_ms" in r else "-"] for r in rows])
        print("(update ms: show_classes / set_matrix, run when the data changes: 2 Hz while training)\n")

    if "a" in parts:
        print(f"== (a) training throughput with the dashboard open vs headless ({rounds} interleaved "
              f"round(s) of {seconds:g} s, 120x40, default rates) ==")
        rows = []
        results["throughput"] = {}
        for key, (label, _) in WORKLOADS.items():
            r = measure_throughput(key, rounds, seconds)
            results["throughput"][key] = r
            ui = [x["steps_per_s"] for x in r["ui"]]
            alone = [x["steps_per_s"] for x in r["alone"]]
            fps = statistics.median(x["frames_per_s"] for x in r["ui"])
            rows.append([key, label, _common.spread(alone), _common.spread(ui), f"{fps:.1f}",
                         f"{r['ratio']:.2f} [{min(r['ratios']):.2f}..{max(r['ratios']):.2f}]"])
            verdict(r["ratio"] >= TARGETS["throughput"],
                    f"training keeps >= 80% of headless speed with the dashboard open ({key}): {r['ratio']:.0%}")
        print_table(["workload", "run", "headless steps/s", "dashboard steps/s", "frames/s", "ratio"], rows,
                    align="llrrrr")
        print()

    if "b" in parts:
        print(f"== (b) UI responsiveness (lag: set_interval(0.01) lateness over {lag_seconds:g} s; "
              f"keys: {presses} presses of 3/4) ==")
        results["latency"] = {}
        rows = []
        for key, speed in (("tiny", DEFAULT_SPEED), ("tiny", None), ("large", None)):
            r = asyncio.run(measure_latency(key, lag_seconds, presses, speed))
            key = f"{key} {format_speed(speed)}"
            results["latency"][key] = r
            stats = {s: {"lag": ms_stats(r[s]["lag"]), "state": ms_stats(r[s]["to_state"]),
                         "frame": ms_stats(r[s]["to_frame"])} for s in r}
            results["latency"][key + "_stats"] = stats
            for s in ("idle", "training"):
                st = stats[s]
                rows.append([key, s, f"{st['lag']['p50']:.1f}", f"{st['lag']['p95']:.1f}", f"{st['lag']['max']:.1f}",
                             f"{st['state']['p50']:.1f}", f"{st['frame']['p50']:.1f}", f"{st['frame']['p95']:.1f}",
                             f"{st['frame']['max']:.1f}"])
            idle, busy = stats["idle"], stats["training"]
            verdict(busy["lag"]["p95"] <= idle["lag"]["p95"] + TARGETS["lag_p95_over_idle_ms"],
                    f"lag p95 while training within 5 ms of idle ({key}): {busy['lag']['p95']:.1f} vs "
                    f"{idle['lag']['p95']:.1f} ms")
            verdict(busy["lag"]["max"] < TARGETS["lag_max_ms"],
                    f"lag max while training < 50 ms ({key}): {busy['lag']['max']:.1f} ms")
            verdict(busy["frame"]["p95"] < TARGETS["key_p95_ms"],
                    f"key-to-screen p95 while training < 100 ms ({key}): {busy['frame']['p95']:.1f} ms")
        print_table(["workload", "state", "lag p50", "p95", "max", "key->state p50", "key->frame p50", "p95", "max"],
                    rows, align="llrrrrrrr")
        print("(milliseconds)\n")

    if "d" in parts or "e" in parts:
        print(f"== (d, e) the real CLI in a 120x40 pseudo-terminal (python -m mlp_tui; "
              f"{train_seconds:g} s of training) ==")
        results["terminal"] = []
        rows = []
        for args_ in ([], ["--low-bandwidth"], ["--speed", "max", "--epochs", str(BUDGET)]):
            time.sleep(PAUSE)
            r = terminal_run(args_, train_seconds)
            starts = [r["startup_s"]] + [startup_only(args_) for _ in range(extra_startups)]
            starts = [s for s in starts if s is not None]
            r["startups"] = starts
            results["terminal"].append(r)
            name = " ".join(args_) or "default"
            start_med = statistics.median(starts) if starts else float("nan")
            rows.append([name, f"{r['idle_kib_s']:.1f}", f"{r['train_kib_s']:.1f}", f"{r['cpu_pct']:.0f}%",
                         f"{start_med:.2f} [{min(starts):.2f}..{max(starts):.2f}]" if starts else "no frame",
                         str(r["exit_code"])])
            limit = TARGETS["kib_low"] if args_ == ["--low-bandwidth"] else TARGETS["kib_default"]
            if "d" in parts and "max" not in args_:
                verdict(r["train_kib_s"] < limit,
                        f"{name}: < {limit:g} KiB/s written while training: {r['train_kib_s']:.1f} KiB/s")
            if "d" in parts and not args_:
                verdict(r["cpu_pct"] < TARGETS["cpu_default_pct"],
                        f"default pace: < 10% of one core while training: {r['cpu_pct']:.1f}%")
            if "e" in parts:
                verdict(bool(starts) and start_med < TARGETS["startup_s"],
                        f"{name}: start-up to the first full frame < 1.5 s: {start_med:.2f} s")
        print_table(["options", "idle KiB/s", "training KiB/s", "CPU", "start-up s median [min..max]", "exit"], rows)
        print("(training with the network view shown; CPU: the whole process, % of one core)")
        print()

    print("== targets ==")
    for ok, text in verdicts:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
    print(f"\ntotal time {time.perf_counter() - began:.0f} s; {_common.load_note()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "targets": [{"pass": ok, "text": t} for ok, t in verdicts]}, f,
                      indent=1, default=float)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
