"""A long run's memory: 2*10^5 (or MLP_TUI_LONG_STEPS) XOR steps under tracemalloc: no growth.

Run with ``pytest -s`` to see the figures (memory peak).
"""
from __future__ import annotations

import os
import time
import tracemalloc


from engine import datasets
from engine.network import Network
from engine.trainer import Trainer

# ----------------------------------------------------------------------------------- long runs

LONG_STEPS = int(os.environ.get("MLP_TUI_LONG_STEPS", "200000"))
MEMORY_SLACK = 200_000  # bytes


def test_long_run_memory_stays_bounded():
    """XOR for LONG_STEPS steps (2*10^5 by default: 10^6 under tracemalloc takes ~80 s here) with
    tracemalloc on from the first step: the second half must not hold or peak more than the first
    half, and the growth extrapolated to 10^6 steps stays under MEMORY_SLACK."""
    data = datasets.load("xor")
    net = Network([2, 3, 2], activation="tanh", seed=0)
    trainer = Trainer(net, data, batch_size="full", eval_every=10 ** 9)
    half = LONG_STEPS // 2
    started = time.perf_counter()
    tracemalloc.start()
    try:
        trainer.train(steps=half)
        first_now, first_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        trainer.train(steps=LONG_STEPS - half)
        second_now, second_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - started
    assert trainer.step_count == LONG_STEPS and trainer.divergence is None
    assert len(trainer.history.steps) <= trainer.history.steps.cap
    growth = second_now - first_now
    per_million = growth * 1_000_000 / (LONG_STEPS - half)
    print(f"\nlong run: {LONG_STEPS:,} XOR steps in {seconds:.1f} s under tracemalloc; traced memory "
          f"{first_now / 1024:.1f} kB after the first half, {second_now / 1024:.1f} kB after the second; "
          f"peak {first_peak / 1024:.1f} kB (first half) vs {second_peak / 1024:.1f} kB (second half); "
          f"growth {growth} B, {per_million / 1024:.1f} kB per 10^6 steps extrapolated")
    assert second_peak - first_peak < MEMORY_SLACK
    assert growth < MEMORY_SLACK
    assert per_million < MEMORY_SLACK
