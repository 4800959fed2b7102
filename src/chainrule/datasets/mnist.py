"""MNIST and Fashion-MNIST from their standard IDX files, and a reader for any IDX file.

An IDX file (raw or gzip-compressed) is::

    2 bytes     zero
    1 byte      dtype code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
                0x0E float64
    1 byte      number of dimensions d
    4 d bytes   each size, a big-endian unsigned 32-bit integer
    the rest    the values, big-endian, C order

The data sets look for the standard file names (``train-images-idx3-ubyte`` and so on, with or
without ``.gz``) in ``root/<ClassName>/raw``, the folder torchvision uses, so one download serves
both libraries.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..utils.data import Dataset

__all__ = ["read_idx", "download_idx_files", "MNIST", "FashionMNIST"]

_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"

PathLike = str | os.PathLike


def read_idx(path: PathLike) -> np.ndarray:
    """The array stored in an IDX file, raw or gzip-compressed (detected from its first bytes).

    Args:
        path: the file.

    Returns:
        A NumPy array (not a Tensor) in native byte order, with the file's dtype and shape.

    Raises:
        ValueError: the file is not valid IDX or gzip: wrong magic number, unknown dtype code,
            a header or data length that does not match the sizes it declares.

    Example:
        >>> import numpy as np, os, tempfile
        >>> from chainrule.datasets import read_idx
        >>> path = os.path.join(tempfile.mkdtemp(), "x-idx2-ubyte")
        >>> with open(path, "wb") as f:
        ...     _ = f.write(bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]))
        >>> read_idx(path)
        array([[1, 2, 3],
               [4, 5, 6]], dtype=uint8)
    """
    with open(path, "rb") as f:
        data = f.read()
    name = os.fspath(path)
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"read_idx: {name} starts like a gzip file but does not "
                             f"decompress ({error}); the file is corrupted or truncated, "
                             f"download it again") from None
    return _parse_idx(data, name)


def _parse_idx(data: bytes, name: str) -> np.ndarray:
    """Validate the IDX header against the data's length, then view the values."""
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise ValueError(f"read_idx: {name} is not an IDX file: its magic number is "
                         f"{data[:4].hex() or 'missing'} (expected 0000 then a dtype code and "
                         f"the number of dimensions, e.g. 00000803)")
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X} {d.name}" for c, d in _IDX_DTYPES.items())
        raise ValueError(f"read_idx: {name} has the unknown dtype code 0x{code:02X}; "
                         f"expected one of {known}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"read_idx: {name} is truncated: {ndim} dimensions need a "
                         f"{header}-byte header but the file has {len(data)} bytes")
    shape = tuple(int(n) for n in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        problem = "is truncated" if len(data) - header < expected else "has trailing bytes"
        raise ValueError(f"read_idx: {name} {problem}: its header declares shape {shape} of "
                         f"{dtype.name} ({expected} bytes of data) but {len(data) - header} "
                         f"bytes follow the header")
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # a writable copy in native order


def _md5(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.md5(f.read(), usedforsecurity=False).hexdigest()


def download_idx_files(folder: PathLike, mirrors: Sequence[str],
                       files: Sequence[tuple[str, str]], timeout: float = 30.0) -> None:
    """Download each ``(file name, md5)`` in ``files`` into ``folder``, trying each mirror URL.

    Files already there with the right checksum are kept. Each file is checked against its MD5
    and written atomically (a temporary name, then renamed), so a failure leaves no partial file.

    Args:
        folder: where the files go (created if missing).
        mirrors: base URLs, tried in order; the file name is appended to each.
        files: the file names and their MD5 checksums (hex).
        timeout: seconds to wait on connecting or on each read, per URL.

    Raises:
        RuntimeError: a file could not be fetched from any mirror (no network, for instance).
            The message names the URLs tried and the files to place in ``folder`` by hand.
    """
    import urllib.request  # imported here: only downloads need it

    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    for name, md5 in files:
        path = os.path.join(folder, name)
        if os.path.exists(path) and _md5(path) == md5:
            continue
        errors = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    payload = response.read()
            except (OSError, ValueError) as error:  # URLError, HTTPError, timeouts are OSErrors
                errors.append(f"{url}: {error}")
                continue
            if hashlib.md5(payload, usedforsecurity=False).hexdigest() != md5:
                errors.append(f"{url}: the MD5 checksum does not match {md5}")
                continue
            _write_atomically(path, payload)
            break
        else:
            names = ", ".join(n for n, _ in files)
            raise RuntimeError(
                f"download_idx_files: could not download {name}; tried " + "; ".join(errors)
                + f". Without network access, download the files {names} by hand (from "
                f"{mirrors[0] if mirrors else 'a mirror'}) and place them in {folder}")


def _write_atomically(path: str, payload: bytes) -> None:
    partial = f"{path}.partial-{os.getpid()}"
    try:
        with open(partial, "wb") as f:
            f.write(payload)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


class MNIST(Dataset):
    """MNIST's 60,000 training or 10,000 test images of handwritten digits, 28x28 pixels.

    Sample ``i`` is ``(image, target)``: image a float32 Tensor of shape (1, 28, 28) in [0, 1]
    (pixel / 255, what torchvision's ``ToTensor`` gives), target a Python int, each passed
    through ``transform`` / ``target_transform`` when given. ``data`` (uint8, (N, 28, 28)) and
    ``targets`` (int64, (N,)) are Tensors of the whole split, as in torchvision.

    Args:
        root: the folder holding ``MNIST/raw/`` (torchvision's layout).
        train: the training files (``train-*``) or the test files (``t10k-*``).
        download: fetch missing files from :attr:`mirrors` first (needs network access).
        transform: called on each image Tensor.
        target_transform: called on each target.

    Raises:
        FileNotFoundError: a file is missing and ``download`` is False.
        RuntimeError: ``download`` is True and a file cannot be fetched.
        ValueError: a file is not valid IDX, or images and labels do not match.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: PathLike, train: bool = True, download: bool = False,
                 transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.root = os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()
        prefix = "train" if train else "t10k"
        images = read_idx(self._find(f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(self._find(f"{prefix}-labels-idx1-ubyte"))
        self._check(images, labels)
        self.data = Tensor(images)
        self.targets = Tensor(labels.astype(np.int64))

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def download(self) -> None:
        """Fetch the four files into :attr:`raw_folder` unless they are already there."""
        missing = [(n, md5) for n, md5 in self.resources if not self._exists(n.removesuffix(".gz"))]
        if missing:
            download_idx_files(self.raw_folder, self.mirrors, missing)

    def _exists(self, stem: str) -> bool:
        return any(os.path.exists(os.path.join(self.raw_folder, stem + ext)) for ext in ("", ".gz"))

    def _find(self, stem: str) -> str:
        for name in (stem, stem + ".gz"):
            path = os.path.join(self.raw_folder, name)
            if os.path.exists(path):
                return path
        names = ", ".join(n for n, _ in self.resources)
        raise FileNotFoundError(
            f"{type(self).__name__}: {stem} (or {stem}.gz) not found in {self.raw_folder}; pass "
            f"download=True, or download {names} from {self.mirrors[0]} and place them there")

    def _check(self, images: np.ndarray, labels: np.ndarray) -> None:
        cls = type(self).__name__
        if images.dtype != np.uint8 or images.ndim != 3:
            raise ValueError(f"{cls}: the images file holds {images.dtype} of shape "
                             f"{images.shape}; expected uint8 of shape (N, rows, columns)")
        if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
            raise ValueError(f"{cls}: the labels file holds {labels.dtype} of shape "
                             f"{labels.shape}; expected uint8 of shape ({images.shape[0]},), "
                             f"one label per image")
        if labels.size and labels.max() >= len(self.classes):
            raise ValueError(f"{cls}: the labels file has the label {labels.max()}; expected "
                             f"0..{len(self.classes) - 1}")

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = Tensor(self.data.data[index][None].astype(np.float32) / np.float32(255))
        target = int(self.targets.data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        return self.targets.shape[0]

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split}, samples={len(self)}, root={self.root!r})"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 images of 10 kinds of clothing, in MNIST's file format.

    Same arguments, samples and file names as :class:`MNIST`, read from ``root/FashionMNIST/raw``.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
