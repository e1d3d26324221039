"""Shared fixtures: a seeded dashboard built on small, fast runs; colour mode set explicitly."""
import pytest

from engine import config as cfg
from engine import presets
from mlp_tui.app import MlpApp
from mlp_tui.options import DashboardOptions
from mlp_tui.session import Session


def make_app(preset="moons", color="color", speed=None, **changes) -> MlpApp:
    """A dashboard on ``preset``; training runs flat out (``speed`` None) unless a test is about
    the pace, so tests that train many steps do not wait for the classroom pace."""
    config = presets.get(preset).config.replace(**changes)
    return MlpApp(Session(cfg.build(config)), DashboardOptions(color=color, speed=speed))


@pytest.fixture
def app_factory():
    apps = []

    def factory(*args, **kw):
        app = make_app(*args, **kw)
        apps.append(app)
        return app

    yield factory
    for app in apps:  # never leave a training thread behind, even when a test fails
        app.session.shutdown()
