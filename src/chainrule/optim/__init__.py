"""Optimizers and learning-rate schedulers, as in ``torch.optim``.

Each optimizer updates ``p.data`` in place with NumPy (no graph is recorded) and states its
update rule in its docstring.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
