"""The engine is pure NumPy: importing it never pulls in textual or rich (nor scikit-learn eagerly)."""
import subprocess
import sys


def test_engine_never_imports_textual_or_rich():
    code = ("import sys, engine, engine.datasets, engine.trainer, engine.checkpoint, engine.presets; "
            "bad = [m for m in ('textual', 'rich', 'sklearn') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
