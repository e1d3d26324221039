import numpy as np
import pytest

from engine.arith import evaluate, exact, exact_opnd, num, opnd


@pytest.mark.parametrize("x", [0.1, -2.5, 1 / 3, 1e-300, float(np.float32(0.7)), 2.0**60])
def test_exact_reads_back_as_the_same_float(x):
    assert float(exact(x)) == x
    assert evaluate(f"0 + {exact_opnd(x)}") == x


def test_exact_writes_whole_numbers_without_a_point():
    assert (exact(1.0), exact(-3.0), exact(0.0)) == ("1", "-3", "0")


@pytest.mark.parametrize("write", [lambda x: opnd(x, 4), exact_opnd])
def test_a_negative_operand_is_parenthesised_so_it_can_follow_an_operator(write):
    assert write(-0.25) == "(-0.25)" and write(0.25) == "0.25"
    assert evaluate(f"2**{write(-1.0)}") == 0.5


def test_num_keeps_the_digits_asked_for():
    assert num(1 / 3, 4) == "0.3333" and num(2 / 3, 2) == "0.67"
