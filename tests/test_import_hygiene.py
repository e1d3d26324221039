"""The engine is pure NumPy: importing it never pulls in textual or rich (nor scikit-learn eagerly)."""
import subprocess
import sys


def test_engine_never_imports_textual_or_rich():
    code = ("import sys, engine, engine.datasets, engine.trainer, engine.checkpoint, engine.presets; "
            "bad = [m for m in ('textual', 'rich', 'sklearn') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_engine_holds_no_words_for_people():
    """Labels, help texts, live flags and advice live in mlp_tui; the engine keeps plain data."""
    import importlib
    import pkgutil

    import engine
    from engine import config, trainer

    for info in pkgutil.iter_modules(engine.__path__):
        module = importlib.import_module(f"engine.{info.name}")
        assert not hasattr(module, "FIELDS") and not hasattr(module, "LIVE_FIELDS"), info.name
    assert all(not hasattr(spec, attr) for spec in config.SPECS.values() for attr in ("label", "help", "live"))
    assert not hasattr(trainer.DivergenceReport, "message")
    assert "controller" not in {info.name for info in pkgutil.iter_modules(engine.__path__)}


def test_the_checkpoint_module_does_not_know_run_configs():
    import engine.checkpoint

    assert not hasattr(engine.checkpoint, "RunConfig") and not hasattr(engine.checkpoint, "from_mapping")
