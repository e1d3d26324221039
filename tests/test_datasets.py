"""Datasets: built-in shapes and determinism, the split, and every user-file loader on good and
bad files (messages must name the file and, for CSV, the line and column)."""
import gzip
import os
import struct
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import DatasetError
from engine import datasets as ds
from engine import inputs
from engine.datasets import DATASETS, DEFAULTS, load

GENERATED = [n for n in DATASETS if n not in ("xor", "digits")]


def _arrays(d):
    return (d.X_train, d.y_train, d.X_test, d.y_test)


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(_arrays(a), _arrays(b)))


def _check_contract(d):
    for X, y in ((d.X_train, d.y_train), (d.X_test, d.y_test)):
        assert X.dtype == np.float64 and X.flags.c_contiguous and X.ndim == 2
        assert y.dtype == np.int64 and y.shape == (X.shape[0],)
        assert X.shape[1] == d.n_features == len(d.feature_names)
        assert y.min() >= 0 and y.max() < d.n_classes
        assert np.isfinite(X).all()


# --------------------------------------------------------------------------- built-ins


def test_importing_the_module_does_not_import_sklearn():
    code = "import sys, engine.datasets; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)), check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", GENERATED)
def test_generated_sets_shapes_dtypes_and_default_sizes(name):
    d = load(name)
    _check_contract(d)
    assert d.is_2d and d.name == name
    n = DEFAULTS[name]["n_samples"]
    assert d.n_train + d.n_test == n
    assert d.n_test == pytest.approx(0.3 * n, abs=d.n_classes)
    assert set(np.unique(d.y_train)) == set(range(d.n_classes)) == set(np.unique(d.y_test))


@pytest.mark.parametrize("name", GENERATED)
def test_same_arguments_same_arrays_and_other_seed_differs(name):
    a = load(name, n_samples=200, noise=0.3, seed=5)
    b = load(name, n_samples=200, noise=0.3, seed=5)
    c = load(name, n_samples=200, noise=0.3, seed=6)
    assert _same(a, b)
    assert not np.array_equal(a.X_train, c.X_train)


def test_xor_is_the_truth_table_for_train_and_test():
    d = load("xor", n_samples=999, noise=5.0)  # both ignored
    assert d.X_test is d.X_train and d.y_test is d.y_train
    np.testing.assert_array_equal(d.X_train, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(d.y_train, [0, 1, 1, 0])
    assert d.n_classes == 2 and d.extent == pytest.approx((-0.1, 1.1, -0.1, 1.1))
    s = load("xor", standardize=True)
    assert s.X_test is s.X_train
    np.testing.assert_allclose(s.X_train, [[-1, -1], [-1, 1], [1, -1], [1, 1]])


@pytest.mark.parametrize("name", ["moons", "circles", "xor-cloud"])
def test_two_class_sets_are_balanced(name):
    d = load(name, n_samples=501)
    counts = np.bincount(np.concatenate([d.y_train, d.y_test]))
    assert counts.tolist() in ([251, 250], [250, 251])


def test_circles_inner_radius_is_half_without_noise():
    d = load("circles", n_samples=100, noise=0)
    X, y = np.vstack([d.X_train, d.X_test]), np.concatenate([d.y_train, d.y_test])
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.5)


def test_xor_cloud_labels_are_xor_of_signs_without_noise():
    d = load("xor-cloud", noise=0)
    X, y = d.X_train, d.y_train
    np.testing.assert_array_equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(int))


@pytest.mark.parametrize("name", ["spiral", "blobs"])
def test_classes_argument_sets_the_number_of_classes(name):
    d = load(name, classes=4, n_samples=200)
    assert d.n_classes == 4
    assert set(np.concatenate([d.y_train, d.y_test])) == {0, 1, 2, 3}
    assert load(name).n_classes == 3


def test_spiral_radius_grows_from_0_to_1():
    d = load("spiral", noise=0)
    r = np.hypot(*np.vstack([d.X_train, d.X_test]).T)
    assert r.min() == pytest.approx(0) and r.max() == pytest.approx(1)


def test_digits_shape_range_and_split():
    d = load("digits")
    _check_contract(d)
    assert d.n_train + d.n_test == 1797 and d.n_features == 64 and d.n_classes == 10
    assert d.X_train.min() >= 0 and d.X_train.max() == 1.0
    assert d.feature_names[:2] == ["px0_0", "px0_1"] and d.extent is None
    assert d.n_test == pytest.approx(0.3 * 1797, abs=10)
    assert _same(d, load("digits"))
    assert not np.array_equal(d.y_train, load("digits", seed=1).y_train)
    small = load("digits", n_samples=100, test_fraction=0.5)
    assert small.n_train + small.n_test == 100


def test_extent_pads_by_ten_percent():
    d = load("moons")
    X = np.vstack([d.X_train, d.X_test])
    xmin, xmax, ymin, ymax = d.extent
    span = X.max(0) - X.min(0)
    assert xmin == pytest.approx(X[:, 0].min() - 0.1 * span[0])
    assert ymax == pytest.approx(X[:, 1].max() + 0.1 * span[1])


def test_standardize_uses_training_statistics():
    raw = load("blobs", seed=3)
    d = load("blobs", seed=3, standardize=True)
    np.testing.assert_allclose(d.X_train.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(d.X_train.std(0), 1)
    mean, std = raw.X_train.mean(0), raw.X_train.std(0)
    np.testing.assert_allclose(d.X_test, (raw.X_test - mean) / std)


def test_names_are_case_insensitive_and_describe_has_a_line_for_each():
    assert load("XOR_Cloud", n_samples=8).name == "xor-cloud"
    for name in DATASETS:
        line = ds.describe(name)
        assert line.startswith(name) and "\n" not in line


@pytest.mark.parametrize("kwargs, arg", [
    ({"test_fraction": -0.1}, "test_fraction"),
    ({"test_fraction": 0.95}, "test_fraction"),
    ({"test_fraction": float("nan")}, "test_fraction"),
    ({"n_samples": 3}, "n_samples"),
    ({"n_samples": 100_001}, "n_samples"),
    ({"n_samples": 10.0}, "n_samples"),
    ({"noise": -0.1}, "noise"),
    ({"noise": float("inf")}, "noise"),
    ({"noise": 11}, "noise"),
    ({"noise": "lots"}, "noise"),
    ({"classes": 1}, "classes"),
    ({"classes": 11}, "classes"),
    ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"),
    ({"label_column": 0}, "label_column"),
])
def test_bad_arguments_name_the_argument(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        load("spiral", **kwargs)


def test_n_samples_too_small_for_the_classes():
    with pytest.raises(ValueError, match="n_samples.*per class"):
        load("spiral", classes=10, n_samples=10)


def test_unknown_name_lists_builtins_and_says_not_found():
    with pytest.raises(DatasetError) as e:
        load("no-such-set.csv")
    msg = str(e.value)
    assert "no-such-set.csv" in msg and "not found" in msg
    assert all(name in msg for name in DATASETS)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=2, max_size=60), st.floats(0.05, 0.9),
       st.integers(0, 99))
def test_split_is_a_stratified_partition(labels, frac, seed):
    y = np.array(labels)
    tr, te = ds.split_indices(y, frac, np.random.default_rng(seed))
    assert sorted(np.concatenate([tr, te]).tolist()) == list(range(y.size))
    assert te.size >= 1
    for c in np.unique(y):
        if (y == c).sum() >= 2:  # every class with 2+ samples is in both parts
            assert c in y[tr] and c in y[te]


# --------------------------------------------------------------------------- CSV


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text) if isinstance(text, str) else p.write_bytes(text)
    return str(p)


def test_csv_without_header(tmp_path):
    rows = "\n".join(f"{i},{i * 2},{i % 2}" for i in range(10))
    d = load(_write(tmp_path, "a.csv", rows + "\n"))
    _check_contract(d)
    assert d.n_train + d.n_test == 10 and d.n_features == 2 and d.n_classes == 2
    assert d.feature_names == ["x1", "x2"] and d.path == str(tmp_path / "a.csv")
    X = np.vstack([d.X_train, d.X_test])
    y = np.concatenate([d.y_train, d.y_test])
    np.testing.assert_array_equal(y, X[:, 0] % 2)


def test_csv_with_header_label_column_by_name_and_remapped_labels(tmp_path):
    text = "# a comment\nlabel,height,width\n7,1.5,2\n3,2.5,3\n\n7.0,3,4 # trailing\n3,4,5\n"
    p = _write(tmp_path, "b.csv", text)
    d = load(p, label_column="label")
    assert d.feature_names == ["height", "width"]
    assert d.class_labels == (3, 7) and d.n_classes == 2
    X = np.vstack([d.X_train, d.X_test])
    y = np.concatenate([d.y_train, d.y_test])
    for row, label in zip(X.tolist(), y.tolist()):
        assert {1.5: 1, 2.5: 0, 3.0: 1, 4.0: 0}[row[0]] == label
    assert load(p, label_column="LABEL").feature_names == ["height", "width"]
    assert load(p, label_column=0).feature_names == ["height", "width"]
    assert load(p, label_column=-3).feature_names == ["height", "width"]


def test_txt_whitespace_and_semicolons(tmp_path):
    d = load(_write(tmp_path, "c.txt", "1 2 0\n3 4 1\n5 6 0\n7 8 1\n"))
    assert d.n_features == 2 and d.n_train + d.n_test == 4
    d = load(_write(tmp_path, "d.csv", "a;b;y\n1;2;0\n3;4;1\n5;6;0\n7;8;1\n"))
    assert d.feature_names == ["a", "b"]


def test_csv_n_samples_subsamples_and_is_deterministic(tmp_path):
    p = _write(tmp_path, "e.csv", "\n".join(f"{i},{i % 3}" for i in range(100)))
    a, b = load(p, n_samples=30, seed=2), load(p, n_samples=30, seed=2)
    assert a.n_train + a.n_test == 30 and _same(a, b)
    assert load(p, n_samples=1000).n_train + load(p, n_samples=1000).n_test == 100


@pytest.mark.parametrize("text, line, column, words", [
    ("a,b,y\n1,2,0\n3,oops,1\n", 3, 2, ["'oops'", '"b"']),
    ("1,2,0\n3,4,1\n5,x,1\n", 3, 2, ["'x'"]),
    ("1,2,0\n3,,1\n", 2, 2, ["empty"]),
    ("1,2,0\n3,nan,1\n", 2, 2, ["finite"]),
    ("1,2,0\n3,inf,1\n", 2, 2, ["finite"]),
    ("1,2,0\n3,4,0.5\n", 2, 3, ["not an integer"]),
    ("a,b,y\n1,2,0\n3,4,1.5\n", 3, 3, ["not an integer", '"y"']),
])
def test_csv_cell_errors_name_file_line_and_column(tmp_path, text, line, column, words):
    p = _write(tmp_path, "bad.csv", text)
    with pytest.raises(DatasetError) as e:
        load(p, task="classification")  # by default a non-integer target means regression
    msg = str(e.value)
    assert p in msg and f"line {line}" in msg and f"column {column}" in msg
    assert all(w in msg for w in words), msg
    assert (e.value.path, e.value.line, e.value.column) == (p, line, column)


@pytest.mark.parametrize("content, words", [
    ("1,2,0\n3,4,1\n5,6\n", ["line 3", "expected 3 columns, got 2"]),
    ("", ["empty"]),
    ("\n  \n# only a comment\n", ["empty"]),
    ("a,b,y\n", ["header", "no data rows"]),
    ("1,2,5\n3,4,5\n", ["at least 2 classes"]),
    ("5\n6\n", ["at least 2 columns"]),
    (b"1,2,0\n\x00\x01\x02binary", ["looks like a binary file, not CSV"]),
    (b"\xff\xfe\x89PNG garbage", ["looks like a binary file, not CSV"]),
])
def test_csv_file_errors_name_the_file(tmp_path, content, words):
    p = _write(tmp_path, "bad.csv", content)
    with pytest.raises(DatasetError) as e:
        load(p)
    assert p in str(e.value) and all(w in str(e.value) for w in words), str(e.value)


def test_csv_bad_label_column(tmp_path):
    p = _write(tmp_path, "f.csv", "a,b,y\n1,2,0\n3,4,1\n")
    with pytest.raises(DatasetError, match="no column named 'z'.*a, b, y"):
        load(p, label_column="z")
    with pytest.raises(DatasetError, match="out of range"):
        load(p, label_column=3)
    q = _write(tmp_path, "g.csv", "1,2,0\n3,4,1\n")
    with pytest.raises(DatasetError, match="no header"):
        load(q, label_column="y")


def test_unreadable_file(tmp_path, monkeypatch):
    p = _write(tmp_path, "h.csv", "1,2,0\n3,4,1\n")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(inputs, "open", denied, raising=False)  # also works when tests run as root
    with pytest.raises(DatasetError, match="permission denied") as e:
        load(p)
    assert p in str(e.value)


# --------------------------------------------------------------------------- NPZ


def test_npz_good_file(tmp_path):
    p = str(tmp_path / "a.npz")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)).astype(np.float32), np.repeat([2, 5], 25).astype(float)
    np.savez(p, X=X, y=y)
    d = load(p, test_fraction=0.2)
    _check_contract(d)
    assert d.n_features == 3 and d.class_labels == (2, 5) and d.n_test == 10


def test_npz_images_are_flattened(tmp_path):
    p = str(tmp_path / "img.npz")
    np.savez(p, X=np.zeros((6, 4, 4), np.uint8), y=np.array([0, 1] * 3))
    assert load(p).n_features == 16


@pytest.mark.parametrize("arrays, words", [
    ({"X": np.zeros((4, 2))}, ["missing array y"]),
    ({"y": np.zeros(4)}, ["missing array X"]),
    ({"data": np.zeros(4)}, ["missing array X and y", "data"]),
    ({"X": np.zeros((4, 2)), "y": np.array([0, 1, 0])}, ["shape mismatch", "4 rows", "3 labels"]),
    ({"X": np.array([["a", "b"]] * 4), "y": np.array([0, 1, 0, 1])}, ["X is not numeric"]),
    ({"X": np.zeros((4, 2)), "y": np.array([0, 1, 0.5, 1])}, ["y[2]", "not an integer"]),
    ({"X": np.zeros((4, 2)), "y": np.ones(4)}, ["at least 2 classes"]),
    ({"X": np.array([[0, 1], [2, np.nan]] * 2), "y": np.array([0, 1, 0, 1])}, ["X[1, 1]", "NaN"]),
    ({"X": np.zeros(4), "y": np.array([0, 1, 0, 1])}, ["X must have shape"]),
])
def test_npz_errors_name_the_file(tmp_path, arrays, words):
    p = str(tmp_path / "bad.npz")
    np.savez(p, **arrays)
    with pytest.raises(DatasetError) as e:
        load(p, task="classification")  # by default a non-integer y means regression
    assert p in str(e.value) and all(w in str(e.value) for w in words), str(e.value)


def test_npz_object_array_and_invalid_zip(tmp_path):
    p = str(tmp_path / "obj.npz")
    np.savez(p, X=np.array([[1, None]] * 2, dtype=object), y=np.array([0, 1]))
    with pytest.raises(DatasetError, match="array X cannot be read"):
        load(p)
    q = _write(tmp_path, "junk.npz", b"this is not a zip file")
    with pytest.raises(DatasetError, match="not a valid .npz") as e:
        load(q)
    assert q in str(e.value)


def test_npz_detected_by_content_without_extension(tmp_path):
    p = tmp_path / "data.bin"
    with open(p, "wb") as f:
        np.savez(f, X=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]))
    assert load(str(p)).n_features == 2


# --------------------------------------------------------------------------- MNIST IDX


def _idx_images(images):
    n, r, c = images.shape
    return struct.pack(">iiii", 2051, n, r, c) + images.astype(np.uint8).tobytes()


def _idx_labels(labels):
    return struct.pack(">ii", 2049, len(labels)) + np.asarray(labels, np.uint8).tobytes()


def _mnist_folder(folder, n_train=40, n_test=10, gz=False, test=True, names=ds.MNIST_FILES):
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    parts = [(n_train, names[0], names[1])] + ([(n_test, names[2], names[3])] if test else [])
    for n, img_name, lab_name in parts:
        images = rng.integers(0, 256, size=(n, 28, 28))
        labels = _idx_labels(np.arange(n) % 10)
        for name, data in ((img_name, _idx_images(images)), (lab_name, labels)):
            if gz:
                (folder / (name + ".gz")).write_bytes(gzip.compress(data))
            else:
                (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_plain_and_gzip_with_official_test_set(tmp_path, gz):
    folder = _mnist_folder(tmp_path / "m", gz=gz)
    d = load(str(folder))
    _check_contract(d)
    assert (d.n_train, d.n_test, d.n_features, d.n_classes) == (40, 10, 784, 10)
    assert d.X_train.min() >= 0 and d.X_train.max() <= 1 and d.X_train.max() > 0.9
    assert d.feature_names[-1] == "px27_27"
    name = "train-images-idx3-ubyte" + (".gz" if gz else "")
    raw = (folder / name).read_bytes()
    first = np.frombuffer(gzip.decompress(raw) if gz else raw, np.uint8)[16:16 + 784] / 255.0
    assert np.any(np.all(d.X_train == first, axis=1))  # shuffled, but the pixels are intact
    assert _same(d, load(str(folder)))
    small = load(str(folder), n_samples=20)
    assert small.n_train + small.n_test == 20 and small.n_test >= 1


def test_mnist_train_only_is_split_and_dotted_names_work(tmp_path):
    names = [n.replace("-idx", ".idx") for n in ds.MNIST_FILES]
    folder = _mnist_folder(tmp_path / "m", n_train=50, test=False, names=names)
    d = load(str(folder), test_fraction=0.2)
    assert d.n_train + d.n_test == 50 and d.n_test == 10


def test_mnist_default_folder_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MLP_TUI_MNIST", str(tmp_path / "env"))
    assert ds.default_mnist_dir() == tmp_path / "env"
    with pytest.raises(DatasetError, match="MLP_TUI_MNIST"):
        load("mnist")
    _mnist_folder(tmp_path / "env")
    assert load("mnist").n_train == 40


def test_missing_mnist_folder_explains_where_to_put_the_files(tmp_path):
    with pytest.raises(DatasetError) as e:
        load(str(tmp_path / "mnist"))
    assert "not found" in str(e.value) and "train-images-idx3-ubyte" in str(e.value)


def test_mnist_missing_files_are_listed(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(_idx_images(np.zeros((2, 28, 28))))
    with pytest.raises(DatasetError) as e:
        load(str(folder))
    msg = str(e.value)
    assert str(folder) in msg and "train-labels-idx1-ubyte" in msg
    assert "not found in the folder: train-labels-idx1-ubyte" in msg
    help_text = ds.mnist_help(folder)
    assert str(folder) in help_text and all(n in help_text for n in ds.MNIST_FILES)


@pytest.mark.parametrize("corrupt, words", [
    (lambda b: struct.pack(">i", 2049) + b[4:], ["wrong magic number 2049", "expected 2051"]),
    (lambda b: b[:-100], ["truncated", f"{40 * 784} bytes", f"found {40 * 784 - 100}"]),
    (lambda b: b[:10], ["truncated", "16-byte"]),
])
def test_mnist_corrupt_images(tmp_path, corrupt, words):
    folder = _mnist_folder(tmp_path / "m")
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(DatasetError) as e:
        load(str(folder))
    assert str(path) in str(e.value) and all(w in str(e.value) for w in words), str(e.value)


def test_mnist_count_mismatch_and_bad_gzip(tmp_path):
    folder = _mnist_folder(tmp_path / "m")
    (folder / "train-labels-idx1-ubyte").write_bytes(_idx_labels(np.arange(39) % 10))
    with pytest.raises(DatasetError, match="40 images.*39 labels"):
        load(str(folder))
    folder = _mnist_folder(tmp_path / "g", gz=True)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DatasetError, match="not a valid gzip"):
        load(str(folder))
