"""The judge classifier: its labelled datasets and its learning-rate schedule (the shared battery in
tests/test_methods_common.py covers steps, save → load and seeding)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from xdomain.methods.classifier import LABELLED, Classifier


def test_mnist_gray_splits_are_disjoint_and_padded_like_mnist_cd_cb(data_root):
    tr, va = LABELLED["mnist_gray"](data_root, "train"), LABELLED["mnist_gray"](data_root, "val")
    te = LABELLED["mnist_gray"](data_root, "test")
    assert [len(x) for x, _ in (tr, va, te)] == [50000, 10000, 10000]
    assert tr[0].shape[1:] == (32, 32) and tr[0][:, :2].max() == 0  # 2-pixel black border
    assert not np.array_equal(tr[0][-1], va[0][0])


@pytest.mark.parametrize("decay_from, last_lr", [(1.0, 1e-3), (0.5, 0.0)])
def test_lr_decays_linearly_to_zero_when_asked(decay_from, last_lr):
    cfg = Classifier.tiny_config().replace(steps=10, decay_from=decay_from, shift=0)
    torch.manual_seed(0)
    m = Classifier(cfg)
    m.configure_optimizers()
    batch = {"x": torch.randn(8, 1, 16, 16), "y": torch.arange(8) % 10}
    m.g_step(batch, 5)
    assert m.optimizers["net"].param_groups[0]["lr"] == pytest.approx(1e-3)
    m.g_step(batch, 10)
    assert m.optimizers["net"].param_groups[0]["lr"] == pytest.approx(last_lr)


def test_degrade_touches_only_the_requested_share_and_stays_in_range():
    from xdomain.methods.classifier import degrade

    x = torch.rand(200, 3, 16, 16) * 2 - 1
    y = degrade(x, 0.5, 0.15, torch.Generator().manual_seed(0))
    changed = (y - x).abs().flatten(1).amax(1) > 1e-6
    assert 0.35 < changed.float().mean().item() < 0.65
    assert y.min() >= -1 and y.max() <= 1
    assert torch.equal(degrade(x, 0.0, 0.15, torch.Generator().manual_seed(0)), x)
    assert torch.equal(y, degrade(x, 0.5, 0.15, torch.Generator().manual_seed(0)))  # seeded
