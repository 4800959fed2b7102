import gzip
import hashlib
import re
import socket
import struct
import time

import numpy as np
import pytest

import chainrule
from chainrule.datasets import MNIST, FashionMNIST, download_idx_files, read_idx

CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
         np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding, written from the format's definition (big-endian header and data)."""
    header = bytes([0, 0, CODES[array.dtype.type], array.ndim])
    header += b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, payload: bytes, gz: bool = False):
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("dtype", list(CODES), ids=lambda d: d.__name__)
def test_read_idx_round_trips_every_dtype(tmp_path, rng, dtype, gz):
    array = (rng.standard_normal((3, 4, 2)) * 50).astype(dtype)
    out = read_idx(write(tmp_path / "x-idx3", idx_bytes(array), gz))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)
    out[0] = 0  # a writable copy


def test_read_idx_reads_one_dimensional_and_empty_arrays(tmp_path):
    labels = np.arange(7, dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "l", idx_bytes(labels))), labels)
    empty = np.zeros((0, 28, 28), np.uint8)
    assert read_idx(write(tmp_path / "e", idx_bytes(empty))).shape == (0, 28, 28)


def test_read_idx_accepts_a_path_object_and_a_string(tmp_path):
    path = write(tmp_path / "x", idx_bytes(np.ones((2, 2), np.uint8)))
    assert read_idx(str(path)).shape == read_idx(path).shape == (2, 2)


@pytest.mark.parametrize("payload", [b"", b"\x00", b"\x01\x02\x08\x01" + bytes(8)],
                         ids=["empty", "short", "nonzero"])
def test_read_idx_rejects_a_wrong_magic_number(tmp_path, payload):
    with pytest.raises(ValueError, match=r"read_idx: .* is not an IDX file: its magic number"):
        read_idx(write(tmp_path / "bad", payload))


def test_read_idx_rejects_an_unknown_dtype_code(tmp_path):
    with pytest.raises(ValueError, match=r"unknown dtype code 0x07; expected one of 0x08 uint8"):
        read_idx(write(tmp_path / "bad", bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5])))


def test_read_idx_rejects_a_truncated_header(tmp_path):
    with pytest.raises(ValueError, match=r"truncated: 3 dimensions need a 16-byte header but "
                                         r"the file has 10 bytes"):
        read_idx(write(tmp_path / "bad", bytes([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0])))


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_read_idx_rejects_truncated_data(tmp_path, gz):
    payload = idx_bytes(np.ones((4, 5), np.int16))[:-3]
    with pytest.raises(ValueError, match=r"is truncated: its header declares shape \(4, 5\) of "
                                         r"int16 \(40 bytes of data\) but 37 bytes follow"):
        read_idx(write(tmp_path / "bad", payload, gz))


def test_read_idx_rejects_trailing_bytes(tmp_path):
    payload = idx_bytes(np.ones(3, np.uint8)) + b"\x00"
    with pytest.raises(ValueError, match=r"has trailing bytes: .* \(3,\) of uint8"):
        read_idx(write(tmp_path / "bad", payload))


def test_read_idx_rejects_a_truncated_gzip_file(tmp_path):
    packed = gzip.compress(idx_bytes(np.ones((30, 30), np.uint8)))
    with pytest.raises(ValueError, match=r"starts like a gzip file but does not decompress"):
        read_idx(write(tmp_path / "bad.gz", packed[: len(packed) // 2]))


def test_read_idx_rejects_a_corrupted_gzip_file(tmp_path):
    packed = bytearray(gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8))))
    packed[12:20] = b"\xff" * 8
    with pytest.raises(ValueError, match=r"corrupted or truncated"):
        read_idx(write(tmp_path / "bad.gz", bytes(packed)))


def test_read_idx_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nothing")


def make_mnist(root, cls, rng, train=True, n=6, gz=True, labels=None):
    """Fake IDX files with the standard names in root/<cls>/raw; returns images, labels."""
    raw = root / cls / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    prefix = "train" if train else "t10k"
    images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8) if labels is None else labels
    ext = ".gz" if gz else ""
    write(raw / f"{prefix}-images-idx3-ubyte{ext}", idx_bytes(images), gz)
    write(raw / f"{prefix}-labels-idx1-ubyte{ext}", idx_bytes(labels), gz)
    return images, labels


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST], ids=lambda c: c.__name__)
@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_mnist_reads_the_standard_files(tmp_path, rng, cls, train, gz):
    images, labels = make_mnist(tmp_path, cls.__name__, rng, train=train, gz=gz)
    ds = cls(tmp_path, train=train)
    assert len(ds) == 6 and len(ds.classes) == 10
    assert ds.data.dtype == chainrule.uint8 and ds.data.shape == (6, 28, 28)
    assert ds.targets.dtype == chainrule.int64
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    image, target = ds[2]
    assert image.shape == (1, 28, 28) and image.dtype == chainrule.float32
    np.testing.assert_allclose(image.numpy()[0], images[2] / 255, rtol=1e-6)
    assert type(target) is int and target == labels[2]


def test_mnist_applies_transforms(tmp_path, rng):
    images, labels = make_mnist(tmp_path, "MNIST", rng)
    ds = MNIST(tmp_path, transform=lambda x: x.reshape(784), target_transform=str)
    image, target = ds[0]
    assert image.shape == (784,) and target == str(labels[0])


def test_mnist_missing_files_name_the_folder_and_the_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"MNIST: train-images-idx3-ubyte \(or "
                                                r"train-images-idx3-ubyte.gz\) not found in .*"
                                                r"MNIST.raw; pass download=True"):
        MNIST(tmp_path)


def test_mnist_rejects_mismatched_images_and_labels(tmp_path, rng):
    make_mnist(tmp_path, "MNIST", rng, labels=np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match=r"labels file holds uint8 of shape \(5,\); expected "
                                         r"uint8 of shape \(6,\)"):
        MNIST(tmp_path)


def test_mnist_rejects_out_of_range_labels(tmp_path, rng):
    make_mnist(tmp_path, "MNIST", rng, labels=np.full(6, 12, np.uint8))
    with pytest.raises(ValueError, match=r"the label 12; expected 0..9"):
        MNIST(tmp_path)


def test_mnist_rejects_images_that_are_not_uint8_3d(tmp_path, rng):
    raw = tmp_path / "MNIST" / "raw"
    make_mnist(tmp_path, "MNIST", rng, gz=False)
    write(raw / "train-images-idx3-ubyte", idx_bytes(np.zeros((6, 784), np.float32)))
    with pytest.raises(ValueError, match=r"images file holds float32 of shape \(6, 784\)"):
        MNIST(tmp_path)


def refused_url() -> str:
    """A local port nobody listens on: connecting fails at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_fails_clearly_when_the_server_cannot_be_reached(tmp_path):
    url = refused_url()
    files = [("train-images-idx3-ubyte.gz", "0" * 32), ("train-labels-idx1-ubyte.gz", "0" * 32)]
    expected = (r"could not download train-images-idx3-ubyte.gz; tried " + re.escape(url)
                + r"train-images-idx3-ubyte.gz: .*the files .*train-labels-idx1-ubyte.gz by hand"
                r".*place them in")
    with pytest.raises(RuntimeError, match=expected):
        download_idx_files(tmp_path, [url], files, timeout=1.0)
    assert list(tmp_path.iterdir()) == []  # no partial files


def test_download_times_out_instead_of_hanging(tmp_path):
    with socket.socket() as server:  # accepts connections but never answers
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        start = time.monotonic()
        with pytest.raises(RuntimeError, match=r"could not download a.gz; tried .*timed out"):
            download_idx_files(tmp_path, [url], [("a.gz", "0" * 32)], timeout=0.3)
        assert time.monotonic() - start < 10


def test_download_keeps_files_with_the_right_checksum(tmp_path):
    payload = b"already here"
    (tmp_path / "a.gz").write_bytes(payload)
    md5 = hashlib.md5(payload).hexdigest()
    download_idx_files(tmp_path, [refused_url()], [("a.gz", md5)], timeout=1.0)
    assert (tmp_path / "a.gz").read_bytes() == payload


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST], ids=lambda c: c.__name__)
def test_dataset_download_offline_raises_naming_the_files(tmp_path, monkeypatch, cls):
    monkeypatch.setattr(cls, "mirrors", [refused_url()])
    with pytest.raises(RuntimeError, match=r"could not download train-images-idx3-ubyte.gz.*"
                                           r"t10k-labels-idx1-ubyte.gz.*" + cls.__name__):
        cls(tmp_path, download=True)


def test_dataset_download_skips_files_already_present(tmp_path, rng, monkeypatch):
    for train in (True, False):
        make_mnist(tmp_path, "MNIST", rng, train=train)
    monkeypatch.setattr(MNIST, "mirrors", [refused_url()])
    assert len(MNIST(tmp_path, train=False, download=True)) == 6


@pytest.fixture
def file_server(tmp_path):
    """A local HTTP server for the files in tmp_path/served; yields (folder, base URL)."""
    import functools
    import http.server
    import threading

    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_fetches_and_checks_the_files(tmp_path, file_server):
    served, url = file_server
    (served / "a.gz").write_bytes(b"payload")
    dest = tmp_path / "dest"
    download_idx_files(dest, [refused_url(), url], [("a.gz", hashlib.md5(b"payload").hexdigest())],
                       timeout=5.0)
    assert (dest / "a.gz").read_bytes() == b"payload" and len(list(dest.iterdir())) == 1


def test_download_rejects_a_wrong_checksum_and_leaves_no_file(tmp_path, file_server):
    served, url = file_server
    (served / "a.gz").write_bytes(b"tampered")
    dest = tmp_path / "dest"
    with pytest.raises(RuntimeError, match=r"a.gz: the MD5 checksum does not match 0{32}"):
        download_idx_files(dest, [url], [("a.gz", "0" * 32)], timeout=5.0)
    assert list(dest.iterdir()) == []


def test_dataset_download_from_a_mirror_then_reads_the_files(tmp_path, rng, file_server,
                                                             monkeypatch):
    served, url = file_server
    images, labels = make_mnist(served, "src", rng, train=False)
    resources = []
    for path in sorted((served / "src" / "raw").iterdir()):
        (served / path.name).write_bytes(path.read_bytes())
        resources.append((path.name, hashlib.md5(path.read_bytes()).hexdigest()))
    monkeypatch.setattr(FashionMNIST, "mirrors", [url])
    monkeypatch.setattr(FashionMNIST, "resources", resources)
    ds = FashionMNIST(tmp_path / "root", train=False, download=True)
    assert (tmp_path / "root" / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte.gz").exists()
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
