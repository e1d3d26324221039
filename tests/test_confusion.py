import numpy as np
import pytest

from engine.confusion import confusion_matrix


def test_counts_true_rows_against_predicted_columns():
    # Worked by hand: class 0 once right, once taken for 1; class 1 twice right; class 2 taken for 0.
    cm = confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 0], [1, 0, 0]])


def test_no_samples_give_a_matrix_of_zeros():
    np.testing.assert_array_equal(confusion_matrix([], [], 2), np.zeros((2, 2)))


@pytest.mark.parametrize("true, predicted, which", [([0, 3], [0, 1], "true"), ([0, 1], [0, -1], "predicted")])
def test_a_label_outside_the_classes_is_refused(true, predicted, which):
    with pytest.raises(ValueError, match=f"{which} classes must be in 0..2"):
        confusion_matrix(true, predicted, 3)
