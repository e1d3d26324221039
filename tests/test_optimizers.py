"""Optimizers, learning-rate schedules and gradient clipping against hand-computed formulas."""
import math

import numpy as np
import pytest

from engine.clipping import clip_by_global_norm, clip_by_value
from engine.optimizers import OPTIMIZERS, Optimizer, make_optimizer
from engine.schedules import SCHEDULES, make_schedule

RTOL = 1e-12

P0 = np.array([0.5, -1.25, 2.0, 0.0, -0.3])
G1 = np.array([0.02, -0.4, 1.5, 0.0, -3.0])
G2 = np.array([-0.1, 0.25, 0.7, 2.0, 0.05])


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-15)


def run(opt, steps):
    """Apply steps [(grad, lr)] to a copy of P0; returns params after each step."""
    p = P0.copy()
    out = []
    for g, lr in steps:
        opt.step(p, g.copy(), lr)
        out.append(p.copy())
    return out


# ----------------------------------------------------------------------------- formulas

def test_sgd_two_steps_with_lr_change():
    opt = make_optimizer("sgd", 5, "float64")
    p1, p2 = run(opt, [(G1, 0.1), (G2, 0.03)])
    e1 = P0 - 0.1 * G1
    close(p1, e1)
    close(p2, e1 - 0.03 * G2)
    assert opt.t == 2
    assert opt.snapshot_state() == {}


def test_momentum_two_steps_with_lr_and_momentum_change():
    opt = make_optimizer("momentum", 5, "float64", momentum=0.9)
    p = P0.copy()
    opt.step(p, G1.copy(), 0.1)
    v1 = 0.9 * np.zeros(5) - 0.1 * G1
    e1 = P0 + v1
    close(p, e1)
    opt.momentum = 0.5          # takes effect next step, state kept
    opt.step(p, G2.copy(), 0.02)
    v2 = 0.5 * v1 - 0.02 * G2
    close(opt.v, v2)
    close(p, e1 + v2)


def test_nesterov_two_steps_and_alias():
    for opt in (make_optimizer("nesterov", 5, momentum=0.9),
                make_optimizer("momentum", 5, momentum=0.9, nesterov=True)):
        assert opt.name == "nesterov"
        p = P0.copy()
        v0 = np.zeros(5)
        opt.step(p, G1.copy(), 0.1)
        v1 = 0.9 * v0 - 0.1 * G1
        e1 = P0 - 0.9 * v0 + (1 + 0.9) * v1
        close(p, e1)
        opt.momentum = 0.7
        opt.step(p, G2.copy(), 0.05)
        v2 = 0.7 * v1 - 0.05 * G2
        close(opt.v, v2)
        close(p, e1 - 0.7 * v1 + (1 + 0.7) * v2)


def adam_naive(p, g, m, v, t, lr, b1=0.9, b2=0.999, eps=1e-8):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def test_adam_two_steps_against_naive_formula():
    opt = make_optimizer("adam", 5)
    assert opt.hyperparameters() == {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    p1, p2 = run(opt, [(G1, 0.01), (G2, 0.003)])
    e1, m, v = adam_naive(P0, G1, np.zeros(5), np.zeros(5), 1, 0.01)
    close(p1, e1)
    e2, m, v = adam_naive(e1, G2, m, v, 2, 0.003)
    close(p2, e2)
    close(opt.m, m)
    close(opt.v, v)


def test_adam_hyperparameter_change_between_steps():
    opt = make_optimizer("adam", 5, beta1=0.8, beta2=0.99, eps=1e-6)
    p = P0.copy()
    opt.step(p, G1.copy(), 0.01)
    e1, m, v = adam_naive(P0, G1, np.zeros(5), np.zeros(5), 1, 0.01, 0.8, 0.99, 1e-6)
    close(p, e1)
    opt.beta1 = 0.5
    opt.eps = 1e-3
    opt.step(p, G2.copy(), 0.02)
    e2, _, _ = adam_naive(e1, G2, m, v, 2, 0.02, 0.5, 0.99, 1e-3)
    close(p, e2)


def test_rmsprop_two_steps_with_rho_change():
    opt = make_optimizer("rmsprop", 5, rho=0.9, eps=1e-8)
    p = P0.copy()
    opt.step(p, G1.copy(), 0.01)
    s1 = 0.9 * np.zeros(5) + (1 - 0.9) * G1 * G1
    e1 = P0 - 0.01 * G1 / (np.sqrt(s1) + 1e-8)
    close(p, e1)
    opt.rho = 0.5
    opt.step(p, G2.copy(), 0.02)
    s2 = 0.5 * s1 + (1 - 0.5) * G2 * G2
    close(opt.s, s2)
    close(p, e1 - 0.02 * G2 / (np.sqrt(s2) + 1e-8))


def test_reset_zeroes_state_keeps_objects():
    opt = make_optimizer("adam", 5)
    m, v = opt.m, opt.v
    run(opt, [(G1, 0.1)])
    opt.reset()
    assert opt.t == 0 and opt.m is m and opt.v is v
    assert not m.any() and not v.any()


# ----------------------------------------------------------------------------- state / dtype

@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_round_trip_bit_identical(name):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(50) for _ in range(6)]
    a = make_optimizer(name, 50)
    pa = rng.standard_normal(50)
    for g in grads[:3]:
        a.step(pa, g, 0.05)
    d = a.state_dict()
    # restore into a fresh optimizer with different hyperparameters: they are restored too
    b = make_optimizer(name, 50, **({"momentum": 0.1} if name in ("momentum", "nesterov") else {}))
    b.load_state_dict({k: (np.asarray(v) if not isinstance(v, np.ndarray) else v)
                       for k, v in d.items()})  # as np.load would give
    pb = pa.copy()
    assert b.t == a.t == 3
    for g in grads[3:]:
        a.step(pa, g, 0.05)
        b.step(pb, g, 0.05)
    assert np.array_equal(pa, pb)
    # the dict held copies
    for k, val in d.items():
        if isinstance(val, np.ndarray):
            assert val is not getattr(a, k)


def test_load_state_dict_rejects_mismatch():
    a = make_optimizer("adam", 4)
    d = a.state_dict()
    with pytest.raises(ValueError, match="m"):
        make_optimizer("adam", 5).load_state_dict(d)
    with pytest.raises(ValueError, match="unexpected"):
        make_optimizer("sgd", 4).load_state_dict(d)
    del d["v"]
    with pytest.raises(ValueError, match="v"):
        make_optimizer("adam", 4).load_state_dict(d)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_float32_stays_float32_and_no_new_state_arrays(name):
    opt = make_optimizer(name, 8, "float32")
    p = np.linspace(-1, 1, 8, dtype=np.float32)
    g = np.linspace(0.5, -0.5, 8, dtype=np.float32)
    opt.step(p, g, 0.1)
    before = {k: getattr(opt, k) for k in opt.snapshot_state()}
    scratch = opt._scratch
    opt.step(p, g, np.float64(0.05))  # a float64 lr must not upcast
    assert p.dtype == np.float32 and g.dtype == np.float32
    for k, arr in before.items():
        assert getattr(opt, k) is arr and opt._states[k] is arr
        assert arr.dtype == np.float32
    assert opt._scratch is scratch
    assert np.all(np.isfinite(p))


def test_step_rejects_wrong_shape_dtype_lr():
    opt = make_optimizer("sgd", 3)
    with pytest.raises(ValueError, match="shape"):
        opt.step(np.zeros(4), np.zeros(4), 0.1)
    with pytest.raises(ValueError, match="dtype"):
        opt.step(np.zeros(3, np.float32), np.zeros(3, np.float32), 0.1)
    with pytest.raises(ValueError, match="lr"):
        opt.step(np.zeros(3), np.zeros(3), -1.0)


# ----------------------------------------------------------------------------- validation

@pytest.mark.parametrize("name, kwargs, arg", [
    ("bogus", {}, "name"),
    ("momentum", {"momentum": 1.0}, "momentum"),
    ("momentum", {"momentum": -0.1}, "momentum"),
    ("nesterov", {"momentum": float("nan")}, "momentum"),
    ("adam", {"beta1": 1.0}, "beta1"),
    ("adam", {"beta2": -0.5}, "beta2"),
    ("adam", {"eps": 0.0}, "eps"),
    ("rmsprop", {"rho": 1.5}, "rho"),
    ("rmsprop", {"eps": -1e-8}, "eps"),
    ("sgd", {"momentum": 0.9}, "momentum"),
    ("sgd", {"lr": 0.1}, "lr"),
    ("adam", {"nesterov": True}, "nesterov"),
])
def test_make_optimizer_bad_arguments(name, kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        make_optimizer(name, 4, **kwargs)


def test_make_optimizer_bad_size_dtype_and_attribute_assignment():
    with pytest.raises(ValueError, match="n_params"):
        make_optimizer("sgd", -1)
    with pytest.raises(ValueError, match="dtype"):
        make_optimizer("sgd", 3, "int32")
    opt = make_optimizer("momentum", 3)
    with pytest.raises(ValueError, match="momentum"):
        opt.momentum = 1.2
    assert opt.momentum == 0.9
    assert isinstance(opt, Optimizer)


# ----------------------------------------------------------------------------- explain

def explain_one(name, k=0, lr=0.1, **hyper):
    opt = make_optimizer(name, 3, **hyper)
    p = np.array([0.5, -0.2, 1.0])
    g = np.array([0.02, -0.3, 0.0])
    opt.step(p, g, lr)  # give the state some history
    before, sb = p.copy(), opt.snapshot_state()
    opt.step(p, g, lr)
    text = opt.explain_element(k, "W1[0,2]", float(before[k]), float(g[k]), lr, sb,
                               opt.snapshot_state(), float(p[k]))
    return opt, text, float(before[k]), float(p[k])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_explain_element_ends_with_real_after(name):
    for k in range(3):
        opt, text, before, after = explain_one(name, k)
        last = text.splitlines()[-1]
        assert last.startswith("W1_new[0,2] = W1[0,2] + ")
        numbers, stated = last.split(" = ")[-2:]
        assert float(numbers.split(" + ")[0]) == pytest.approx(before, rel=1e-4)
        assert float(stated) == pytest.approx(after, rel=1e-5)
        assert "dW1[0,2]" in text
        assert isinstance(opt.formula("W2"), str) and "W2" in opt.formula("W2")


def test_explain_sgd_exact_text():
    opt = make_optimizer("sgd", 1)
    p = np.array([0.5])
    opt.step(p, np.array([0.02]), 0.1)
    text = opt.explain_element(0, "W1[0,2]", 0.5, 0.02, 0.1, {}, {}, float(p[0]))
    assert text == ("Δ = -lr*dW1[0,2] = -0.1*0.02 = -0.002\n"
                    "W1_new[0,2] = W1[0,2] + Δ = 0.5 + (-0.002) = 0.498")
    assert opt.formula("W1") == "W1_new = W1 - lr * dW1"


def test_explain_momentum_numbers_and_negative_parentheses():
    opt = make_optimizer("momentum", 1, momentum=0.9)
    p = np.array([0.5])
    sb = opt.snapshot_state()
    opt.step(p, np.array([0.02]), 0.1)
    text = opt.explain_element(0, "W1[0,2]", 0.5, 0.02, 0.1, sb, opt.snapshot_state(),
                               float(p[0]))
    assert "0.9*0 - 0.1*0.02 = -0.002" in text
    assert "0.5 + (-0.002) = 0.498" in text
    _, text, _, _ = explain_one("sgd", k=1)
    assert "*(-0.3)" in text


def test_explain_adam_shows_all_stages():
    _, text, _, _ = explain_one("adam", k=1)
    for word in ("m = ", "v = ", "m_hat = ", "v_hat = ", "sqrt", "0.9", "0.999", "Δ = "):
        assert word in text
    assert len(text.splitlines()) == 6


# ----------------------------------------------------------------------------- schedules

@pytest.mark.parametrize("epoch", [0.0, 0.5, 9.99, 10.0, 25.3, 150.0])
def test_schedules_against_formula(epoch):
    base = 0.2
    assert make_schedule("constant").lr(base, epoch) == base
    assert make_schedule("step").lr(base, epoch) == pytest.approx(
        base * 0.5 ** math.floor(epoch / 10), rel=RTOL)
    assert make_schedule("step", factor=0.1, every=3).lr(base, epoch) == pytest.approx(
        base * 0.1 ** math.floor(epoch / 3), rel=RTOL)
    assert make_schedule("exponential").lr(base, epoch) == pytest.approx(
        base * 0.95 ** epoch, rel=RTOL)
    assert make_schedule("inverse_time", decay=0.3).lr(base, epoch) == pytest.approx(
        base / (1 + 0.3 * epoch), rel=RTOL)
    assert make_schedule("cosine", period=20, min_lr=0.01).lr(base, epoch) == pytest.approx(
        0.01 + 0.5 * (base - 0.01) * (1 + math.cos(math.pi * min(epoch, 20) / 20)), rel=RTOL)
    assert make_schedule("cosine").lr(base, epoch) == pytest.approx(
        0.5 * base * (1 + math.cos(math.pi * min(epoch, 100) / 100)), rel=RTOL, abs=1e-15)


def test_schedule_describe_params_and_endpoints():
    for name in SCHEDULES:
        s = make_schedule(name)
        assert s.describe().startswith("lr = ")
        assert isinstance(s.params(), dict)
    assert make_schedule("step").params() == {"factor": 0.5, "every": 10.0}
    c = make_schedule("cosine", period=10, min_lr=0.001)
    assert c.lr(0.1, 0) == pytest.approx(0.1) and c.lr(0.1, 10) == pytest.approx(0.001)
    assert c.lr(0.1, 50) == pytest.approx(0.001)


@pytest.mark.parametrize("name, kwargs, arg", [
    ("nope", {}, "name"),
    ("step", {"factor": 0.0}, "factor"),
    ("step", {"factor": 1.5}, "factor"),
    ("step", {"every": 0.5}, "every"),
    ("exponential", {"rate": 0.0}, "rate"),
    ("exponential", {"rate": 2.0}, "rate"),
    ("inverse_time", {"decay": -0.1}, "decay"),
    ("cosine", {"period": 0}, "period"),
    ("cosine", {"min_lr": -1}, "min_lr"),
    ("constant", {"rate": 0.5}, "rate"),
])
def test_make_schedule_bad_arguments(name, kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        make_schedule(name, **kwargs)


def test_schedule_rejects_negative_epoch():
    with pytest.raises(ValueError, match="epoch"):
        make_schedule("constant").lr(0.1, -1)


# ----------------------------------------------------------------------------- clipping

def test_clip_by_global_norm_scales_to_max_norm():
    g = np.array([3.0, -4.0, 12.0])  # norm 13
    norm = clip_by_global_norm(g, 6.5)
    assert norm == pytest.approx(13.0, rel=RTOL)
    close(g, np.array([1.5, -2.0, 6.0]))
    assert np.sqrt(np.vdot(g, g)) == pytest.approx(6.5, rel=RTOL)
    g = np.array([3.0, 4.0])
    assert clip_by_global_norm(g, 10.0) == pytest.approx(5.0)
    assert np.array_equal(g, [3.0, 4.0])  # below the limit: untouched


def test_clip_by_global_norm_float32_and_non_finite():
    g = np.array([3.0, 4.0], np.float32)
    assert clip_by_global_norm(g, 1.0) == pytest.approx(5.0)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, [0.6, 0.8], rtol=1e-6)
    g = np.array([np.inf, 1.0])
    assert clip_by_global_norm(g, 1.0) == np.inf
    assert g[1] == 1.0
    g = np.array([np.nan, 1.0])
    assert math.isnan(clip_by_global_norm(g, 1.0)) and g[1] == 1.0


def test_clip_by_value():
    g = np.array([-3.0, -0.5, 0.2, 7.0])
    assert clip_by_value(g, 1.0) is None
    assert np.array_equal(g, [-1.0, -0.5, 0.2, 1.0])


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), float("nan"), "x"])
def test_clipping_bad_arguments(bad):
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_global_norm(np.ones(2), bad)
    with pytest.raises(ValueError, match="limit"):
        clip_by_value(np.ones(2), bad)
