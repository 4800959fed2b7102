"""Data sets: the bundled handwritten digits, and readers for MNIST and Fashion-MNIST files.

Not imported by ``import chainrule``; use ``import chainrule.datasets``. The digits ship with the
package (no download); MNIST-style data sets read the standard IDX files from a folder.

Example:
    >>> from chainrule.datasets import Digits
    >>> len(Digits(train=False))
    360
"""

from .digits import Digits, load_digits
from .mnist import MNIST, FashionMNIST, download_idx_files, read_idx

__all__ = ["load_digits", "Digits", "read_idx", "MNIST", "FashionMNIST", "download_idx_files"]
