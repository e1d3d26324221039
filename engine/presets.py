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
    Preset("xor-50-exploding", RunConfig(dataset="xor", hidden=(50,), activation="sigmoid", output="linear",
                                         loss="mse", l2=1e-5, init="tutorial", optimizer="sgd", lr=1.5,
                                         batch_size="full", epochs=2000),
           "A too-large learning rate on 50 units: each step overshoots further, the gradients explode "
           "and the watchdog stops the run."),
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
    Preset("digits", RunConfig(dataset="digits", hidden=(64,), activation="relu", optimizer="adam", lr=1e-3,
                               batch_size=32, epochs=60),
           "Real images: 8x8 handwritten digits, 64-64-10, about 97% on held-out digits."),
    Preset("mnist-784-256-10", RunConfig(dataset="mnist", hidden=(256,), activation="relu",
                                         optimizer="momentum", momentum=0.9, lr=0.05, batch_size=64,
                                         dtype="float32", epochs=10),
           "The tutorials' MNIST network: 784-256-10 with mini-batches (needs the MNIST IDX files)."),
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
]}

DEFAULT_PRESET = "moons"


def get(name: str) -> Preset:
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}; got {name!r}")
    return PRESETS[name]
