"""nn.Dropout: train and eval modes, repr, argument checks."""

import numpy as np
import pytest

import chainrule
from chainrule import nn


def test_dropout_drops_in_training_and_is_identity_in_eval():
    drop = nn.Dropout(0.5)
    chainrule.manual_seed(0)
    out = drop(chainrule.ones(1000)).data
    assert set(np.unique(out)) == {0.0, 2.0}
    x = chainrule.ones(1000)
    assert drop.eval()(x) is x
    assert not drop.training


def test_dropout_inplace_in_training():
    x = chainrule.ones(100)
    chainrule.manual_seed(1)
    out = nn.Dropout(0.25, inplace=True)(x)
    assert out is x and set(np.unique(x.data)) <= {0.0, np.float32(4 / 3)}


def test_dropout_repr_and_no_parameters():
    drop = nn.Dropout(p=0.1)
    assert repr(drop) == "Dropout(p=0.1, inplace=False)"
    assert list(drop.parameters()) == [] and drop.state_dict() == {}


def test_dropout_rejects_bad_p_at_construction():
    with pytest.raises(ValueError, match=r"Dropout: dropout probability has to be between 0 and "
                                         r"1, but got 2"):
        nn.Dropout(2)
