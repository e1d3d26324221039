"""Robustness of a diverging run: the watchdog pauses, names the layer and the gradient norm, keeps
the parameters finite and no NaN reaches a widget; a lower learning rate trains again.
"""
from __future__ import annotations

import time

import numpy as np
from textual.widgets import Input, Label, Sparkline

from helpers import screen_text, widget_text

# ----------------------------------------------------------------------------------- divergence


def check_no_nan_in_widgets(app) -> None:
    for spark in app.query(Sparkline):
        data = list(spark.data or [])
        assert all(np.isfinite(data)), (spark.id, data)
    for selector in ("#progress", "#grad-norms"):
        text = widget_text(app, selector).lower()
        assert "nan" not in text and "inf" not in text, text
    for label in app.query(".metric-value").results(Label):
        text = str(label.render()).lower()
        assert "nan" not in text and "inf" not in text, text
    assert "nan" not in screen_text(app).lower()  # no NaN anywhere on screen


async def _diverge_then_recover(app, pilot, lower: str) -> None:
    ctl = app.session.controller
    step = app.session.trainer.step_count
    ctl.max_steps = step + 2000
    ctl.resume()
    assert ctl.wait(10)
    app.poll(force=True)
    await pilot.pause()
    snap = app.session.snapshot()
    assert snap.state == "diverged" and not ctl.running  # the watchdog paused training
    report = snap.divergence
    assert report is not None
    status = app.status_text
    assert status.startswith("Diverged") and app.query_one("#status").has_class("-error")
    assert f"in layer {report.layer}" in status  # names the layer ...
    assert "gradient" in status and "norm" in status  # ... and the gradient norm(s)
    assert f"{max(g for g in report.grad_norms if np.isfinite(g)):.3g}" in status
    assert np.all(np.isfinite(app.session.net.params)) and np.all(np.isfinite(snap.params))
    check_no_nan_in_widgets(app)
    # A lower learning rate, typed into the form while paused, trains again.
    lr = app.query_one("#field-lr", Input)
    lr.value = lower
    await pilot.pause()
    assert app.session.trainer.lr == float(lower)
    resumed_at = app.session.trainer.step_count
    ctl.max_steps = resumed_at + 1500
    ctl.resume()
    assert ctl.running
    deadline = time.monotonic() + 5
    while app.session.snapshot().step <= resumed_at and time.monotonic() < deadline:
        time.sleep(0.005)
    assert app.session.snapshot().state in ("running", "finished")
    assert ctl.wait(10)
    snap = app.session.snapshot()
    assert snap.state == "finished" and snap.divergence is None
    assert snap.step == resumed_at + 1500
    assert np.isfinite(snap.step_loss) and np.all(np.isfinite(snap.params))
    app.poll(force=True)
    await pilot.pause()
    check_no_nan_in_widgets(app)


async def test_a_learning_rate_of_1e3_diverges_and_a_lower_one_recovers(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(20)
        lr = app.query_one("#field-lr", Input)
        lr.value = "1e3"  # the top of the allowed range, set while paused
        await pilot.pause()
        assert not app.form.errors and app.session.trainer.lr == 1000.0
        await _diverge_then_recover(app, pilot, "0.01")


async def test_the_exploding_preset_is_caught_and_recovers(app_factory):
    app = app_factory(preset="lr-too-high")
    async with app.run_test(size=(120, 40)) as pilot:
        await _diverge_then_recover(app, pilot, "0.1")


async def test_no_nan_reaches_the_chart_after_divergence(app_factory):
    app = app_factory(preset="lr-too-high")
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.controller.max_steps = 2000
        app.session.controller.resume()
        app.session.controller.wait(10)
        await pilot.press("2", "c")
        await pilot.press("l")  # log scale too
        await pilot.pause()
        assert app.session.snapshot().state == "diverged"
        assert app._exception is None
        assert "nan" not in screen_text(app).lower()
