"""save / load: checkpoints in the safetensors format, written atomically, read without pickle.

A file has three parts (the safetensors layout)::

    8 bytes    N, the length of the header (unsigned, little-endian)
    N bytes    a JSON object: {"name": {"dtype": "F32", "shape": [2, 3],
                                        "data_offsets": [begin, end]}, ...,
                               "__metadata__": {"chainrule.tree": "<JSON>"}}
    the rest   each tensor's bytes (little-endian, C order) at [begin, end) of this section

The saved object's structure (dicts, lists, tuples, numbers, strings, None) is JSON stored as a
string in ``__metadata__``, where ``{"tensor": name}`` stands for a tensor. A flat dict of
string keys to tensors (a state dict) names its tensors by its keys, so any safetensors reader
sees the same dict. Loading only parses JSON and copies bytes into arrays: no code is run.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
from typing import IO, Any

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load"]

_TREE_KEY = "chainrule.tree"
_MAX_HEADER = 100_000_000  # the safetensors limit; a larger length means a foreign file
_DTYPES = {
    "F16": np.float16,
    "F32": np.float32,
    "F64": np.float64,
    "U8": np.uint8,
    "I32": np.int32,
    "I64": np.int64,
    "BOOL": np.bool_,
}
_DTYPES = {name: np.dtype(t).newbyteorder("<") for name, t in _DTYPES.items()}
_NAMES = {dtype.newbyteorder("="): name for name, dtype in _DTYPES.items()}

PathOrFile = str | os.PathLike | IO[bytes]


def save(obj: Any, f: PathOrFile) -> None:
    """Write ``obj`` (tensors, arrays, numbers, strings, bools, None in dicts, lists and tuples)
    to ``f``, a path or a binary file object.

    A path is written atomically: to a temporary file in the same folder, flushed to disk,
    then renamed over ``f``, so a crash mid-save leaves any previous file intact.

    Example:
        >>> import chainrule, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
        >>> chainrule.save({"w": chainrule.ones(2), "step": 3}, path)
        >>> chainrule.load(path)
        {'w': tensor([1., 1.]), 'step': 3}
    """
    flat = isinstance(obj, dict) and all(
        isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items()
    )
    encoder = _Encoder(flat)
    tree = encoder.encode(obj, "")
    arrays = encoder.arrays
    header, offset = {}, 0
    for name, array in arrays:
        header[name] = {
            "dtype": _NAMES[array.dtype.newbyteorder("=")],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    header["__metadata__"] = {_TREE_KEY: json.dumps(tree, separators=(",", ":"))}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # pad so the tensor data starts 8-byte aligned
    if hasattr(f, "write"):
        _write(f, text, arrays)
        return
    _atomic_write(os.fspath(f), text, arrays)


class _Encoder:
    """Turns an object into its JSON tree, collecting its tensors and arrays under unique names."""

    def __init__(self, flat: bool) -> None:
        self.flat = flat  # a flat dict of tensors: name each tensor by its key
        self.arrays: list[tuple[str, np.ndarray]] = []
        self.names: dict[int, str] = {}
        self.used = {"__metadata__"}

    def encode(self, obj: Any, path: str) -> Any:
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, (Tensor, np.ndarray)):
            return self.encode_array(obj, path)
        if isinstance(obj, dict):
            return {
                "dict": [
                    [self.encode_key(k, path), self.encode(v, self.sub(path, k))]
                    for k, v in obj.items()
                ]
            }
        if isinstance(obj, (list, tuple)):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {kind: [self.encode(v, self.sub(path, i)) for i, v in enumerate(obj)]}
        raise TypeError(
            f"save: {path or 'the object'} is a {type(obj).__name__}, which cannot "
            "be saved; use tensors, arrays, numbers, strings, bools, None, dicts, "
            "lists and tuples (for a module or optimizer, save its state_dict())"
        )

    def sub(self, path: str, key: Any) -> str:
        return key if self.flat else f"{path}.{key}" if path else str(key)

    def encode_key(self, key: Any, path: str) -> Any:
        if key is None or isinstance(key, (bool, int, float, str)):
            return key
        if isinstance(key, tuple) and all(isinstance(k, (bool, int, float, str)) for k in key):
            return {"tuple": list(key)}
        raise TypeError(
            f"save: dict key {key!r} at {path or 'the top level'} is a "
            f"{type(key).__name__}; keys must be str, int, float, bool, None or "
            "tuples of these"
        )

    def encode_array(self, obj: Tensor | np.ndarray, path: str) -> dict:
        array = obj.data if isinstance(obj, Tensor) else obj
        if array.dtype.newbyteorder("=") not in _NAMES:
            raise TypeError(
                f"save: {path or 'the object'} has dtype {array.dtype}, which cannot "
                f"be saved; supported: {', '.join(str(d) for d in _NAMES)}"
            )
        if id(obj) not in self.names:  # a tensor saved twice (tied weights) is stored once
            name = path or "tensor"
            while name in self.used:
                name += "_"
            self.used.add(name)
            self.names[id(obj)] = name
            little = array.astype(array.dtype.newbyteorder("<"), copy=False)
            if not little.flags.c_contiguous:  # (np.ascontiguousarray would make 0-d 1-d)
                little = little.copy(order="C")
            self.arrays.append((name, little))
        node = {"tensor" if isinstance(obj, Tensor) else "ndarray": self.names[id(obj)]}
        if isinstance(obj, Tensor) and obj.requires_grad:
            node["requires_grad"] = True
        return node


def _write(out: IO[bytes], header: bytes, arrays: list) -> None:
    out.write(struct.pack("<Q", len(header)))
    out.write(header)
    for _, array in arrays:
        out.write(array.reshape(-1).view(np.uint8).data)


def _atomic_write(path: str, header: bytes, arrays: list) -> None:
    """Write to a fresh temporary file beside `path`, fsync it, then rename it over `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)  # the umask applies, as for any new file
    try:
        with os.fdopen(fd, "wb") as out:
            _write(out, header, arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(f: PathOrFile, map_location=None, weights_only: bool = True) -> Any:
    """Read an object written by :func:`save` (or a safetensors file: a dict of tensors).

    Nothing in the file is executed. A truncated, corrupted or foreign file raises a
    ValueError naming the file and what is wrong. ``map_location`` may only name the CPU;
    ``weights_only`` is accepted for PyTorch compatibility (loading is always data-only).
    """
    if map_location not in (None, "cpu") and str(map_location).split(":")[0] != "cpu":
        raise ValueError(f"load: chainrule runs on the CPU only, got map_location={map_location!r}")
    if hasattr(f, "read"):
        return _read(f, str(getattr(f, "name", "<file object>")))
    path = os.fspath(f)
    with open(path, "rb") as file:
        return _read(file, path)


def _read(file: IO[bytes], name: str) -> Any:
    start = file.tell()
    size = file.seek(0, os.SEEK_END) - start
    file.seek(start)
    first = file.read(8)
    if len(first) < 8:
        raise ValueError(
            f"load: {name}: not a chainrule/safetensors file: it has only "
            f"{size} bytes (empty or truncated)"
        )
    (length,) = struct.unpack("<Q", first)
    if not 2 <= length <= _MAX_HEADER:
        raise ValueError(
            f"load: {name}: not a chainrule/safetensors file: its first 8 bytes "
            f"{first!r} give a header length of {length} bytes"
        )
    if 8 + length > size:
        raise ValueError(
            f"load: {name}: truncated or not a chainrule/safetensors file: the "
            f"header needs {length} bytes but only {size - 8} follow"
        )
    header = _parse_header(file.read(length), name)
    entries = _check_entries(header, name, size - 8 - length)
    tensors = {}
    for key, (dtype, shape, begin, end) in entries.items():
        file.seek(start + 8 + length + begin)
        array = np.empty(shape, dtype=dtype.newbyteorder("="))
        if file.readinto(array.reshape(-1).view(np.uint8).data) != end - begin:
            raise ValueError(f"load: {name}: truncated: tensor {key!r} ends past the file")
        if array.dtype == np.bool_ and (array.reshape(-1).view(np.uint8) > 1).any():
            raise ValueError(
                f"load: {name}: corrupted: bool tensor {key!r} holds bytes other than 0 and 1"
            )
        tensors[key] = array
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(
            f"load: {name}: corrupted header: __metadata__ must map strings to strings"
        )
    if _TREE_KEY not in metadata:  # a plain safetensors file: a flat dict of tensors
        return {key: Tensor(array) for key, array in tensors.items()}
    try:
        tree = json.loads(metadata[_TREE_KEY])
        return _decode(tree, tensors, {})
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        raise ValueError(f"load: {name}: corrupted structure in the header: {error}") from None


def _parse_header(raw: bytes, name: str) -> dict:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ValueError(
            f"load: {name}: not a chainrule/safetensors file, or a corrupted "
            f"one: the header is not valid JSON ({error})"
        ) from None
    if not isinstance(header, dict):
        raise ValueError(
            f"load: {name}: corrupted header: expected a JSON object, got {type(header).__name__}"
        )
    return header


def _check_entries(header: dict, name: str, data_size: int) -> dict:
    """Validate every tensor entry; the data must tile [0, data_size) exactly."""
    entries = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        where = f"load: {name}: corrupted header: tensor {key!r}"
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
            raise ValueError(f"{where} needs dtype, shape and data_offsets, got {entry!r}")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in _DTYPES:
            raise ValueError(f"{where} has dtype {dtype!r}; chainrule reads {', '.join(_DTYPES)}")
        if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
            raise ValueError(f"{where} has shape {shape!r}; expected a list of sizes >= 0")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(_is_count(n) for n in offsets)
            or offsets[0] > offsets[1]
        ):
            raise ValueError(f"{where} has data_offsets {offsets!r}; expected [begin, end]")
        nbytes = int(np.prod(shape, dtype=object)) * _DTYPES[dtype].itemsize
        if offsets[1] - offsets[0] != nbytes:
            raise ValueError(
                f"{where}: shape {shape} of {dtype} needs {nbytes} bytes but its "
                f"data_offsets {offsets} span {offsets[1] - offsets[0]}"
            )
        entries[key] = (_DTYPES[dtype], tuple(shape), offsets[0], offsets[1])
    end = 0
    for key, (_, _, begin, stop) in sorted(entries.items(), key=lambda kv: kv[1][2:]):
        if begin != end:
            raise ValueError(
                f"load: {name}: corrupted header: tensor {key!r} starts at byte "
                f"{begin} of the data, expected {end} (gap or overlap)"
            )
        end = stop
    if end != data_size:
        problem = "truncated" if end > data_size else "corrupted"
        raise ValueError(
            f"load: {name}: {problem}: the header describes {end} bytes of tensor "
            f"data but the file holds {data_size}"
        )
    return entries


def _is_count(n: Any) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**63


def _decode(node: Any, tensors: dict, made: dict) -> Any:
    """Rebuild the saved object from its JSON tree; a name used twice gives the same tensor."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise ValueError(f"unknown node {node!r}")
    if "tensor" in node or "ndarray" in node:
        key = node.get("tensor", node.get("ndarray"))
        if key not in tensors:
            raise ValueError(f"the structure refers to a tensor {key!r} that the file lacks")
        if "ndarray" in node:
            return tensors[key]
        if key not in made:
            made[key] = Tensor(tensors[key], requires_grad=bool(node.get("requires_grad")))
        return made[key]
    ((kind, items),) = node.items()
    if kind == "dict":
        return {_hashable(_decode(k, {}, {})): _decode(v, tensors, made) for k, v in items}
    if kind in ("list", "tuple"):
        values = [_decode(v, tensors, made) for v in items]
        return values if kind == "list" else tuple(values)
    raise ValueError(f"unknown node kind {kind!r}")


def _hashable(key: Any) -> Any:
    if isinstance(key, (list, dict)):
        raise ValueError(f"a dict key decodes to a {type(key).__name__}")
    return key
