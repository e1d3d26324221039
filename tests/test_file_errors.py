"""One wording for one file error: every loader says the same thing about a file it may not read."""
import builtins
import errno
import io
import os

import pytest

from engine import checkpoint, config as cfg, datasets
from engine.errors import EngineError
from mlp_tui.settings_file import load_config, write_config


def _write_csv(path):
    path.write_text("a,b,label\n" + "".join(f"{i},{-i},{i % 2}\n" for i in range(10)))


def _write_checkpoint(path):
    checkpoint.save(path, net=cfg.build(cfg.RunConfig(dataset="xor", hidden=(3,))).net)


def _write_settings(path):
    write_config(path, cfg.RunConfig(lr=0.1))


LOADERS = {"dataset": (".csv", _write_csv, lambda p: datasets.load(str(p))),
           "checkpoint": (".npz", _write_checkpoint, checkpoint.load),
           "settings": (".toml", _write_settings, load_config)}


@pytest.mark.parametrize("kind", LOADERS)
def test_a_file_that_may_not_be_read_is_worded_the_same_by_every_loader(kind, tmp_path, monkeypatch):
    suffix, write, load = LOADERS[kind]
    path = tmp_path / f"locked{suffix}"
    write(path)
    real_open = builtins.open

    def denied(file, *args, **kw):  # what the kernel raises for a file without read permission
        if isinstance(file, (str, os.PathLike)) and os.path.abspath(file) == str(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_open(file, *args, **kw)

    monkeypatch.setattr(builtins, "open", denied)
    monkeypatch.setattr(io, "open", denied)
    with pytest.raises(EngineError) as e:
        load(path)
    assert str(e.value) == f"{path}: cannot read the file: permission denied"
    assert e.value.path == str(path)
