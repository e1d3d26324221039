"""How fast does the mlp-tui engine train, next to scikit-learn, PyTorch and a tutorial NumPy loop?

    python benchmarks/bench_engine.py                       # one BLAS thread and default threads
    python benchmarks/bench_engine.py --threads 1 --rounds 7
    python benchmarks/bench_engine.py --quick               # smoke test, < 60 s, numbers not comparable
    python benchmarks/bench_engine.py --json results.json

The run ends with the targets (PASS/MISS) and the medians as Markdown tables for the README.

For every workload (network, data, batch size) and optimizer (SGD, Adam) each contender trains
the same number of epochs; the table shows samples per second (median [min..max] over rounds),
the ratio to the engine in float32 and the fraction of the "matmul limit": the speed of an
imaginary engine that did nothing but the step's matrix products (np.matmul on preallocated
float32 arrays at exactly the step's shapes).

Method (shared/research/engine-performance.md, sections 2 and 4):
  * Rounds are interleaved: round r runs every contender once, in reverse order every other
    round, so a slow minute of the (virtual) machine hits all contenders alike.
  * Each run is preceded by a 0.3 s pause so spinning BLAS/OpenMP threads of the previous run
    go to sleep instead of stealing a core from the next one.
  * Ratios are computed per round and then the median is taken: on a 2-vCPU VM absolute numbers
    drift by +-30 %, ratios much less.
  * "--threads 1" pins every BLAS/OpenMP pool (threadpoolctl) and torch to one thread: the
    stable configuration, and the one the dashboard uses. "default" leaves the libraries alone.

Contenders:
  engine f32 / f64    Trainer.step loop (Trainer.train with evaluation switched off), seed 0
  engine f32 +trace   Trainer.step_traced() every step: the cost of recording the full trace
  sklearn             MLPClassifier(...).fit(X float32): total fit time / (epochs * n)
                      (binary moons: sklearn uses ONE logistic output unit, 2-16-16-1)
  torch               nn.Sequential + CrossEntropyLoss + optim.SGD/Adam, float32 (if importable)
  tutorial f64        a CS231n "two-layer net" style loop generalised to L layers: dict of
                      params, fresh arrays every step, fancy-indexed batches, allocating optimizer
  matmul limit        batch / (sum of the step's np.matmul times), float32
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import statistics
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

import _common
from _common import median_min_max, print_machine, print_table, spread, synthetic_mnist

from engine import datasets
from engine.network import Network
from engine.trainer import Trainer

SEED = 0
PAUSE = 0.3  # seconds of idle before each timed run (see the module docstring)
LR = {"sgd": 0.01, "adam": 0.001}  # the same learning rate for every contender
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam"}
CONTENDERS = ("engine f32", "engine f64", "engine f32 +trace", "sklearn", "torch", "tutorial f64",
              "matmul limit")


# ============================================================================ workloads

@dataclass
class Workload:
    key: str
    title: str
    X: np.ndarray  # float64 (n, d)
    y: np.ndarray  # int64 (n,)
    sizes: tuple[int, ...]
    activation: str
    batch_size: int
    epochs: int  # per timed run

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def label(self) -> str:
        return f"{'-'.join(map(str, self.sizes))} {self.activation}, batch {self.batch_size}"


def all_rows(ds) -> tuple[np.ndarray, np.ndarray]:
    """Train and test split together: throughput runs train on every sample."""
    return np.vstack([ds.X_train, ds.X_test]), np.concatenate([ds.y_train, ds.y_test])


def make_workloads(quick: bool) -> list[Workload]:
    moons = all_rows(datasets.load("moons", n_samples=1000, noise=0.2, seed=SEED))
    digits = all_rows(datasets.load("digits", seed=SEED))
    mnist = synthetic_mnist(2_000 if quick else 10_000, SEED)

    def e(full, fast):
        return fast if quick else full

    return [
        Workload("tiny", "tiny: moons n=1000", *moons, (2, 16, 16, 2), "tanh", 32, e(30, 5)),
        Workload("small", "small: digits n=1797", *digits, (64, 64, 10), "relu", 32, e(15, 3)),
        Workload("large64", f"large: synthetic MNIST n={mnist[0].shape[0]}", *mnist, (784, 256, 10),
                 "relu", 64, e(2, 1)),
        Workload("large512", f"large: synthetic MNIST n={mnist[0].shape[0]}", *mnist, (784, 256, 10),
                 "relu", 512, e(3, 1)),
    ]


# ============================================================================ contenders
# Each contender trains w.epochs epochs from scratch and returns samples per second.
# Building the model and converting the data happen before the clock starts, except for
# scikit-learn, whose fit() does its own input checks (the brief: total fit time).

def run_engine(w: Workload, opt: str, dtype: str) -> float:
    net = Network(w.sizes, activation=w.activation, seed=SEED, dtype=dtype)
    trainer = Trainer(net, (w.X, w.y), optimizer=opt, lr=LR[opt], batch_size=w.batch_size, seed=SEED,
                      eval_every=10**9)  # no end-of-epoch evaluation: pure step throughput
    start = time.perf_counter()
    trainer.train(epochs=w.epochs)
    seconds = time.perf_counter() - start
    if trainer.divergence is not None:
        raise RuntimeError(f"engine diverged on {w.key}/{opt}: {trainer.divergence.where}")
    return w.epochs * w.n / seconds


def run_engine_traced(w: Workload, opt: str) -> float:
    net = Network(w.sizes, activation=w.activation, seed=SEED, dtype="float32")
    trainer = Trainer(net, (w.X, w.y), optimizer=opt, lr=LR[opt], batch_size=w.batch_size, seed=SEED,
                      eval_every=10**9)
    start = time.perf_counter()
    while trainer.epoch < w.epochs:
        trainer.step_traced()  # the same step, plus a copy of every intermediate and the update
    return w.epochs * w.n / (time.perf_counter() - start)


def run_sklearn(w: Workload, opt: str) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=w.sizes[1:-1], activation=w.activation, solver=opt, alpha=0.0,
                        batch_size=w.batch_size, learning_rate_init=LR[opt], max_iter=w.epochs,
                        shuffle=True, random_state=SEED, tol=0.0, n_iter_no_change=10**9,
                        early_stopping=False, momentum=0.0, nesterovs_momentum=False)
    X = w.X.astype(np.float32)  # sklearn keeps float32 input in float32, like the engine f32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached: on purpose
        start = time.perf_counter()
        clf.fit(X, w.y)
        seconds = time.perf_counter() - start
    return w.epochs * w.n / seconds


def run_torch(w: Workload, opt: str) -> float:
    import torch
    from torch import nn

    torch.manual_seed(SEED)
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(w.sizes[:-1], w.sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(w.sizes) - 2:
            layers.append(nn.Tanh() if w.activation == "tanh" else nn.ReLU())
    model = nn.Sequential(*layers)
    optimizer = (torch.optim.SGD if opt == "sgd" else torch.optim.Adam)(model.parameters(), lr=LR[opt])
    loss_fn = nn.CrossEntropyLoss()
    X = torch.from_numpy(w.X.astype(np.float32))
    y = torch.from_numpy(w.y)
    gen = torch.Generator().manual_seed(SEED)
    bs = w.batch_size
    start = time.perf_counter()
    for _ in range(w.epochs):
        perm = torch.randperm(w.n, generator=gen)
        Xs, ys = X[perm], y[perm]  # shuffled copy per epoch, then slices (as the engine does)
        for i in range(0, w.n, bs):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xs[i:i + bs]), ys[i:i + bs])
            loss.backward()
            optimizer.step()
            loss.item()  # the engine computes the batch loss as a Python float every step, too
    return w.epochs * w.n / (time.perf_counter() - start)


def run_tutorial(w: Workload, opt: str) -> float:
    """The CS231n two-layer-net training loop generalised to L layers, float64, as written in
    countless tutorials: nothing preallocated, every value a fresh array."""
    rng = np.random.default_rng(SEED)
    L = len(w.sizes) - 1
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(w.sizes[:-1], w.sizes[1:]), start=1):
        params[f"W{l}"] = rng.standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / fan_in)
        params[f"b{l}"] = np.zeros(fan_out)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    beta1, beta2, eps, lr, t = 0.9, 0.999, 1e-8, LR[opt], 0
    X, y, n, bs = w.X, w.y, w.n, w.batch_size
    tanh = w.activation == "tanh"

    start = time.perf_counter()
    for _ in range(w.epochs):
        perm = rng.permutation(n)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            Xb, yb = X[idx], y[idx]
            rows = np.arange(Xb.shape[0])
            # forward pass
            hidden = [Xb]
            for l in range(1, L):
                z = hidden[-1].dot(params[f"W{l}"]) + params[f"b{l}"]
                hidden.append(np.tanh(z) if tanh else np.maximum(0, z))
            scores = hidden[-1].dot(params[f"W{L}"]) + params[f"b{L}"]
            exp_scores = np.exp(scores - scores.max(axis=1, keepdims=True))
            probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
            loss = -np.log(probs[rows, yb]).mean()  # noqa: F841  (computed every step, as the others do)
            # backward pass
            dscores = probs  # CS231n reuses probs as the gradient buffer
            dscores[rows, yb] -= 1
            dscores /= Xb.shape[0]
            grads = {}
            d = dscores
            for l in range(L, 0, -1):
                grads[f"W{l}"] = hidden[l - 1].T.dot(d)
                grads[f"b{l}"] = np.sum(d, axis=0)
                if l > 1:
                    dhidden = d.dot(params[f"W{l}"].T)
                    if tanh:
                        dhidden = dhidden * (1 - hidden[l - 1] ** 2)
                    else:
                        dhidden[hidden[l - 1] <= 0] = 0
                    d = dhidden
            # parameter update
            t += 1
            for k in params:
                g = grads[k]
                if opt == "sgd":
                    params[k] = params[k] - lr * g
                else:
                    m[k] = beta1 * m[k] + (1 - beta1) * g
                    v[k] = beta2 * v[k] + (1 - beta2) * (g * g)
                    m_hat = m[k] / (1 - beta1 ** t)
                    v_hat = v[k] / (1 - beta2 ** t)
                    params[k] = params[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w.epochs * n / (time.perf_counter() - start)


def matmul_calls(w: Workload) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """The np.matmul calls of one training step, as (name, A, B, out) on float32 arrays.

    Forward a @ W for every layer; dW = a.T @ dz for every layer; da = dz @ W.T for every layer
    but the first (nobody needs the input's gradient). Transposes are views, as in the engine.
    """
    rng = np.random.default_rng(SEED)
    bs, calls = w.batch_size, []
    a = rng.random((bs, w.sizes[0]), dtype=np.float32)
    for l, (fan_in, fan_out) in enumerate(zip(w.sizes[:-1], w.sizes[1:]), start=1):
        W = rng.standard_normal((fan_in, fan_out), dtype=np.float32)
        dz = rng.standard_normal((bs, fan_out), dtype=np.float32)
        calls.append((f"z{l} = a{l - 1} @ W{l}", a, W, np.empty((bs, fan_out), np.float32)))
        calls.append((f"dW{l} = a{l - 1}.T @ dz{l}", a.T, dz, np.empty((fan_in, fan_out), np.float32)))
        if l > 1:
            calls.append((f"da{l - 1} = dz{l} @ W{l}.T", dz, W.T, np.empty((bs, fan_in), np.float32)))
        a = rng.random((bs, fan_out), dtype=np.float32)
    return calls


def run_matmul_limit(w: Workload, budget: float = 0.02) -> float:
    """batch / (sum over the step's matmul calls of the time of one call): samples/s at best."""
    total = 0.0
    for _, A, B, out in matmul_calls(w):
        np.matmul(A, B, out=out)  # warm the caches and BLAS's thread pool
        start = time.perf_counter()
        np.matmul(A, B, out=out)
        one = max(time.perf_counter() - start, 1e-7)
        reps = int(min(20_000, max(3, budget / one)))
        start = time.perf_counter()
        for _ in range(reps):
            np.matmul(A, B, out=out)
        total += (time.perf_counter() - start) / reps
    return w.batch_size / total


# ============================================================================ measuring

def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def contender_functions(use_torch: bool, quick: bool) -> dict:
    fns = {
        "engine f32": lambda w, opt: run_engine(w, opt, "float32"),
        "engine f64": lambda w, opt: run_engine(w, opt, "float64"),
        "engine f32 +trace": run_engine_traced,
        "sklearn": run_sklearn,
        "torch": run_torch,
        "tutorial f64": run_tutorial,
        "matmul limit": lambda w, opt: run_matmul_limit(w, 0.005 if quick else 0.02),
    }
    if not use_torch:
        del fns["torch"]
    return fns


def measure(w: Workload, opt: str, fns: dict, rounds: int, pause: float) -> dict[str, list[float]]:
    """Samples/s per contender per round, rounds interleaved (see the module docstring)."""
    warm = dataclasses.replace(w, epochs=1)
    for fn in fns.values():  # one untimed epoch each: imports, lazy initialisation, page faults
        fn(warm, opt)
    results = {name: [] for name in fns}
    names = list(fns)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            time.sleep(pause)
            results[name].append(fns[name](w, opt))
    return results


def per_round_ratio(a: list[float], b: list[float]) -> list[float]:
    return [x / y for x, y in zip(a, b)]


def summarise(results: dict[str, list[float]]) -> dict:
    """Median/min/max of samples/s, and per-round ratios to the engine f32 and to the limit."""
    base, limit = results["engine f32"], results["matmul limit"]
    out = {}
    for name, sps in results.items():
        med, lo, hi = median_min_max(sps)
        out[name] = {"samples_per_s": sps, "median": med, "min": lo, "max": hi,
                     "x_engine_f32": statistics.median(per_round_ratio(sps, base)),
                     "frac_matmul_limit": statistics.median(per_round_ratio(sps, limit))}
    traced = per_round_ratio(results["engine f32 +trace"], base)
    cost = [1.0 - t for t in traced]
    out["trace_cost"] = {"per_round": cost, "median": statistics.median(cost), "min": min(cost), "max": max(cost)}
    return out


def print_workload_table(w: Workload, opt: str, threads: str, summary: dict) -> None:
    print(f"-- {w.title}, {w.label}, {OPTIMIZER_NAMES[opt]} lr {LR[opt]:g}, {w.epochs} epoch(s)/run "
          f"| threads: {threads}")
    rows = []
    for name in CONTENDERS:
        if name not in summary:
            continue
        s = summary[name]
        ratio = f"{s['x_engine_f32']:.2f}x" if name != "engine f32" else "1.00x"
        frac = "-" if name == "matmul limit" else f"{100 * s['frac_matmul_limit']:.0f}%"
        rows.append([name, spread(s["samples_per_s"]), ratio, frac])
    print_table(["contender", "samples/s median [min..max]", "x engine f32", "of matmul limit"], rows)
    tc = summary["trace_cost"]
    print(f"trace cost (1 - traced/plain): {100 * tc['median']:.0f}% [{100 * tc['min']:.0f}..{100 * tc['max']:.0f}%]")
    print()


def print_markdown_summary(threads: str, by_case: dict) -> None:
    """The medians once more as a Markdown table, ready for the README."""
    names = [n for n in ("engine f32", "engine f64", "sklearn", "torch", "tutorial f64")
             if any(n in res["summary"] for res in by_case.values())]
    print(f"\n== summary for the README (samples/s, median; threads: {threads}) ==")
    print("| workload | " + " | ".join(names) + " | f32 of matmul limit | trace cost |")
    print("|---" * (len(names) + 3) + "|")
    for (wk, opt), res in by_case.items():
        s = res["summary"]
        cells = [_common.si(s[n]["median"]) if n in s else "-" for n in names]
        print(f"| {wk} {OPTIMIZER_NAMES[opt]} | " + " | ".join(cells)
              + f" | {100 * s['engine f32']['frac_matmul_limit']:.0f}% | {100 * s['trace_cost']['median']:.0f}% |")


@contextlib.contextmanager
def thread_setting(threads: str, use_torch: bool):
    """One thread in every BLAS/OpenMP pool and in torch, or the libraries' own defaults."""
    torch = sys.modules.get("torch") if use_torch else None
    torch_default = torch.get_num_threads() if torch else None
    if threads == "default":
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        if torch:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch:
                torch.set_num_threads(torch_default)


# ============================================================================ accuracy

def accuracy_check(quick: bool) -> list[dict]:
    """Test accuracy after a fixed budget: engine (float32) vs sklearn, same settings and epochs.

    moons: 2-16-16-2 tanh, Adam lr 0.01, batch 32, 100 epochs (the dashboard's default preset);
    digits: 64-64-10 relu, Adam lr 0.001, batch 32, 60 epochs (the digits preset). Mean over seeds
    (each seed changes the split and the initial weights).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    cases = [("moons", dict(n_samples=1000, noise=0.2), (16, 16), "tanh", 0.01, 100),
             ("digits", {}, (64,), "relu", 0.001, 60)]
    seeds = [0] if quick else [0, 1, 2]
    out = []
    for name, kw, hidden, act, lr, epochs in cases:
        eng, skl = [], []
        for seed in seeds:
            ds = datasets.load(name, seed=seed, **kw)
            net = Network([ds.n_features, *hidden, ds.n_classes], activation=act, seed=seed, dtype="float32")
            trainer = Trainer(net, ds, optimizer="adam", lr=lr, batch_size=32, seed=seed, eval_every=10**9)
            trainer.train(epochs=epochs)
            eng.append(net.accuracy(ds.X_test, ds.y_test))
            clf = MLPClassifier(hidden_layer_sizes=hidden, activation=act, solver="adam", alpha=0.0,
                                batch_size=32, learning_rate_init=lr, max_iter=epochs, tol=0.0,
                                n_iter_no_change=10**9, random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(ds.X_train.astype(np.float32), ds.y_train)
            skl.append(float(np.mean(clf.predict(ds.X_test.astype(np.float32)) == ds.y_test)))
        out.append({"dataset": name, "epochs": epochs, "seeds": seeds, "engine": eng, "sklearn": skl,
                    "engine_mean": statistics.mean(eng), "sklearn_mean": statistics.mean(skl)})
    return out


def print_accuracy(acc: list[dict]) -> None:
    print("== accuracy after a fixed budget (test split, Adam, batch 32; engine float32 vs sklearn) ==")
    rows = []
    for a in acc:
        diff = 100 * (a["engine_mean"] - a["sklearn_mean"])
        rows.append([a["dataset"], str(a["epochs"]), str(len(a["seeds"])),
                     f"{100 * a['engine_mean']:.1f}% [{100 * min(a['engine']):.1f}..{100 * max(a['engine']):.1f}]",
                     f"{100 * a['sklearn_mean']:.1f}% [{100 * min(a['sklearn']):.1f}..{100 * max(a['sklearn']):.1f}]",
                     f"{diff:+.1f}", "PASS" if diff >= -1.0 else "MISS"])
    print_table(["dataset", "epochs", "seeds", "engine", "sklearn", "points", "within 1 point"], rows)
    print()


# ============================================================================ targets

def check_targets(all_results: dict, use_torch: bool) -> list[dict]:
    """PASS/MISS for every target, per thread setting; each names its worst case."""
    targets = []

    def add(name, threads, instances, bound, fmt="{:.2f}x", higher=True):
        # instances: [(label, value)]; the target must hold for each of them
        if not instances:
            return
        worst = min(instances, key=lambda t: t[1]) if higher else max(instances, key=lambda t: t[1])
        ok = all((v >= bound) if higher else (v <= bound) for _, v in instances)
        misses = [f"{lab} {fmt.format(v)}" for lab, v in instances if not ((v >= bound) if higher else (v <= bound))]
        targets.append({"target": name, "threads": threads, "pass": ok, "worst": worst[0],
                        "worst_value": worst[1], "misses": misses,
                        "line": f"{'PASS' if ok else 'MISS'}  {name} [threads {threads}]: worst "
                                f"{fmt.format(worst[1])} ({worst[0]})" + (f"; misses: {', '.join(misses)}" if misses else "")})

    for threads, by_case in all_results.items():
        def ratio(wkey, opt, a, b):
            res = by_case.get((wkey, opt))  # noqa: B023 (called within this iteration)
            if res is None or b not in res["raw"]:
                return None
            return statistics.median(per_round_ratio(res["raw"][a], res["raw"][b]))

        def inst(wkeys, opts, a, b):
            out = []
            for wk in wkeys:
                for opt in opts:
                    r = ratio(wk, opt, a, b)
                    if r is not None:
                        out.append((f"{wk}/{opt}", r))
            return out

        every = [wk for wk in ("tiny", "small", "large64", "large512")]
        add("engine >= 2.5x sklearn on tiny", threads, inst(["tiny"], ["sgd", "adam"], "engine f32", "sklearn"), 2.5)
        add("engine >= 1.2x sklearn on 784-256-10 b64 (SGD)", threads,
            inst(["large64"], ["sgd"], "engine f32", "sklearn"), 1.2)
        add("engine >= 1.4x sklearn on 784-256-10 b64 (Adam)", threads,
            inst(["large64"], ["adam"], "engine f32", "sklearn"), 1.4)
        add("engine >= 1.3x tutorial loop on every workload", threads,
            inst(every, ["sgd", "adam"], "engine f32", "tutorial f64"), 1.3)
        if use_torch:
            add("engine >= torch on every workload", threads,
                inst(every, ["sgd", "adam"], "engine f32", "torch"), 1.0)
        if threads == "1":
            add("engine f32 at b512 >= 60% of the matmul limit", threads,
                inst(["large512"], ["sgd", "adam"], "engine f32", "matmul limit"), 0.60, fmt="{:.0%}")
        costs = [(f"{wk}/{opt}", res["summary"]["trace_cost"]["median"]) for (wk, opt), res in by_case.items()]
        add("trace cost <= 25%", threads, costs, 0.25, fmt="{:.0%}", higher=False)
    return targets


# ============================================================================ main

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", choices=("1", "default", "both"), default="both",
                   help="BLAS/OpenMP/torch threads: 1, the libraries' default, or both in turn (default both)")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds per table (default 5; quick 3)")
    p.add_argument("--quick", action="store_true", help="fewer epochs, rounds and shorter pauses: a smoke test")
    p.add_argument("--json", metavar="FILE", help="write every measurement as JSON")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    p.add_argument("--workloads", default="tiny,small,large64,large512",
                   help="comma-separated subset of tiny,small,large64,large512")
    p.add_argument("--optimizers", default="sgd,adam", help="comma-separated subset of sgd,adam")
    args = p.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 5)
    pause = 0.05 if args.quick else PAUSE
    began = time.perf_counter()

    use_torch = not args.no_torch and torch_available()  # imports torch, so threadpool_info sees it
    info = _common.machine_info()
    print_machine(info)
    if not use_torch:
        print("note: PyTorch is not installed (or --no-torch): the torch contender is skipped.\n")
    if args.quick:
        print("note: --quick: few epochs, rounds and short pauses; a smoke test, not a measurement.\n")

    wanted = args.workloads.split(",")
    workloads = [w for w in make_workloads(args.quick) if w.key in wanted]
    optimizers = [o for o in args.optimizers.split(",") if o in LR]
    fns = contender_functions(use_torch, args.quick)
    thread_modes = ["1", "default"] if args.threads == "both" else [args.threads]
    print(f"method: {rounds} interleaved rounds (order reversed every other round), {pause:g} s pause "
          f"before each run, median [min..max]; ratios per round, then the median.")
    print("sklearn on moons uses one logistic output unit (2-16-16-1); all others use 2-way softmax.\n")

    all_results: dict[str, dict] = {}
    for threads in thread_modes:
        with thread_setting(threads, use_torch):
            print(f"== throughput, threads: {threads} ==")
            if threads == "1":
                print("(threadpool_limits(1) on every BLAS/OpenMP pool; torch.set_num_threads(1))")
            else:
                from threadpoolctl import threadpool_info
                pools = ", ".join(f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info())
                if use_torch:
                    pools += f"; torch {sys.modules['torch'].get_num_threads()}"
                print(f"(library defaults: {pools})")
            print()
            by_case = {}
            for w in workloads:
                for opt in optimizers:
                    raw = measure(w, opt, fns, rounds, pause)
                    summary = summarise(raw)
                    print_workload_table(w, opt, threads, summary)
                    by_case[(w.key, opt)] = {"raw": raw, "summary": summary}
            all_results[threads] = by_case

    acc = accuracy_check(args.quick)
    print_accuracy(acc)

    targets = check_targets(all_results, use_torch)
    print("== targets ==")
    for t in targets:
        print(t["line"])
    for a in acc:
        ok = a["engine_mean"] - a["sklearn_mean"] >= -0.01
        print(f"{'PASS' if ok else 'MISS'}  engine accuracy within 1 point of sklearn ({a['dataset']}): "
              f"{100 * (a['engine_mean'] - a['sklearn_mean']):+.1f} points")
    if not use_torch:
        print("SKIP  engine >= torch on every workload: PyTorch not installed")
    for threads, by_case in all_results.items():
        print_markdown_summary(threads, by_case)
    print(f"\ntotal time {time.perf_counter() - began:.0f} s; {_common.load_note()}")

    if args.json:
        payload = {
            "machine": info, "rounds": rounds, "pause": pause, "quick": args.quick, "learning_rates": LR,
            "workloads": [{"key": w.key, "title": w.title, "sizes": w.sizes, "activation": w.activation,
                           "batch_size": w.batch_size, "epochs": w.epochs, "n": w.n} for w in workloads],
            "results": {threads: {f"{wk}/{opt}": res["summary"] for (wk, opt), res in by_case.items()}
                        for threads, by_case in all_results.items()},
            "accuracy": acc, "targets": targets,
        }
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=1, default=float)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
