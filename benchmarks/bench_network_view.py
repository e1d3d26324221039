"""What does the network view cost per frame? (Target: <= 2 ms per full frame at 120x40, 2-16-16-2.)

    python benchmarks/bench_network_view.py            # about 20 s
    python benchmarks/bench_network_view.py --reps 50

For each case the widget fills a 120x40 headless Textual screen and we time, per frame:
  new data   the network changed (weights nudged as a training step would): NetworkView.show
             (quantise maps and weights) + render_line over every row (paint + strips); this is
             what one update of a live view costs.
  cached     render_line over every row when nothing changed (the strips are reused).
  maps       mlp_tui.network_maps.network_view_args: the activations over the 8x8 grid (or the
             mean over 256 test samples) that the App computes before show().
Min, median and p95 in ms over --reps frames. As a yardstick measured in the same run (this machine's
speed moves with its load), the decision heatmap filling the same screen: show_classes + every
row, the dashboard's largest Line-API widget (1.9 ms per frame when measured on a quiet machine).
"""
from __future__ import annotations

import argparse
import asyncio
import time

import numpy as np

import _common
from _common import percentile, print_machine, print_table
from bench_dashboard import OneWidgetApp

from textual.geometry import Region

import engine
from engine import datasets
from engine.datasets import Dataset
from mlp_tui.network_maps import network_view_args
from mlp_tui.widgets.heatmap import DecisionHeatmap
from mlp_tui.widgets.network_view import NetworkView

SIZE = (120, 40)


def digits_like(rng) -> Dataset:
    X, y = rng.random((500, 64)), rng.integers(0, 10, 500)
    return Dataset(X, y, X, y, 10, [f"p{i}" for i in range(64)], "digits-like")


def stats(seconds: list[float]) -> tuple[str, str, str]:
    """min, median and p95 in ms. On a loaded machine a frame that loses its CPU time slice
    takes ~10 ms more; the min is the cost of the work itself."""
    ms = [1000 * s for s in seconds]
    return f"{min(ms):.3f}", f"{percentile(ms, 50):.3f}", f"{percentile(ms, 95):.3f}"


async def measure(sizes, data, mode: str, reps: int, rng) -> list[list[str]]:
    net = engine.Network(sizes, activation="tanh", output="softmax", seed=0)
    view = NetworkView(mode)
    async with OneWidgetApp(view).run_test(size=SIZE) as pilot:
        await pilot.pause()
        width, height = view.size
        view.show(**network_view_args(net, data))
        view.render_lines(Region(0, 0, width, height))  # resolves the CSS styles once
        maps, fresh, cached = [], [], []
        for _ in range(reps):
            net.params += rng.normal(0.0, 0.05, net.params.shape)  # a visible change every frame
            t0 = time.perf_counter()
            args = network_view_args(net, data)
            t1 = time.perf_counter()
            view.show(**args)
            for y in range(height):
                view.render_line(y)
            t2 = time.perf_counter()
            for y in range(height):
                view.render_line(y)
            t3 = time.perf_counter()
            maps.append(t1 - t0)
            fresh.append(t2 - t1)
            cached.append(t3 - t2)
    name = f"{'-'.join(map(str, sizes))} {data.name} ({mode})"
    return [[name, *stats(fresh), *stats(cached), *stats(maps)]]


async def measure_heatmap(reps: int, rng) -> list[list[str]]:
    heat = DecisionHeatmap("color")
    async with OneWidgetApp(heat).run_test(size=SIZE) as pilot:
        await pilot.pause()
        width, height = heat.size
        H, W = heat.pixel_shape
        pred = (np.add.outer(np.arange(H), np.arange(W)) > (H + W) / 2).astype(int)
        heat.render_lines(Region(0, 0, width, height))
        fresh, cached = [], []
        for _ in range(reps):
            conf = rng.uniform(0.5, 1.0, (H, W))
            t0 = time.perf_counter()
            heat.show_classes(pred, conf, 2)
            for y in range(height):
                heat.render_line(y)
            t1 = time.perf_counter()
            for y in range(height):
                heat.render_line(y)
            cached.append(time.perf_counter() - t1)
            fresh.append(t1 - t0)
    return [["yardstick: decision heatmap (color)", *stats(fresh), *stats(cached), "-", "-", "-"]]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    print_machine(_common.machine_info())
    rng = np.random.default_rng(0)
    moons = datasets.load("moons", n_samples=200, seed=0)
    rows = []
    for mode in ("color", "ascii"):
        rows += await measure((2, 16, 16, 2), moons, mode, args.reps, rng)
    rows += await measure((2, 3, 2), moons, "color", args.reps, rng)
    rows += await measure((64, 32, 10), digits_like(rng), "color", args.reps, rng)
    rows += await measure_heatmap(args.reps, rng)
    print(f"== network view at {SIZE[0]}x{SIZE[1]}: ms per frame, {args.reps} frames ==")
    print_table(["network (mode)", "new data min", "p50", "p95", "cached min", "p50", "p95",
                 "maps min", "p50", "p95"], rows)


if __name__ == "__main__":
    asyncio.run(main())
