import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule
from chainrule import serialization


def _header(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n]), raw, n


def _write_raw(path, header, data=b""):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def _assert_tensor_equal(got, want):
    assert isinstance(got, chainrule.Tensor)
    assert got.data.dtype == want.data.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.data, want.data)


def test_round_trip_of_nested_structure(tmp_path, rng):
    t1 = chainrule.Tensor(rng.normal(size=(2, 3)))
    t2 = chainrule.Tensor(rng.integers(0, 9, size=4))
    obj = {
        "a": [t1, (t2, 3, 2.5, "text", None, True)],
        7: {"nested": {"deep": [1, [2, [3]]]}},
        (1, "x"): "tuple key",
        "array": np.arange(3, dtype=np.int32),
        "inf": float("inf"),
        "big": 2**62,
        "empty": {},
        "empty_list": [],
    }
    chainrule.save(obj, tmp_path / "ckpt")
    got = chainrule.load(tmp_path / "ckpt")
    assert list(got) == ["a", 7, (1, "x"), "array", "inf", "big", "empty", "empty_list"]
    _assert_tensor_equal(got["a"][0], t1)
    assert isinstance(got["a"][1], tuple) and isinstance(got["a"], list)
    _assert_tensor_equal(got["a"][1][0], t2)
    assert got["a"][1][1:] == (3, 2.5, "text", None, True)
    assert type(got["a"][1][1]) is int and type(got["a"][1][5]) is bool
    assert got[7] == {"nested": {"deep": [1, [2, [3]]]}}
    assert got[(1, "x")] == "tuple key"
    assert isinstance(got["array"], np.ndarray) and got["array"].dtype == np.int32
    assert got["inf"] == float("inf") and got["big"] == 2**62
    assert got["empty"] == {} and got["empty_list"] == []


@pytest.mark.parametrize(
    "dtype", [np.float16, np.float32, np.float64, np.uint8, np.int32, np.int64, np.bool_]
)
def test_round_trip_keeps_every_dtype(dtype, tmp_path, rng):
    tensors = {
        "matrix": chainrule.Tensor((rng.normal(size=(3, 4)) * 10).astype(dtype)),
        "scalar": chainrule.Tensor(np.array(1, dtype=dtype)),
        "empty": chainrule.Tensor(np.zeros((0, 3), dtype=dtype)),
        "strided": chainrule.Tensor((rng.normal(size=(4, 5)) * 10).astype(dtype).T[::2]),
    }
    chainrule.save(tensors, tmp_path / "t.safetensors")
    got = chainrule.load(tmp_path / "t.safetensors")
    for key, tensor in tensors.items():
        _assert_tensor_equal(got[key], tensor)
        assert got[key].data.flags.writeable


def test_flat_state_dict_names_tensors_by_key(tmp_path):
    state = {"layer.weight": chainrule.ones(2, 2), "layer.bias": chainrule.zeros(2)}
    chainrule.save(state, tmp_path / "m.safetensors")
    header, raw, n = _header(tmp_path / "m.safetensors")
    assert [k for k in header if k != "__metadata__"] == ["layer.weight", "layer.bias"]
    assert header["layer.bias"] == {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]}
    assert (8 + n) % 8 == 0  # tensor data is aligned


def test_requires_grad_and_shared_tensors_survive(tmp_path):
    w = chainrule.ones(3, requires_grad=True)
    chainrule.save({"encoder": w, "decoder": w, "plain": chainrule.ones(1)}, tmp_path / "c")
    got = chainrule.load(tmp_path / "c")
    assert got["encoder"] is got["decoder"]
    assert got["encoder"].requires_grad and not got["plain"].requires_grad
    header, _, _ = _header(tmp_path / "c")
    assert len(header) == 3  # two tensors and the metadata


def test_save_and_load_with_file_objects(rng):
    buffer = io.BytesIO()
    chainrule.save([chainrule.Tensor(rng.normal(size=3)), "x"], buffer)
    buffer.seek(0)
    got = chainrule.load(buffer)
    assert got[1] == "x" and got[0].shape == (3,)


def test_safetensors_reads_what_chainrule_writes_and_back(tmp_path, rng):
    st = pytest.importorskip("safetensors.numpy")
    arrays = {
        "w": rng.normal(size=(3, 2)).astype(np.float32),
        "n": np.arange(4),
        "m": np.array([True, False]),
    }
    chainrule.save(
        {k: chainrule.Tensor(v) for k, v in arrays.items()}, tmp_path / "ours.safetensors"
    )
    theirs = st.load_file(str(tmp_path / "ours.safetensors"))
    assert theirs.keys() == arrays.keys()
    for key, value in arrays.items():
        assert theirs[key].dtype == value.dtype
        np.testing.assert_array_equal(theirs[key], value)
    st.save_file(arrays, str(tmp_path / "theirs.safetensors"), metadata={"format": "np"})
    ours = chainrule.load(tmp_path / "theirs.safetensors")
    assert ours.keys() == arrays.keys()
    for key, value in arrays.items():
        _assert_tensor_equal(ours[key], chainrule.Tensor(value))


def test_crash_mid_write_leaves_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    chainrule.save({"w": chainrule.ones(1000)}, path)
    before = path.read_bytes()
    real_write = serialization._write

    def write_half_then_crash(out, header, arrays):
        out.write(struct.pack("<Q", len(header)) + header[: len(header) // 2])
        out.flush()
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(serialization, "_write", write_half_then_crash)
    with pytest.raises(OSError, match="simulated"):
        chainrule.save({"w": chainrule.zeros(1000)}, path)
    monkeypatch.setattr(serialization, "_write", real_write)
    assert path.read_bytes() == before
    np.testing.assert_array_equal(chainrule.load(path)["w"].data, np.ones(1000))
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]  # the temporary file was removed


def test_data_is_fsynced_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1]
    )
    chainrule.save({"w": chainrule.ones(3)}, tmp_path / "c")
    assert events[:2] == ["fsync", "replace"]


_SAVER = """
import sys, numpy as np, chainrule
path = sys.argv[1]
i = 0
while True:
    i += 1
    chainrule.save({"w": chainrule.Tensor(np.full(4_000_000, float(i))), "i": i}, path)
    print(i, flush=True)
"""


def test_killing_a_process_mid_save_never_leaves_a_broken_file(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for delay in (0.05, 0.13, 0.29):
        proc = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(path)], stdout=subprocess.PIPE, env=env
        )
        assert proc.stdout.readline()  # at least one complete save
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        got = chainrule.load(path)
        assert got["i"] >= 1
        np.testing.assert_array_equal(got["w"].data, np.full(4_000_000, float(got["i"])))


def _corrupt(tmp_path, edit):
    path = tmp_path / "ckpt.safetensors"
    chainrule.save({"w": chainrule.ones(4), "step": 3}, path)
    raw = bytearray(path.read_bytes())
    path.write_bytes(bytes(edit(raw)))
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda raw: raw[:-3],
            "truncated: the header describes 16 bytes of tensor data but the file holds 13",
        ),
        (lambda raw: raw[:40], "truncated or not a chainrule/safetensors file"),
        (lambda raw: raw[:5], "only 5 bytes"),
        (lambda raw: b"", "only 0 bytes"),
        (lambda raw: raw + b"junk", "corrupted: the header describes 16 bytes"),
        (lambda raw: b"\xff" * 8 + raw[8:], "header length of 18446744073709551615"),
        (lambda raw: raw[:8] + b"[" + raw[9:], "header is not valid JSON"),
    ],
    ids=[
        "truncated-data",
        "truncated-header",
        "tiny",
        "empty",
        "trailing-bytes",
        "huge-header",
        "flipped-brace",
    ],
)
def test_corrupted_file_gives_clear_error_naming_the_file(tmp_path, edit, message):
    path = _corrupt(tmp_path, edit)
    with pytest.raises(ValueError, match="ckpt.safetensors") as error:
        chainrule.load(path)
    assert message in str(error.value)


def test_every_single_bit_flip_in_the_header_loads_or_raises_value_error(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    chainrule.save({"w": chainrule.ones(4), "opt": {"lr": 0.1, "betas": (0.9, 0.99)}}, path)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    failures = 0
    for position in range(8 + n):
        flipped = bytearray(raw)
        flipped[position] ^= 0x04
        path.write_bytes(bytes(flipped))
        try:
            chainrule.load(path)
        except ValueError as error:
            assert str(path) in str(error)
            failures += 1
    assert failures > n // 2


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100), "png"),
        (np.random.default_rng(0).bytes(4096), "random"),
        (b"PK\x03\x04" + bytes(200), "zip (torch.save)"),
        (pickle.dumps({"w": [1, 2, 3]}), "pickle"),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_foreign_files_are_refused(tmp_path, content, kind):
    path = tmp_path / "foreign.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="foreign.bin.*not a chainrule/safetensors file"):
        chainrule.load(path)


@pytest.mark.parametrize(
    ("header", "data", "message"),
    [
        ({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4), "dtype 'BF16'"),
        ({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8), "needs 12 bytes"),
        ({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, bytes(4), "shape [-1]"),
        (
            {"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}},
            bytes(4),
            "data_offsets [4, 0]",
        ),
        ({"w": {"dtype": "F32", "shape": [1]}}, bytes(4), "needs dtype, shape and data_offsets"),
        (
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
            },
            bytes(12),
            "gap or overlap",
        ),
        (
            {"w": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}},
            b"\x01\x07",
            "bool tensor",
        ),
        (
            {
                "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                "__metadata__": {"chainrule.tree": '{"tensor": "missing"}'},
            },
            bytes(4),
            "lacks",
        ),
        ({"__metadata__": {"chainrule.tree": '{"set": [1]}'}}, b"", "unknown node kind 'set'"),
        ({"__metadata__": {"chainrule.tree": 5}}, b"", "__metadata__ must map strings to strings"),
        ([1, 2], b"", "expected a JSON object"),
    ],
)
def test_inconsistent_headers_are_refused(tmp_path, header, data, message):
    path = _write_raw(tmp_path / "bad.safetensors", header, data)
    with pytest.raises(ValueError, match="bad.safetensors") as error:
        chainrule.load(path)
    assert message in str(error.value)


def test_load_never_unpickles(tmp_path, monkeypatch):
    chainrule.save({"w": chainrule.ones(2), "meta": {"epoch": 3}}, tmp_path / "c")

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    assert chainrule.load(tmp_path / "c")["meta"] == {"epoch": 3}


def test_save_refuses_objects_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match=r"opt\.fn is a function"):
        chainrule.save({"opt": {"fn": lambda: 0}}, tmp_path / "c")
    with pytest.raises(TypeError, match="complex128"):
        chainrule.save({"z": np.zeros(2, dtype=complex)}, tmp_path / "c")
    with pytest.raises(TypeError, match="dict key"):
        chainrule.save({frozenset(): 1}, tmp_path / "c")
    assert not (tmp_path / "c").exists()


def test_load_accepts_cpu_map_location_only(tmp_path):
    chainrule.save([1], tmp_path / "c")
    assert chainrule.load(tmp_path / "c", map_location="cpu", weights_only=True) == [1]
    with pytest.raises(ValueError, match="CPU only"):
        chainrule.load(tmp_path / "c", map_location="cuda")
