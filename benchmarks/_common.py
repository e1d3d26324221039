"""Helpers shared by the benchmark scripts: the machine description, statistics, formatting.

Benchmarks here report ratios measured in the same run, because absolute numbers on a
2-vCPU virtual machine move by +-30 % from one minute to the next (see
shared/research/engine-performance.md, section 2). The machine block printed first says
which BLAS kernels and thread counts those numbers came from.
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py` from anywhere
    sys.path.insert(0, str(ROOT))

ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS",
            "MKL_NUM_THREADS")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict:
    """Cores, versions, the BLAS/OpenMP pools threadpoolctl sees, and the OPENBLAS_* variables."""
    import numpy as np

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "numpy": np.__version__,
        "env": {name: os.environ.get(name) for name in ENV_VARS},
        "threadpools": [],
    }
    try:
        import sklearn

        info["sklearn"] = sklearn.__version__
    except ImportError:
        info["sklearn"] = None
    if "torch" in sys.modules:  # only reported when the caller chose to load it
        info["torch"] = sys.modules["torch"].__version__
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            info["threadpools"].append({k: pool.get(k) for k in (
                "user_api", "internal_api", "version", "num_threads", "architecture", "threading_layer",
                "filepath")})
    except ImportError:
        info["threadpools"] = None
    return info


def print_machine(info: dict) -> None:
    print("== machine ==")
    print(f"python {info['python']} on {info['platform']}")
    print(f"cpu: {info['cpu']}; cores {info['cores']} (usable {info['usable_cores']})")
    versions = [f"numpy {info['numpy']}", f"scikit-learn {info.get('sklearn')}"]
    if info.get("torch"):
        versions.append(f"torch {info['torch']}")
    print(", ".join(versions))
    print(load_note())
    print("env: " + ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in info["env"].items()))
    if info["threadpools"] is None:
        print("threadpoolctl: not installed (thread counts cannot be pinned or reported)")
    else:
        print("threadpoolctl.threadpool_info():")
        for p in info["threadpools"]:
            lib = os.path.basename(p.get("filepath") or "")
            print(f"  {p['user_api']:<7} {p['internal_api']:<9} {p.get('version') or '':<9} "
                  f"num_threads={p['num_threads']:<3} architecture={p.get('architecture')} "
                  f"threading={p.get('threading_layer')}  {lib}")
    print()


def synthetic_mnist(n: int, seed: int = 0):
    """n MNIST-shaped samples: 784 uint8-like pixels scaled to [0, 1], 10 classes; (X, y).

    Each class is a fixed random "stroke" prototype plus per-sample noise, quantised to 256
    levels, so the values look like MNIST's (many exact zeros, a few bright pixels) and the
    classes are learnable. Only the shapes matter for speed; this keeps accuracy sane too.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, 784)) < 0.2) * rng.uniform(0.5, 1.0, (10, 784))
    y = rng.integers(0, 10, n)
    X = prototypes[y] + rng.normal(0.0, 0.25, (n, 784))
    X = np.clip(np.rint(X * 255), 0, 255).astype(np.uint8)
    return X.astype(np.float64) / 255.0, y.astype(np.int64)


def cpu_busy(seconds: float = 0.5) -> float | None:
    """Fraction of all cores busy over ``seconds`` (from /proc/stat), None where unavailable.
    Called while this process is idle, it measures the other processes' load right now."""
    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return sum(values), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return 1.0 - (idle1 - idle0) / total if total > 0 else None


def load_note() -> str:
    """How busy the machine is right now (other processes), with a warning when it competes."""
    busy = cpu_busy()
    parts = []
    if busy is not None:
        parts.append(f"CPU busy over 0.5 s before this line: {100 * busy:.0f}% of {os.cpu_count()} cores")
    if hasattr(os, "getloadavg"):
        parts.append(f"load average (1 min) {os.getloadavg()[0]:.2f}")
    note = "; ".join(parts) or "load: unknown"
    if busy is not None and busy > 0.15:
        note += ("\n  WARNING: other processes are using the CPU: absolute numbers will be low and noisy; "
                 "compare the per-round ratios")
    return note


def median_min_max(values) -> tuple[float, float, float]:
    values = [v for v in values if v is not None]
    if not values:
        return float("nan"), float("nan"), float("nan")
    return statistics.median(values), min(values), max(values)


def percentile(values, q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; NaN for no values."""
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def si(x: float) -> str:
    """1234567 -> '1.23M', 61234 -> '61.2k'."""
    if x != x:  # NaN
        return "-"
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= factor:
            return f"{x / factor:.3g}{suffix}"
    return f"{x:.3g}"


def spread(values, fmt=si) -> str:
    med, lo, hi = median_min_max(values)
    return f"{fmt(med)} [{fmt(lo)}..{fmt(hi)}]"


def print_table(headers: list[str], rows: list[list[str]], align: str | None = None) -> None:
    """A plain text table; ``align`` has one 'l' or 'r' per column (default: first left)."""
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        return "  ".join(f"{c:<{w}}" if a == "l" else f"{c:>{w}}" for c, w, a in zip(cells, widths, align))

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
