"""Robustness of the form: every Input of the form fed nasty text through the Pilot (and typed
key by key), plus Hypothesis properties over ``mlp_tui.fields.parse_field`` and the form's
``_accept`` path.

Run with ``pytest -s`` to see the figures (values tried).
"""
from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings, strategies as st
from textual.widgets import Button, Input, Static

from engine.features import FEATURES
from engine.network import MAX_HIDDEN_WIDTH
from helpers import widget_text
from mlp_tui import fields
from mlp_tui.widgets.hyperparams import ORDER

# ----------------------------------------------------------------------------------- helpers

NASTY = ["", "   ", "\t", "nan", "NaN", "inf", "-inf", "-0", "1e309", "1e-400", "9" * 60, "-" + "9" * 40,
         "1" + "0" * 150, "٣", "１２", "ünïcødé ✓", "\u200b", "x" * 10_240, "8,,8", "0", "-3", "100000",
         "8;8", "full", "1_000", "0x10", "8, 8", ","]

INPUT_FIELDS = [name for name in ORDER if fields.FIELDS[name].kind not in ("choice", "bool")]


def range_words(name: str) -> str:
    """Text every error message of field ``name`` must contain: its allowed range (or, for the
    dataset's free text, what it accepts)."""
    f = fields.FIELDS[name]
    if f.kind in ("int", "batch"):
        return f"from {int(f.lo)} to {int(f.hi)}"
    if f.kind in ("float", "rates"):
        return f"from {f.lo:g} to {f.hi:g}"
    if f.kind == "layers":
        return f"1 to {MAX_HIDDEN_WIDTH}"
    if f.kind == "features":
        return ", ".join(FEATURES)
    if f.kind == "choice":
        return ", ".join(f.choices)
    if f.kind == "bool":
        return "true or false"
    return f.help


def check_message(name: str, message: str) -> None:
    label = fields.FIELDS[name].label
    assert message.startswith(f"{label}: "), message
    assert range_words(name) in message, message
    assert "\n" not in message


def check_value(name: str, value) -> None:
    """``value`` is a valid value of field ``name`` (in range, in choices)."""
    f = fields.FIELDS[name]
    if value is None:
        assert f.optional
    elif f.kind in ("int", "float"):
        assert isinstance(value, int if f.kind == "int" else float) and not isinstance(value, bool)
        assert f.lo <= value <= f.hi
    elif f.kind == "batch":
        assert value == "full" or (isinstance(value, int) and f.lo <= value <= f.hi)
    elif f.kind == "layers":
        assert isinstance(value, tuple) and all(1 <= w <= MAX_HIDDEN_WIDTH for w in value)
    elif f.kind == "choice":
        assert value in f.choices
    elif f.kind == "bool":
        assert isinstance(value, bool)
    elif f.kind == "matrix":
        assert isinstance(value, tuple) and all(len(row) == len(value[0]) for row in value)
        assert all(type(x) is float and math.isfinite(x) for row in value for x in row)
    elif f.kind == "rates":
        assert isinstance(value, tuple) and all(type(r) is float and f.lo <= r <= f.hi for r in value)
    else:
        assert isinstance(value, str) and value.strip() == value and value


def trainer_state(session) -> tuple:
    """Everything a live change could touch in the running trainer."""
    t = session.trainer
    return (session.config, t.lr, t.batch_size, t.net.l1, t.net.l2, t.clip_norm, t.clip_value,
            t.schedule.name, repr(t.schedule.params()), repr(t.optimizer.hyperparameters()))


def check_form_after(app, name: str, text: str, before: tuple | None) -> None:
    """What the form must show after field ``name`` received ``text`` (``before``: the trainer's
    state before, which an invalid value must leave as it was; None to skip that check)."""
    form = app.form
    apply = app.query_one("#apply", Button)
    try:
        expected, problem = fields.parse_field(name, text), None
    except ValueError as e:
        expected, problem = None, str(e)
    assert app._exception is None
    if problem is not None:
        assert form.errors.get(name) == problem
        check_message(name, problem)
        error = app.query_one(f"#error-{name}", Static)
        assert error.has_class("-shown") and widget_text(app, f"#error-{name}") == problem
        assert apply.disabled  # Apply stays disabled while a message shows
        assert form.request_apply() is False
        if before is not None:
            assert trainer_state(app.session) == before  # the trainer keeps its previous valid values
    else:
        assert name not in form.errors, form.errors
        assert form.values[name] == expected
        check_value(name, expected)
        assert not app.query_one(f"#error-{name}", Static).has_class("-shown")
        assert apply.disabled == bool(form.errors or fields.check(form._candidate()))
        if fields.FIELDS[name].live and not form.errors:
            assert getattr(app.session.config, name) == expected  # applied live


# ----------------------------------------------------------------------------------- form fields


async def test_every_form_field_survives_nasty_text(app_factory):
    """Each Input field gets each nasty value through the Pilot; then its original text again."""
    app = app_factory()
    tried = 0
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app.session.running  # paused: live values land while nothing trains
        for name in INPUT_FIELDS:
            field = app.query_one(f"#field-{name}", Input)
            original = field.value
            for text in NASTY:
                before = trainer_state(app.session)
                field.value = text
                await pilot.pause()
                check_form_after(app, name, text, before)
                tried += 1
                field.value = original
                await pilot.pause()
                assert name not in app.form.errors
                assert not app.query_one("#apply", Button).disabled
        assert app.session.trainer.lr == 0.01 and app.session.config == app.form.applied
    print(f"\nform: {tried} values set through the Pilot ({len(INPUT_FIELDS)} fields x {len(NASTY)})")


async def test_typing_bad_text_key_by_key(app_factory):
    """The same through real key presses: a few sequences per field, each ending in a check."""
    app = app_factory()
    typed = 0
    async with app.run_test(size=(120, 40)) as pilot:
        for name in INPUT_FIELDS:
            field = app.query_one(f"#field-{name}", Input)
            original = field.value
            field.focus()
            for text in ("-3", "8,,8", "é1"):
                before = trainer_state(app.session)
                field.value = ""
                await pilot.pause()
                await pilot.press(*text)
                typed += len(text)
                assert field.value == text
                check_form_after(app, name, text, None)
                # The trainer holds the last valid value on the way ("8" while typing "8,,8"), or
                # the value before the field was cleared; nothing else changed.
                last = getattr(before[0], name)
                for prefix in ["", *(text[:i] for i in range(1, len(text) + 1))]:
                    try:
                        last = fields.parse_field(name, prefix)
                    except ValueError:
                        pass
                if fields.FIELDS[name].live:
                    assert getattr(app.session.config, name) == last
                else:
                    assert trainer_state(app.session) == before
            field.value = original
            await pilot.pause()
            assert not app.form.errors
    print(f"\nform: {typed} keys typed into {len(INPUT_FIELDS)} fields")


async def test_apply_and_enter_do_nothing_while_a_message_shows(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        net = app.session.net
        hidden = app.query_one("#field-hidden", Input)
        hidden.focus()
        hidden.value = "8,,8"
        await pilot.pause()
        assert app.query_one("#apply", Button).disabled
        await pilot.press("enter")  # Enter in a field applies, but not while a field is invalid
        await pilot.pause()
        assert app.session.net is net
        app.query_one("#apply", Button).press()
        await pilot.pause()
        assert app.session.net is net


async def test_a_live_value_typed_while_another_field_is_invalid_is_applied_once_fixed(app_factory):
    """Regression: lr typed while Hidden layers showed an error used to stay in the form only."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#field-hidden", Input).value = "8,,8"
        await pilot.pause()
        app.query_one("#field-lr", Input).value = "0.05"
        await pilot.pause()
        assert app.session.trainer.lr == 0.01  # held while the form is invalid
        app.query_one("#field-hidden", Input).value = "16,16"
        await pilot.pause()
        assert app.session.trainer.lr == 0.05 and app.session.config.lr == 0.05
        assert "Learning rate = 0.05" in app.status_text


NUMBERISH = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda x: f"{x:g}"),
    st.integers(min_value=-(10 ** 40), max_value=10 ** 40).map(str),
    st.integers(min_value=-5, max_value=2000).map(str),
)
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789.,-+eE; _fulnai", max_size=24),
    NUMBERISH,
    st.sampled_from(NASTY),
    st.lists(st.integers(min_value=-3, max_value=1100), max_size=12).map(lambda ws: ",".join(map(str, ws))),
    st.text(min_size=190, max_size=260),
)
FIELD_NAMES = st.sampled_from(list(fields.FIELDS))
PROPERTY_SETTINGS = settings(max_examples=400, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@PROPERTY_SETTINGS
@given(name=FIELD_NAMES, text=TEXT)
def test_parse_field_accepts_a_valid_value_or_names_the_field_and_range(name, text):
    try:
        value = fields.parse_field(name, text)
    except ValueError as e:
        check_message(name, str(e))
    else:
        check_value(name, value)


async def test_form_accept_path_property(app_factory):
    """Hypothesis drives the form's own validation (``_accept``, as every widget event does) on a
    mounted form: a valid value is taken, an invalid one shows its message and blocks Apply, and
    only valid values are ever sent to the trainer."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        apply = app.query_one("#apply", Button)
        sent: list[dict] = []
        post = form.post_message

        def record(message):
            if isinstance(message, form.LiveChange):
                sent.append(dict(message.changes))
            return post(message)

        form.post_message = record
        examples = 0

        @PROPERTY_SETTINGS
        @given(name=st.sampled_from(ORDER), text=TEXT)  # the fields the form shows
        def accept(name, text):
            nonlocal examples
            examples += 1
            old = form.values[name]
            form._accept(name, text)
            try:
                value = fields.parse_field(name, text)
            except ValueError as e:
                assert form.errors[name] == str(e)
                check_message(name, str(e))
                assert form.values[name] == old
                assert apply.disabled
            else:
                assert name not in form.errors
                assert form.values[name] == value
                assert apply.disabled == bool(form.errors or fields.check(form._candidate()))
            fields.validate(form.applied)  # what the trainer gets is always a valid configuration

        accept()
        await pilot.pause()
        assert app._exception is None
        for changes in sent:
            for key, value in changes.items():
                assert fields.FIELDS[key].live
                check_value(key, value)
        fields.validate(app.session.config)
        assert app.session.config == form.applied
    print(f"\nform: {examples} Hypothesis examples through _accept, {len(sent)} live changes sent")
