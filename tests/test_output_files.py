"""Output files: replacing one keeps its permissions; a symbolic link, a pipe or a device at an
output path is refused with one line and left exactly as it was."""
from __future__ import annotations

import os
import stat

import pytest

from engine import checkpoint
from engine.atomic import atomic_write
from engine.config import RunConfig
from mlp_tui.cli import main
from mlp_tui.settings_file import ConfigFileError, write_config

TINY = ["train", "--preset", "xor-2-3-2", "--epochs", "2", "--progress", "none"]


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("flag", ["--json", "--csv", "--save"])
def test_replacing_a_private_output_keeps_it_private(flag, tmp_path, capsys):
    path = tmp_path / "out"
    path.write_text("old")
    path.chmod(0o600)
    assert main([*TINY, flag, str(path)]) == 0
    assert path.read_bytes() != b"old"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_saving_settings_over_a_private_file_keeps_it_private(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("lr = 0.5\n")
    path.chmod(0o640)
    write_config(path, RunConfig(lr=0.2))
    assert "lr = 0.2" in path.read_text() and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_new_output_gets_the_usual_mode(tmp_path, capsys):
    path = tmp_path / "new.json"
    mask = os.umask(0o022)
    try:
        assert main([*TINY, "--json", str(path)]) == 0
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def _symlink(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("keep me")
    link = tmp_path / "link"
    link.symlink_to(target)
    return link, lambda: link.is_symlink() and target.read_text() == "keep me"


def _fifo(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    return fifo, lambda: stat.S_ISFIFO(os.lstat(fifo).st_mode)


def _device(tmp_path):
    node = tmp_path / "null"
    try:  # a private copy of /dev/null: a failing test must not replace the real one
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pytest.skip("creating a device node needs root")
    return node, lambda: stat.S_ISCHR(os.lstat(node).st_mode)


MAKERS = {"symlink": (_symlink, "a symbolic link"), "fifo": (_fifo, "a pipe"), "device": (_device, "a device")}


@pytest.mark.parametrize("flag", ["--json", "--csv", "--save"])
@pytest.mark.parametrize("what", list(MAKERS))
def test_a_special_file_at_an_output_path_is_refused_and_kept(what, flag, tmp_path, capsys):
    make, words = MAKERS[what]
    path, intact = make(tmp_path)
    assert main([*TINY, flag, str(path)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(path) in line and f"{words} is there; it is not replaced" in line
    assert intact()


@pytest.mark.parametrize("what", list(MAKERS))
def test_every_writer_refuses_a_special_file(what, tmp_path):
    make, words = MAKERS[what]
    path, intact = make(tmp_path)
    with pytest.raises(OSError, match=words):
        with atomic_write(path) as f:
            f.write(b"x")
    with pytest.raises(ConfigFileError, match=f"{words} is there"):
        write_config(path, RunConfig())
    from engine.network import Network
    with pytest.raises(checkpoint.CheckpointError, match=f"{words} is there"):
        checkpoint.save(path, net=Network([2, 2]))
    assert intact()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
