"""Checkpoints: exact round trips, bit-identical resumption, every kind of bad file, and atomic
writes that survive an exception or a SIGKILL mid-write."""
import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from engine import CheckpointError, Network, checkpoint, config, presets
from mlp_tui.fields import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def trained_run(cfg=None, steps=37):
    run = config.build(cfg or presets.get("moons").config)
    run.trainer.train(steps=steps)
    return run


def resume(path):
    """Load a checkpoint into a freshly built run, as the dashboard does."""
    ck = load_checkpoint(path)
    run = config.build(ck.config)
    run.net.params[...] = ck.network.params
    checkpoint.restore_trainer(ck, run.trainer)
    return run


def arrays_and_meta(path):
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return arrays, json.loads(arrays.pop("meta").tobytes().decode("utf-8"))


def write_npz(path, arrays, meta):
    arrays = dict(arrays)
    if meta is not None:
        text = meta if isinstance(meta, str) else json.dumps(meta)
        arrays["meta"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    np.savez(path, **arrays)
    return path


def assert_bad(path, *words):
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message
    assert info.value.path == str(path)
    return message


# ----- round trips -------------------------------------------------------------------------------
def test_round_trip_gives_identical_outputs_and_config(tmp_path):
    cfg = presets.get("moons").config.replace(lr=0.0123456789, decay=1 / 3, l2=1e-4, schedule="step")
    run = trained_run(cfg)
    path = checkpoint.save(tmp_path / "moons.npz", run.trainer, config=cfg)
    assert path == tmp_path / "moons.npz"
    ck = load_checkpoint(path)
    assert ck.config == cfg  # every float kept to the last digit
    assert ck.network.sizes == run.net.sizes and ck.network.config() == run.net.config()
    np.testing.assert_array_equal(ck.network.params, run.net.params)
    np.testing.assert_array_equal(ck.network.forward(run.data.X_test), run.net.forward(run.data.X_test))
    assert ck.metadata["progress"]["step_count"] == 37
    assert ck.metadata["trainer"]["lr"] == cfg.lr
    assert os.listdir(tmp_path) == ["moons.npz"]


def test_bare_network_round_trip_keeps_activation_details(tmp_path):
    net = Network([3, 7, 5, 4], activation="leaky_relu", output="softmax", l2=0.25, l1=0.5, seed=9)
    net.leak = 0.2
    net.params[...] = np.random.default_rng(1).normal(size=net.params.size)
    ck = load_checkpoint(checkpoint.save(tmp_path / "net.npz", net=net))
    assert ck.config is None and ck.network.config() == net.config() and ck.network.leak == 0.2
    X = np.random.default_rng(2).normal(size=(20, 3)) * 3
    np.testing.assert_array_equal(ck.network.forward(X), net.forward(X))


def test_float32_network_round_trips(tmp_path):
    cfg = presets.get("circles").config.replace(dtype="float32")
    run = trained_run(cfg, steps=10)
    assert run.net.params.dtype == np.float32
    ck = load_checkpoint(checkpoint.save(tmp_path / "f32.npz", run.trainer, config=cfg))
    assert ck.network.params.dtype == np.float32 and ck.config.dtype == "float32"
    np.testing.assert_array_equal(ck.network.params, run.net.params)
    np.testing.assert_array_equal(ck.network.forward(run.data.X_test), run.net.forward(run.data.X_test))
    resumed = resume(tmp_path / "f32.npz")
    run.trainer.train(steps=15)
    resumed.trainer.train(steps=15)
    np.testing.assert_array_equal(resumed.net.params, run.net.params)


@pytest.mark.parametrize("changes", [
    {},  # adam, constant rate
    {"optimizer": "momentum", "momentum": 0.8, "schedule": "step", "decay": 0.5, "decay_every": 1},
    {"optimizer": "rmsprop", "clip_norm": 0.5, "schedule": "cosine", "epochs": 5},
])
def test_resuming_mid_epoch_is_bit_identical(tmp_path, changes):
    cfg = presets.get("moons").config.replace(**changes)
    straight = trained_run(cfg, steps=37)  # 22 steps per epoch: in the middle of epoch 2
    assert 0 < straight.trainer.pos < straight.trainer.n
    path = checkpoint.save(tmp_path / "mid.npz", straight.trainer, config=cfg)
    resumed = resume(path)
    assert resumed.trainer.step_count == 37
    assert resumed.trainer.epoch_progress == straight.trainer.epoch_progress
    straight.trainer.train(steps=50)
    resumed.trainer.train(steps=50)
    np.testing.assert_array_equal(resumed.net.params, straight.net.params)
    assert resumed.trainer.step_count == straight.trainer.step_count == 87
    for name in ("step", "loss", "lr"):
        np.testing.assert_array_equal(resumed.trainer.history.steps.column(name),
                                      straight.trainer.history.steps.column(name))
    np.testing.assert_array_equal(resumed.trainer.history.epochs.column("test_acc"),
                                  straight.trainer.history.epochs.column("test_acc"))


# ----- bad files ------------------------------------------------------------------------------------
def test_missing_file_and_folder(tmp_path):
    assert_bad(tmp_path / "nope.npz", "no such file")
    (tmp_path / "dir.npz").mkdir()
    assert_bad(tmp_path / "dir.npz", "folder")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    assert_bad(path, "empty")


def test_truncated_files(tmp_path):
    run = trained_run(steps=3)
    good = checkpoint.save(tmp_path / "good.npz", run.trainer, config=run.config).read_bytes()
    for cut in (1, 2, 6, 30, 100, len(good) // 3, len(good) // 2, len(good) - 100, len(good) - 22,
                len(good) - 1):
        path = tmp_path / f"cut{cut}.npz"
        path.write_bytes(good[:cut])
        assert_bad(path)


def test_garbage_and_flipped_bytes(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(5):
        path = tmp_path / f"garbage{i}.npz"
        path.write_bytes(rng.bytes(int(rng.integers(1, 5000))))
        assert_bad(path)
    run = trained_run(steps=3)
    good = checkpoint.save(tmp_path / "good.npz", run.trainer, config=run.config).read_bytes()
    for i in range(10):
        data = bytearray(good)
        data[int(rng.integers(0, len(data)))] ^= 0xFF
        path = tmp_path / f"flip{i}.npz"
        path.write_bytes(bytes(data))
        assert_bad(path)


def test_plain_npz_without_metadata(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, X=np.zeros((4, 2)), y=np.array([0, 1, 1, 0]))
    assert_bad(path, "no metadata")


@pytest.fixture
def good_parts(tmp_path):
    run = trained_run(steps=3)
    return arrays_and_meta(checkpoint.save(tmp_path / "good.npz", run.trainer, config=run.config))


@pytest.mark.parametrize("case", [
    "json", "not_utf8", "json_list", "other_format", "newer_version", "version_text", "no_network",
    "network_text", "bad_sizes", "config_list", "config_unknown_key", "config_bad_value", "leak_text",
])
def test_corrupt_metadata(tmp_path, good_parts, case):
    arrays, meta = good_parts
    path = tmp_path / f"{case}.npz"
    if case == "json":
        write_npz(path, arrays, '{"format": "mlp-tui-checkpoint", "version": 1, ')
    elif case == "not_utf8":
        arrays = dict(arrays, meta=np.frombuffer(b"\xff\xfe{}", dtype=np.uint8))
        np.savez(path, **arrays)
    elif case == "json_list":
        write_npz(path, arrays, [1, 2, 3])
    elif case == "other_format":
        write_npz(path, arrays, {**meta, "format": "something-else"})
    elif case == "newer_version":
        write_npz(path, arrays, {**meta, "version": 99})
    elif case == "version_text":
        write_npz(path, arrays, {**meta, "version": "2"})
    elif case == "no_network":
        write_npz(path, arrays, {k: v for k, v in meta.items() if k != "network"})
    elif case == "network_text":
        write_npz(path, arrays, {**meta, "network": "2-16-2"})
    elif case == "bad_sizes":
        write_npz(path, arrays, {**meta, "network": {**meta["network"], "sizes": [2, 0, 2]}})
    elif case == "config_list":
        write_npz(path, arrays, {**meta, "config": [1, 2]})
    elif case == "config_unknown_key":
        write_npz(path, arrays, {**meta, "config": {**meta["config"], "warp_speed": 9}})
    elif case == "config_bad_value":
        write_npz(path, arrays, {**meta, "config": {**meta["config"], "lr": -1}})
    elif case == "leak_text":
        write_npz(path, arrays, {**meta, "network": {**meta["network"], "leak": "steep"}})
    message = assert_bad(path)
    if case == "newer_version":
        assert "newer" in message
    if case == "config_unknown_key":
        assert "warp_speed" in message
    if case == "config_bad_value":
        assert "Learning rate" in message


def test_params_with_wrong_shape_or_not_finite(tmp_path, good_parts):
    arrays, meta = good_parts
    n = arrays["params"].size
    cases = {
        "short": arrays["params"][:-1],
        "long": np.concatenate([arrays["params"], [0.0]]),
        "2d": arrays["params"].reshape(1, n),
        "nan": np.where(np.arange(n) == 5, np.nan, arrays["params"]),
        "inf": np.where(np.arange(n) == n - 1, -np.inf, arrays["params"]),
        "text": np.array(["x"] * n),
    }
    for name, params in cases.items():
        path = write_npz(tmp_path / f"{name}.npz", {**arrays, "params": params}, meta)
        message = assert_bad(path)
        if name in ("short", "long", "2d"):
            assert "shape" in message and "2-16-16-2" in message
        if name in ("nan", "inf"):
            assert "NaN or infinity" in message
    path = write_npz(tmp_path / "no_params.npz", {k: v for k, v in arrays.items() if k != "params"}, meta)
    assert_bad(path)


def test_state_that_does_not_fit_is_refused_on_restore(tmp_path, good_parts):
    arrays, meta = good_parts
    cases = {
        "optimizer": ({**arrays, "opt/m": np.zeros(3)}, meta),
        "rng": (arrays, {**meta, "progress": {**meta["progress"], "rng": {"bit_generator": "MT19937"}}}),
        "step": (arrays, {**meta, "progress": {**meta["progress"], "step_count": "many"}}),
        "perm": ({**arrays, "perm": np.zeros_like(arrays["perm"])}, meta),
    }
    for name, (a, m) in cases.items():
        path = write_npz(tmp_path / f"{name}.npz", a, m)
        ck = load_checkpoint(path)  # the network itself is fine
        run = config.build(ck.config)
        with pytest.raises(CheckpointError) as info:
            checkpoint.restore_trainer(ck, run.trainer)
        assert str(path) in str(info.value), name
    other = config.build(presets.get("spiral").config)
    with pytest.raises(CheckpointError, match="does not match"):
        checkpoint.restore_trainer(checkpoint.load(tmp_path / "good.npz"), other.trainer)


def test_a_bad_file_leaves_the_current_network_untouched(tmp_path):
    run = trained_run(steps=5)
    params, outputs = run.net.params.copy(), run.net.forward(run.data.X_test)
    good = checkpoint.save(tmp_path / "good.npz", run.trainer, config=run.config).read_bytes()
    bad = tmp_path / "bad.npz"
    for content in (b"", good[: len(good) // 2], b"PK\x03\x04" + bytes(100)):
        bad.write_bytes(content)
        with pytest.raises(CheckpointError):
            load_checkpoint(bad)
        np.testing.assert_array_equal(run.net.params, params)
        np.testing.assert_array_equal(run.net.forward(run.data.X_test), outputs)


# ----- atomic writes ---------------------------------------------------------------------------------
def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    run = trained_run(steps=5)
    path = checkpoint.save(tmp_path / "ckpt.npz", run.trainer, config=run.config)
    old = path.read_bytes()
    run.trainer.train(steps=5)
    real_savez = np.savez

    def half_then_disk_full(f, **arrays):
        buf = io.BytesIO()
        real_savez(buf, **arrays)
        data = buf.getvalue()
        f.write(data[: len(data) // 2])
        f.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", half_then_disk_full)
    with pytest.raises(CheckpointError) as info:
        checkpoint.save(path, run.trainer, config=run.config)
    assert str(path) in str(info.value) and "No space left" in str(info.value)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["ckpt.npz"]

    def interrupted(f, **arrays):
        f.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(path, run.trainer, config=run.config)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["ckpt.npz"]

    monkeypatch.setattr(np, "savez", real_savez)
    checkpoint.save(path, run.trainer, config=run.config)
    assert checkpoint.load(path).metadata["progress"]["step_count"] == 10
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_saving_into_a_missing_folder_names_it(tmp_path):
    net = Network([2, 3, 2])
    target = tmp_path / "missing" / "ckpt.npz"
    with pytest.raises(CheckpointError) as info:
        checkpoint.save(target, net=net)
    assert str(target) in str(info.value) and "does not exist" in str(info.value)
    with pytest.raises(ValueError):
        checkpoint.save(tmp_path / "x.npz")


SAVER = """
import sys
import numpy as np
from engine import Network, checkpoint
net = Network([784, 512, 10], activation="relu", seed=0)
k = 0
while True:
    k += 1
    net.params[...] = k
    checkpoint.save(sys.argv[1], net=net)
    if k == 1:
        print("saved", flush=True)
"""


def test_sigkill_during_saves_never_leaves_a_corrupt_checkpoint(tmp_path):
    path = tmp_path / "big.npz"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    rng = np.random.default_rng(1234)
    seen = set()
    for _ in range(10):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()  # the first complete save of this process
            assert line.strip() == "saved", proc.stderr.read()
            time.sleep(float(rng.uniform(0.0, 0.08)))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(5)
            proc.stdout.close()
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        ck = checkpoint.load(path)  # old or new, never half-written
        params = ck.network.params
        assert ck.network.sizes == (784, 512, 10)
        assert params[0] >= 1 and np.all(params == params[0])  # one save, not a mixture
        seen.add(float(params[0]))
    assert len(seen) > 1  # the kills landed at different moments


def test_saved_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    from engine.atomic import atomic_write

    target = tmp_path / "out.bin"
    old = os.umask(0o022)
    try:
        with atomic_write(target) as f:
            f.write(b"data")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert target.read_bytes() == b"data"
