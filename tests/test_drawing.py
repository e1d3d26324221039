"""Drawing the data (engine/drawing.py), the trainer switching data (Trainer.set_data) and the
exports of engine/export.py read back."""
import io
import json

import numpy as np
import pytest

from engine import datasets, drawing, export
from engine.network import Network
from engine.trainer import Trainer

EXTENT = (-2.0, 2.0, -2.0, 2.0)


def moons(n=40, **kw):
    return datasets.load("moons", n_samples=n, seed=3, **kw)


def test_a_drawn_point_joins_the_training_set_with_its_class():
    data = moons()
    drawn = drawing.add_point(data, (0.5, -1.5), 1, EXTENT)
    assert drawn.n_train == data.n_train + 1
    assert drawn.X_train[-1].tolist() == [0.5, -1.5] and drawn.y_train[-1] == 1
    np.testing.assert_array_equal(drawn.X_test, data.X_test)  # the test set is not touched
    assert drawn.name == "moons+drawn" and drawing.add_point(drawn, (0, 0), 0, EXTENT).name == "moons+drawn"


@pytest.mark.parametrize("point, label, words", [
    ((2.5, 0.0), 0, "outside the plot"),
    ((0.0, -2.01), 0, "outside the plot"),
    ((0.0, 0.0), 2, "class must be 0..1"),
    ((0.0, 0.0), -1, "class must be 0..1"),
    ((0.0, 0.0), True, "class must be 0..1"),
    ((np.nan, 0.0), 0, "two finite numbers"),
    ((1.0, 2.0, 3.0), 0, "two finite numbers"),
    ("ab", 0, "two numbers"),
])
def test_a_bad_point_is_refused_with_its_reason(point, label, words):
    data = moons()
    with pytest.raises(ValueError, match=words):
        drawing.add_point(data, point, label, EXTENT)


def test_the_number_of_points_is_capped(monkeypatch):
    monkeypatch.setattr(drawing, "MAX_DRAWN_POINTS", 41)
    data = drawing.add_point(moons(), (0, 0), 0, EXTENT)  # 40 -> 41
    with pytest.raises(ValueError, match="41 points, the most"):
        drawing.add_point(data, (0, 0), 0, EXTENT)


def test_only_two_d_class_data_can_be_drawn_on():
    with pytest.raises(ValueError, match="2-D data only; this dataset has 64 features"):
        drawing.add_point(datasets.load("digits", n_samples=50), (0, 0), 0, EXTENT)
    points = datasets.from_points([[0, 0], [1, 1]], [[0.0], [1.0]])
    with pytest.raises(ValueError, match="target vector"):
        drawing.remove_nearest(points, (0, 0))


def test_remove_takes_the_nearest_point_of_either_split():
    data = moons()
    target = data.X_test[3] + 1e-9
    smaller, removed = drawing.remove_nearest(data, target)
    np.testing.assert_array_equal(removed, data.X_test[3])
    assert smaller.n_test == data.n_test - 1 and smaller.n_train == data.n_train
    target = data.X_train[5]
    smaller, removed = drawing.remove_nearest(data, target)
    assert smaller.n_train == data.n_train - 1
    assert not np.any(np.all(smaller.X_train == removed, axis=1))


def test_removing_stops_at_two_training_points():
    data = datasets.Dataset(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1]),
                            np.empty((0, 2)), np.empty(0), 2, ["x1", "x2"], "tiny")
    with pytest.raises(ValueError, match="only 2 training points are left"):
        drawing.remove_nearest(data, (0, 0))


def test_xor_keeps_training_and_testing_on_the_same_points():
    drawn = drawing.add_point(datasets.load("xor"), (0.5, 0.5), 1, (-1, 2, -1, 2))
    assert drawn.X_test is drawn.X_train and drawn.n_train == 5


# ----------------------------------------------------------------------------------- the trainer


def make_trainer(data, batch_size=8):
    net = Network([2, 5, 2], seed=1)
    return Trainer(net, data, batch_size=batch_size, seed=1)


def test_the_trainer_continues_on_new_data_with_its_weights_and_progress():
    data = moons()
    trainer = make_trainer(data)
    for _ in range(7):
        trainer.step()
    params, steps, t = trainer.net.params.copy(), trainer.step_count, trainer.optimizer.t
    drawn = drawing.add_point(data, (0.0, 0.0), 1, EXTENT)
    trainer.set_data(drawn)
    np.testing.assert_array_equal(trainer.net.params, params)
    assert (trainer.step_count, trainer.optimizer.t, trainer.n) == (steps, t, data.n_train + 1)
    trainer.step()  # a new epoch over the new data: its rows are the shuffled batch's rows
    assert trainer.step_count == steps + 1
    assert {tuple(r) for r in trainer._Xs.tolist()} == {tuple(r) for r in drawn.X_train.tolist()}
    assert trainer.evaluate()["train_acc"] is not None


def test_a_full_batch_follows_the_new_size():
    data = moons()
    trainer = make_trainer(data, batch_size="full")
    trainer.set_data(drawing.add_point(data, (0, 0), 0, EXTENT), "full")
    assert trainer.batch_size == data.n_train + 1
    trainer.set_data(data, 64)  # a batch larger than the data is the whole data
    assert trainer.batch_size == data.n_train


def test_data_that_does_not_fit_the_network_changes_nothing():
    data = moons()
    trainer = make_trainer(data)
    three = datasets.load("spiral", n_samples=30, classes=3)
    with pytest.raises(ValueError, match="labels must be in 0..1"):
        trainer.set_data(three)
    with pytest.raises(ValueError):
        trainer.set_data(datasets.load("digits", n_samples=30))
    assert trainer.n == data.n_train and trainer.X_train.shape == (data.n_train, 2)
    trainer.step()


# ----------------------------------------------------------------------------------- exports


def test_the_dataset_csv_loads_back_as_the_same_points(tmp_path):
    drawn = drawing.add_point(moons(), (0.25, -0.75), 1, EXTENT)
    path = tmp_path / "drawn.csv"
    path.write_bytes(export.dataset_csv(drawn))
    back = datasets.load(str(path), test_fraction=0)
    rows = lambda X, y: sorted(zip(map(tuple, X.tolist()), y.tolist()))  # noqa: E731
    assert rows(back.X_train, back.y_train) == rows(np.vstack([drawn.X_train, drawn.X_test]),
                                                    np.concatenate([drawn.y_train, drawn.y_test]))
    assert back.feature_names == ["x1", "x2"]


def test_a_csv_keeps_the_source_labels(tmp_path):
    src = tmp_path / "src.csv"
    src.write_text("a,b,label\n0,0,3\n1,1,7\n0,1,3\n1,0,7\n")
    data = datasets.load(str(src), test_fraction=0)
    assert data.class_labels == (3, 7)
    text = export.dataset_csv(data).decode()
    assert text.splitlines()[0] == "a,b,label"
    assert sorted(line.rsplit(",", 1)[1] for line in text.splitlines()[1:]) == ["3", "3", "7", "7"]


def test_the_weights_json_holds_each_layer_with_its_shape_and_activation():
    net = Network([2, 4, 3, 2], activation="relu", seed=5)
    record = json.loads(export.weights_json(net))
    assert record["sizes"] == [2, 4, 3, 2]
    assert [layer["shape"] for layer in record["layers"]] == [[2, 4], [4, 3], [3, 2]]
    assert [layer["activation"] for layer in record["layers"]] == ["relu", "relu", "softmax"]
    for layer, got in zip(net.layers, record["layers"]):
        np.testing.assert_array_equal(np.array(got["W"]), layer.W)
        np.testing.assert_array_equal(np.array(got["b"]), layer.b)


def test_the_weights_npz_holds_one_array_per_layer():
    net = Network([2, 4, 2], seed=5, bias=False)
    with np.load(io.BytesIO(export.weights_bytes(net, ".npz")), allow_pickle=False) as f:
        assert sorted(f.files) == ["W1", "W2", "activations", "sizes"]  # no biases: no b
        np.testing.assert_array_equal(f["W2"], net.layers[1].W)
        assert f["activations"].tolist() == ["tanh", "softmax"]
    with pytest.raises(ValueError, match=".json or .npz"):
        export.weights_bytes(net, ".txt")


def test_drawing_is_refused_on_data_with_input_features():
    from engine import config as cfg

    data = cfg.load_data(cfg.RunConfig(dataset="circles", features=("x1^2", "x2^2")))
    with pytest.raises(ValueError, match="x1\\^2, x2\\^2"):
        drawing.add_point(data, (0.0, 0.0), 0, data.extent)
    with pytest.raises(ValueError, match="plain x1, x2"):
        drawing.remove_nearest(data, (0.0, 0.0))


def test_exported_weights_name_each_layers_own_activation():
    net = Network([2, 3, 4, 2], activations=("relu", "sigmoid"), output="softmax", seed=0)
    assert [layer["activation"] for layer in export.weights_record(net)["layers"]] == ["relu", "sigmoid", "softmax"]
