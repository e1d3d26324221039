"""A run's arrays in portable formats: the dataset as CSV (read back by ``datasets.load``), the
weights as JSON or NPZ (one W and one b per layer, with its shape and activation). Each function
returns the file's bytes; writing them (atomically, after the path checks) is the caller's."""
from __future__ import annotations

import csv
import io
import json

import numpy as np

WEIGHT_FORMATS = (".json", ".npz")


def layer_activations(net) -> list[str]:
    """The activation after each layer: each hidden layer's own, then the output's."""
    return [net.layer_activation(l) for l in range(1, net.n_layers + 1)]


def weights_record(net) -> dict:
    """{"sizes": [...], "layers": [{"W", "b", "shape", "activation"}, ...]} as plain lists; b is
    None for a network without biases. shape is W's (fan_in, fan_out)."""
    layers = [{"W": layer.W.tolist(), "b": None if layer.b is None else layer.b.tolist(),
               "shape": list(layer.W.shape), "activation": activation}
              for layer, activation in zip(net.layers, layer_activations(net))]
    return {"sizes": list(net.sizes), "layers": layers}


def weights_json(net) -> bytes:
    return (json.dumps(weights_record(net), indent=1, allow_nan=False) + "\n").encode("utf-8")


def weights_npz(net) -> bytes:
    """Arrays W1, b1, W2, b2, ... (layer numbers from 1, as the inspector shows them), plus
    ``sizes`` and ``activations``; readable with np.load(allow_pickle=False)."""
    arrays = {"sizes": np.array(net.sizes, dtype=np.int64),
              "activations": np.array(layer_activations(net))}
    for l, layer in enumerate(net.layers, start=1):
        arrays[f"W{l}"] = layer.W
        if layer.b is not None:
            arrays[f"b{l}"] = layer.b
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def weights_bytes(net, suffix: str) -> bytes:
    """The weights in the format ``suffix`` names (one of WEIGHT_FORMATS)."""
    if suffix not in WEIGHT_FORMATS:
        raise ValueError(f"weights are written as {' or '.join(WEIGHT_FORMATS)}; got {suffix!r}")
    return weights_json(net) if suffix == ".json" else weights_npz(net)


def dataset_csv(data) -> bytes:
    """Every point, training then test, as ``x1,x2,...,label`` rows under a header line; the
    labels are the source's (``class_labels``), so loading the file gives the same classes."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*data.feature_names, "label"])
    labels = np.asarray(data.class_labels)
    parts = [(data.X_train, data.y_train)]
    if data.X_test is not data.X_train:
        parts.append((data.X_test, data.y_test))
    for X, y in parts:
        for row, label in zip(X.tolist(), labels[y].tolist()):
            writer.writerow([repr(v) for v in row] + [label])
    return buf.getvalue().encode("utf-8")
