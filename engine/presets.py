"""Named runs that reproduce the classic from-scratch lessons (dataset + architecture + settings)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import POINTS_DATASET, RunConfig

LESSONS = Path(__file__).parent / "lessons"  # the worked examples' published initial weights


@dataclass(frozen=True)
class Preset:
    name: str
    config: RunConfig
    teaches: str


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("moons", RunConfig(dataset="moons", n_samples=1000, noise=0.2, hidden=(16, 16), activation="tanh",
                              optimizer="adam", lr=0.01, batch_size=32, epochs=100),
           "The default: a 2-16-16-2 tanh network bends a boundary around two moons within seconds."),
    Preset("xor-2-3-2", RunConfig(dataset="xor", hidden=(3,), activation="sigmoid", output="sigmoid", loss="mse",
                                  l2=1e-4, init="tutorial", optimizer="sgd", lr=5.0, batch_size="full",
                                  epochs=5000),
           "XOR is not linearly separable: three sigmoid units and plain full-batch gradient descent solve it."),
    Preset("lr-too-high", RunConfig(dataset="xor", hidden=(50,), activation="sigmoid", output="linear",
                                    loss="mse", l2=1e-5, init="tutorial", optimizer="sgd", lr=1.5,
                                    batch_size="full", epochs=2000),
           "A learning rate too large for the curvature: the first step overshoots the minimum, the second "
           "lands where the loss is a thousand times higher, and the watchdog stops the run."),
    Preset("moons-2-5-2", RunConfig(dataset="moons", n_samples=200, noise=0.2, hidden=(5,), activation="sigmoid",
                                    output="softmax", loss="cross_entropy", init="tutorial", optimizer="sgd", lr=3.0,
                                    batch_size="full", epochs=3000),
           "The classic 2-5-2 tutorial network: softmax and cross-entropy on 200 noisy moons, full batch."),
    Preset("relu-softmax", RunConfig(dataset="spiral", n_samples=300, classes=3, hidden=(100,), activation="relu",
                                     output="softmax", loss="cross_entropy", l2=0.3, optimizer="sgd", lr=1.0,
                                     batch_size="full", epochs=3000),
           "CS231n's case study: one ReLU layer of 100 units with softmax separates a 3-arm spiral "
           "that a linear classifier gets half wrong."),
    Preset("spiral", RunConfig(dataset="spiral", n_samples=600, classes=3, hidden=(32, 32), activation="tanh",
                               optimizer="adam", lr=0.01, batch_size=32, epochs=300),
           "Depth pays: two hidden layers wind a boundary around three interleaved spiral arms."),
    Preset("circles", RunConfig(dataset="circles", n_samples=1000, noise=0.1, hidden=(16, 16), activation="tanh",
                                optimizer="adam", lr=0.01, batch_size=32, epochs=100),
           "A closed boundary: the hidden layers learn a ring that no straight line can draw."),
    Preset("circles-features", RunConfig(dataset="circles", n_samples=1000, noise=0.1, features=("x1^2", "x2^2"),
                                         hidden=(), optimizer="adam", lr=0.05, batch_size=32, epochs=50),
           "Features instead of layers: given x1^2 and x2^2, a network with no hidden layer separates the "
           "circles, since the ring x1^2 + x2^2 = r^2 is a straight line in those features."),
    Preset("digits", RunConfig(dataset="digits", hidden=(64,), activation="relu", optimizer="adam", lr=1e-3,
                               batch_size=32, epochs=60),
           "Real images: 8x8 handwritten digits, 64-64-10, about 97% on held-out digits."),
    Preset("mnist-784-256-10", RunConfig(dataset="mnist", hidden=(256,), activation="relu",
                                         optimizer="momentum", momentum=0.9, lr=0.05, batch_size=64,
                                         dtype="float32", epochs=10),
           "The tutorials' MNIST network: 784-256-10 with mini-batches (needs the MNIST IDX files)."),
    Preset("mnist-sigmoid", RunConfig(dataset="mnist", hidden=(256,), activation="sigmoid", optimizer="sgd",
                                      lr=0.5, batch_size=64, dtype="float32", epochs=10),
           "The workshop's own MNIST setting: a sigmoid hidden layer and plain SGD, slower to learn "
           "than mnist-784-256-10's ReLU and momentum (needs the MNIST IDX files)."),
    Preset("logistic", RunConfig(dataset="blobs", classes=2, n_samples=200, noise=0.5, hidden=(),
                                 output="sigmoid", single_output=True, optimizer="sgd", lr=0.5,
                                 batch_size="full", epochs=200),
           "Logistic regression is one sigmoid unit with cross-entropy: it draws a straight line between "
           "two separable blobs."),
    Preset("no-hidden-xor", RunConfig(dataset="xor", hidden=(), output="sigmoid", single_output=True,
                                      optimizer="sgd", lr=0.5, batch_size="full", epochs=2000),
           "The same single unit on XOR: a straight line gets at most 3 of the 4 corners right, "
           "which is why networks need a hidden layer."),
    Preset("perceptron", RunConfig(dataset="blobs", classes=2, n_samples=200, noise=0.5, hidden=(),
                                   output="step", loss="perceptron", optimizer="sgd", lr=0.1, batch_size=1,
                                   epochs=20),
           "Rosenblatt's perceptron: a step unit and the rule w += lr*(y - y_hat)*x, which stops changing "
           "once every point of separable data is on the right side."),
    Preset("vanishing", RunConfig(dataset="moons", hidden=(8, 8, 8, 8, 8), activation="sigmoid",
                                  init="tutorial", optimizer="sgd", lr=0.5, batch_size=32, epochs=50),
           "Vanishing gradients: through five sigmoid layers (each derivative at most 0.25) the first "
           "layer's gradient is thousands of times smaller than the last layer's, and the network does "
           "not learn."),
    Preset("exploding", RunConfig(dataset="digits", standardize=True, hidden=(32,) * 10, activation="tanh",
                                  init="xavier", init_scale=8.0, optimizer="sgd", lr=0.001, batch_size=32,
                                  epochs=20),
           "Exploding gradients: ten tanh layers with weights 8 times the Xavier scale multiply the "
           "gradient at each layer on its way back, so it grows toward the input."),
    Preset("xor-article", RunConfig(dataset=POINTS_DATASET, points=((1.76405235, 0.40015721),),
                                    targets=((1.0, 0.0),), hidden=(3,), activation="sigmoid",
                                    output="sigmoid", loss="mse", bias=False,
                                    init_weights=str(LESSONS / "xor-article.json"), optimizer="sgd",
                                    lr=0.001, batch_size="full", epochs=1000),
           "One SGD step by hand: a 2-3-2 sigmoid network without biases, one sample, squared error; "
           "the inspector shows the article's z1, a1, dW2 and the updated W2."),
    Preset("mazur-2-2-2", RunConfig(dataset=POINTS_DATASET, points=((0.05, 0.10),), targets=((0.01, 0.99),),
                                    hidden=(2,), activation="sigmoid", output="sigmoid", loss="mse",
                                    init_weights=str(LESSONS / "mazur-2-2-2.json"), optimizer="sgd", lr=0.5,
                                    batch_size="full", epochs=10000),
           "Matt Mazur's step-by-step backpropagation example: error 0.298371109 before the first step, "
           "w5 = 0.35891648 after it."),
    Preset("reg-plane", RunConfig(dataset="reg-plane", hidden=(), output="linear", loss="mse", optimizer="sgd",
                                  lr=0.01, batch_size=10, epochs=50),
           "Regression on TensorFlow Playground's plane: the target is (x1 + x2) / 10, so one linear unit "
           "without a hidden layer fits it exactly (R\u00b2 reaches 1)."),
    Preset("reg-gauss", RunConfig(dataset="reg-gauss", hidden=(16, 16), activation="tanh", output="linear",
                                  loss="mse", optimizer="adam", lr=0.01, batch_size=10, epochs=200),
           "Regression on Playground's six signed Gaussian bumps: tanh units carve the bumps; the map "
           "shows the predicted value, each point its target on the same colours."),
]}

DEFAULT_PRESET = "moons"


def get(name: str) -> Preset:
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}; got {name!r}")
    return PRESETS[name]
