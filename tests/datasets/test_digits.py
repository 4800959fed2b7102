import csv
import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule.datasets import Digits, load_digits
from chainrule.utils.data import DataLoader

CSV = Path(chainrule.__file__).parent / "datasets" / "data" / "digits.csv.gz"


@pytest.fixture(scope="module")
def reference():
    """The CSV parsed with the csv module: pixels (1797, 64) and labels, as plain ints."""
    with gzip.open(CSV, "rt") as f:
        rows = [[int(v) for v in row] for row in csv.reader(f)]
    table = np.array(rows)
    return table[:, :64], table[:, 64]


def test_load_digits_returns_scaled_float32_images_and_int64_labels(reference):
    pixels, labels = reference
    images, targets = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    assert targets.shape == (1797,) and targets.dtype == np.int64
    np.testing.assert_array_equal(images.reshape(1797, 64), (pixels / 16).astype(np.float32))
    np.testing.assert_array_equal(targets, labels)
    assert images.min() == 0.0 and images.max() == 1.0


def test_load_digits_has_the_uci_class_counts():
    _, labels = load_digits()
    counts = np.bincount(labels, minlength=10).tolist()
    assert counts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_load_digits_returns_fresh_copies():
    images, labels = load_digits()
    images[0] = 5.0
    labels[0] = 9
    again, labels_again = load_digits()
    assert again[0].max() <= 1.0 and labels_again[0] == 0


def test_split_is_the_documented_seeded_permutation():
    order = np.random.default_rng(0).permutation(1797)
    images, labels = load_digits()
    train, test = Digits(train=True), Digits(train=False)
    assert (len(train), len(test)) == (1437, 360)
    np.testing.assert_array_equal(test.data.numpy()[:, 0], images[order[:360]])
    np.testing.assert_array_equal(train.targets.numpy(), labels[order[360:]])


def test_split_is_disjoint_and_covers_every_sample():
    rows = np.concatenate([Digits(train=True).data.numpy(), Digits(train=False).data.numpy()])
    images, _ = load_digits()
    as_set = {r.tobytes() for r in rows.reshape(1797, 64)}
    assert len(rows) == 1797 and as_set == {r.tobytes() for r in images.reshape(1797, 64)}


def test_split_has_every_class_in_both_parts():
    for train in (True, False):
        assert set(Digits(train=train).targets.tolist()) == set(range(10))


def test_sample_is_a_float32_image_tensor_and_an_int_label():
    ds = Digits(train=False)
    image, label = ds[3]
    assert isinstance(image, chainrule.Tensor) and image.shape == (1, 8, 8)
    assert image.dtype == chainrule.float32 and type(label) is int
    np.testing.assert_array_equal(image.numpy(), ds.data.numpy()[3])
    assert label == ds.targets.tolist()[3]
    assert ds.data.dtype == chainrule.float32 and ds.targets.dtype == chainrule.int64


def test_sample_is_a_copy_of_the_stored_image():
    ds = Digits(train=False)
    image, _ = ds[0]
    image.fill_(7.0)
    assert ds[0][0].numpy().max() <= 1.0


def test_transforms_are_applied_to_image_and_label():
    ds = Digits(train=False, transform=lambda x: x * 2, target_transform=lambda y: y + 100)
    image, label = ds[0]
    plain_image, plain_label = Digits(train=False)[0]
    np.testing.assert_array_equal(image.numpy(), plain_image.numpy() * 2)
    assert label == plain_label + 100


def test_dataloader_collates_float32_images_and_int64_labels():
    images, labels = next(iter(DataLoader(Digits(train=True), batch_size=16)))
    assert images.shape == (16, 1, 8, 8) and images.dtype == chainrule.float32
    assert labels.shape == (16,) and labels.dtype == chainrule.int64


def test_index_out_of_range_raises_index_error():
    with pytest.raises(IndexError):
        Digits(train=False)[360]


def test_import_chainrule_does_not_import_datasets():
    code = "import sys, chainrule; print('chainrule.datasets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
