"""Run configuration: parsing what a user types into each field (good, nasty and random text),
mappings from TOML/CLI/checkpoints, validation, and every preset building."""
import math
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import config, datasets, presets
from engine.config import RunConfig
from engine.network import MAX_HIDDEN_LAYERS, MAX_HIDDEN_WIDTH
from engine.validate import FieldError
from mlp_tui.fields import FIELDS, field_value, format_field, from_mapping, parse_field, validate

NASTY = ["", " ", "\t\n", "nan", "NaN", "inf", "-inf", "-0", "-0.0", "1e309", "-1e309", "1e-400",
         "9" * 40, "-" + "9" * 40, "9" * 199, "٣", "１２", "élan", "🙂", "x" * 10_000, "8,,8", "0", "-3",
         "100000", "8;8", "8 8", "8,8", "1_000", "0x10", "1e3", "0.5", "full", "FULL", "true", "None",
         "\x00", "8,", ",8", " 16 , 16 ", "1025", "1024", "2**32", "4294967295", "4294967296"]


def check_accepted(name, value):
    """An accepted value is of the field's kind and inside its range or choices."""
    f = FIELDS[name]
    if f.kind == "text":
        assert (value is None and f.optional) or (isinstance(value, str) and value and value == value.strip())
    elif f.kind == "matrix":
        assert isinstance(value, tuple) and all(isinstance(row, tuple) and len(row) == len(value[0]) for row in value)
        assert all(type(x) is float and math.isfinite(x) for row in value for x in row)
    elif f.kind == "bool":
        assert isinstance(value, bool)
    elif f.kind == "choice":
        assert value in f.choices
    elif f.kind == "layers":
        assert isinstance(value, tuple) and len(value) <= MAX_HIDDEN_LAYERS
        assert all(type(w) is int and 1 <= w <= MAX_HIDDEN_WIDTH for w in value)
    elif f.kind == "rates":
        assert isinstance(value, tuple) and len(value) <= MAX_HIDDEN_LAYERS
        assert all(type(r) is float and f.lo <= r <= f.hi and math.copysign(1.0, r) == 1.0 for r in value)
    elif value is None:
        assert f.optional
    elif f.kind == "batch" and value == "full":
        pass
    elif f.kind in ("int", "batch"):
        assert type(value) is int and f.lo <= value <= f.hi
    else:
        assert type(value) is float and math.isfinite(value) and f.lo <= value <= f.hi
        assert math.copysign(1.0, value) == 1.0  # "-0" is stored as 0.0


def parse_or_error(name, text):
    """parse_field's result, or None after checking its ValueError names the field first."""
    try:
        value = parse_field(name, text)
    except ValueError as e:
        message = str(e)
        assert message.startswith(FIELDS[name].label + ": "), message
        assert len(message) < 600  # a 10 kB input is not echoed back
        return None
    check_accepted(name, value)
    return value


@pytest.mark.parametrize("name", list(FIELDS))
def test_every_field_on_nasty_input(name):
    for text in NASTY:
        parse_or_error(name, text)


@pytest.mark.parametrize("name, text, expected", [
    ("lr", " 0.05 ", 0.05), ("lr", "1e-6", 1e-6), ("lr", "1000", 1000.0), ("noise", "-0", 0.0),
    ("noise", "1e-400", 0.0), ("n_samples", "", None), ("n_samples", "100000", 100_000),
    ("n_samples", "4", 4), ("classes", "٣", 3), ("seed", "4294967295", 2**32 - 1), ("seed", "0", 0),
    ("hidden", "", ()), ("hidden", " 16 , 16 ", (16, 16)), ("hidden", "1024", (1024,)),
    ("hidden", ",".join(["1"] * MAX_HIDDEN_LAYERS), (1,) * MAX_HIDDEN_LAYERS),
    ("batch_size", "full", "full"), ("batch_size", "FULL", "full"), ("batch_size", "1", 1),
    ("batch_size", "1000000", 1_000_000), ("standardize", "yes", True), ("standardize", "", False),
    ("activation", " relu ", "relu"), ("dtype", "float32", "float32"), ("dataset", "  moons ", "moons"),
    ("clip_norm", "0", 0.0), ("momentum", "0.999", 0.999), ("epochs", "1", 1),
])
def test_good_input_parses_to_the_value(name, text, expected):
    value = parse_field(name, text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("name, text, words", [
    ("lr", "", "Learning rate: must be a number from 1e-06 to 1000"),
    ("lr", "nan", "Learning rate: must be a finite number"),
    ("lr", "inf", "Learning rate: must be a finite number"),
    ("lr", "1e309", "Learning rate: must be a finite number"),
    ("lr", "1e-400", "Learning rate: must be from 1e-06 to 1000"),
    ("lr", "-3", "Learning rate: must be from"),
    ("lr", "0", "Learning rate: must be from"),
    ("n_samples", "3", "Samples: must be from 4 to 100000"),
    ("n_samples", "100001", "Samples: must be from 4 to 100000"),
    ("n_samples", "9" * 40, "Samples: must be from 4 to 100000"),
    ("n_samples", "2.5", "Samples: must be a whole number"),
    ("seed", "-3", "Seed: must be from 0 to 4294967295"),
    ("seed", "4294967296", "Seed: must be from 0 to 4294967295"),
    ("batch_size", "0", "Batch size: must be from 1 to 1000000"),
    ("batch_size", "half", "Batch size: must be a whole number from 1 to 1000000 or 'full'"),
    ("hidden", "8,,8", "Hidden layers: layer 2 is empty"),
    ("hidden", "8;8", "Hidden layers: separate widths with commas"),
    ("hidden", "0", "Hidden layers: layer 1 must be from 1 to 1024"),
    ("hidden", "-3", "Hidden layers: layer 1 must be from 1 to 1024"),
    ("hidden", "100000", "Hidden layers: layer 1 must be from 1 to 1024"),
    ("hidden", ",".join(["8"] * (MAX_HIDDEN_LAYERS + 1)), "Hidden layers: at most 10 layers"),
    ("hidden", "eight", "Hidden layers: layer 1 must be a whole number"),
    ("activation", "swish", "Activation: must be one of"),
    ("standardize", "maybe", "Standardize: must be true or false"),
    ("dataset", "   ", "Dataset: must not be empty"),
    ("dataset", "x" * 10_000, "Dataset: too long (10000 characters)"),
    ("decay", "0", "Decay: must be from 1e-06 to 1"),
])
def test_bad_input_message_names_the_field_and_the_range(name, text, words):
    with pytest.raises(ValueError) as info:
        parse_field(name, text)
    assert str(info.value).startswith(words)


NUMBERISH = st.one_of(
    st.text(),
    st.from_regex(r"\s*[-+]?\d{0,12}(\.\d*)?([eE][-+]?\d{1,4})?\s*", fullmatch=True),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.lists(st.integers(min_value=-5, max_value=2000).map(str), max_size=12).map(",".join),
    st.sampled_from(NASTY),
)


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(list(FIELDS)), text=NUMBERISH)
def test_random_text_is_accepted_in_range_or_refused_with_a_value_error(name, text):
    value = parse_or_error(name, text)
    if value is not None:
        # What the form shows for an accepted value (6 significant digits) parses back to it.
        shown = parse_field(name, format_field(name, value))
        if isinstance(value, float):
            assert shown == pytest.approx(value, rel=1e-5, abs=0)
        else:
            assert shown == value


@settings(max_examples=100, deadline=None)
@given(text=st.text())
def test_random_text_in_every_field(text):
    for name in FIELDS:
        parse_or_error(name, text)


# ----- mappings and validation --------------------------------------------------------------------
def test_from_mapping_names_an_unknown_key_and_its_source():
    with pytest.raises(ValueError) as info:
        from_mapping({"lr": 0.1, "learning_rate": 0.1}, source="run.toml")
    message = str(info.value)
    assert message.startswith("run.toml:") and "'learning_rate'" in message and "lr" in message


def test_from_mapping_parses_values_like_the_form():
    cfg = from_mapping({"lr": 0.05, "batch-size": 64, "hidden": [8, 4], "dataset": "circles", "seed": 3,
                        "schedule": "step", "decay_every": 5, "standardize": True, "n_samples": "500"})
    assert (cfg.lr, cfg.batch_size, cfg.hidden, cfg.dataset) == (0.05, 64, (8, 4), "circles")
    assert (cfg.seed, cfg.schedule, cfg.decay_every, cfg.standardize, cfg.n_samples) == (3, "step", 5, True, 500)
    assert from_mapping({"batch_size": "full"}).batch_size == "full"
    assert from_mapping({"epochs": 5.0}).epochs == 5  # a whole float in a TOML file is fine
    base = RunConfig(dataset="spiral", lr=0.2)
    assert from_mapping({"seed": 9}, base=base) == base.replace(seed=9)
    assert from_mapping({}) == RunConfig()


@pytest.mark.parametrize("mapping, words", [
    ({"lr": "abc"}, "Learning rate:"),
    ({"lr": -1}, "Learning rate:"),
    ({"lr": float("nan")}, "Learning rate:"),
    ({"epochs": 1.5}, "Epochs:"),
    ({"seed": True}, "Seed:"),
    ({"hidden": [8, 0]}, "Hidden layers:"),
    ({"batch_size": 0}, "Batch size:"),
    ({"loss": "cross_entropy", "output": "linear"}, "Output:"),
])
def test_from_mapping_refuses_bad_values_naming_the_field(mapping, words):
    with pytest.raises(ValueError) as info:
        from_mapping(mapping)
    assert str(info.value).startswith(words)


def test_floats_survive_a_mapping_round_trip_exactly():
    cfg = RunConfig(lr=1 / 3, decay=0.123456789, l2=1e-7 / 3, momentum=0.987654321, noise=0.1 + 0.2)
    assert from_mapping(cfg.to_dict()) == cfg
    assert from_mapping({"lr": 0.0123456789}).lr == 0.0123456789


def test_validate_checks_the_exact_values():
    assert validate(RunConfig()) == RunConfig()
    with pytest.raises(ValueError, match="^Learning rate:"):
        validate(RunConfig(lr=9.9999999e-7))  # would print as 1e-06
    with pytest.raises(ValueError, match="^Momentum:"):
        validate(RunConfig(momentum=0.9995))
    with pytest.raises(ValueError, match="^Output:"):
        validate(RunConfig(loss="cross_entropy", output="linear"))
    with pytest.raises(ValueError, match="^Hidden layers:"):
        validate(RunConfig(hidden=(8, 2000)))


@pytest.mark.parametrize("changes, name", [
    ({"lr": 5000.0}, "lr"), ({"momentum": 0.9995}, "momentum"), ({"hidden": (8, 2000)}, "hidden"),
    ({"batch_size": True}, "batch_size"), ({"n_samples": 2.5}, "n_samples"), ({"dataset": " "}, "dataset"),
    ({"activation": "swish"}, "activation"), ({"targets": ((1.0,),)}, "dataset"),
    ({"loss": "cross_entropy", "output": "linear"}, "output"),
])
def test_the_engine_refuses_a_bad_value_naming_the_field_and_the_form_words_it(changes, name):
    bad = RunConfig(**changes)
    with pytest.raises(FieldError) as info:
        config.validate(bad)
    assert info.value.field == name
    with pytest.raises(FieldError):
        config.build(bad)  # refused before any data is loaded
    with pytest.raises(ValueError, match="^" + FIELDS[name].label + ": "):
        validate(bad)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from([n for n, f in FIELDS.items() if f.kind in ("int", "float", "batch", "layers")]),
       text=NUMBERISH)
def test_what_the_form_accepts_the_engine_accepts(name, text):
    value = parse_or_error(name, text)
    if value is not None or FIELDS[name].optional:
        config.validate(RunConfig().replace(**{name: value}))


def test_every_run_config_field_has_a_form_field():
    # The per-layer activations are written in the Hidden layers field (8:relu,8).
    assert [f.name for f in fields(RunConfig) if f.name != "activations"] == list(FIELDS)
    for name in FIELDS:
        default = getattr(RunConfig(), name)
        assert parse_field(name, format_field(name, default)) == default


# ----- presets ----------------------------------------------------------------------------------------
def is_mnist(preset):
    return "mnist" in preset.name


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_every_preset_validates_and_round_trips(name):
    preset = presets.get(name)
    assert preset.name == name and preset.teaches
    assert validate(preset.config) == preset.config
    assert from_mapping(preset.config.to_dict()) == preset.config
    for name in FIELDS:
        value = field_value(preset.config, name)
        assert parse_field(name, format_field(name, value)) == value, name


@pytest.mark.parametrize("name", [n for n, p in presets.PRESETS.items() if not is_mnist(p)])
def test_every_preset_builds(name):
    cfg = presets.get(name).config
    run = config.build(cfg)
    data, net, trainer = run.data, run.net, run.trainer
    assert net.sizes == (data.n_features, *cfg.hidden, config.output_units(cfg, data.n_classes))
    assert (net.activation, net.output, net.loss, net.dtype.name) == (cfg.activation, cfg.output, cfg.loss, cfg.dtype)
    assert (net.l1, net.l2) == (cfg.l1, cfg.l2)
    assert trainer.optimizer.name == cfg.optimizer and trainer.lr == cfg.lr
    assert trainer.batch_size == (data.n_train if cfg.batch_size == "full" else min(cfg.batch_size, data.n_train))
    assert trainer.schedule.name == cfg.schedule
    if cfg.n_samples is not None and cfg.dataset not in ("digits",):
        assert data.n_train + data.n_test == cfg.n_samples
    before = net.params.copy()
    trainer.train(steps=3)
    assert trainer.step_count == 3 or trainer.divergence is not None
    assert np.all(np.isfinite(net.params))
    # A diverged run is back on parameters whose loss was normal, which may be the first ones.
    assert trainer.divergence is not None or not np.array_equal(net.params, before)


@pytest.mark.parametrize("mnist", [p for p in presets.PRESETS.values() if is_mnist(p)], ids=lambda p: p.name)
def test_mnist_preset_without_files_says_where_to_put_them(tmp_path, monkeypatch, mnist):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLP_TUI_MNIST", str(tmp_path / "mnist-files"))
    assert validate(mnist.config) == mnist.config
    with pytest.raises((engine.DatasetError, ValueError)) as info:
        config.build(mnist.config)
    message = str(info.value)
    folders = {str(datasets.default_mnist_dir()), str(Path(mnist.config.dataset).expanduser())}
    assert any(folder in message for folder in folders), message
    for base in datasets.MNIST_FILES[:2]:
        assert base in message
    assert "MLP_TUI_MNIST" in message


def test_unknown_preset_lists_the_names():
    with pytest.raises(ValueError) as info:
        presets.get("moon")
    assert "'moon'" in str(info.value)
    for name in presets.PRESETS:
        assert name in str(info.value)


def test_the_default_preset_is_run_configs_defaults():
    assert presets.DEFAULT_PRESET == "moons"
    default = presets.get(presets.DEFAULT_PRESET).config
    assert default.dataset == RunConfig().dataset == "moons"
    for key in ("hidden", "activation", "output", "loss", "optimizer", "lr", "batch_size", "seed"):
        assert getattr(default, key) == getattr(RunConfig(), key), key
