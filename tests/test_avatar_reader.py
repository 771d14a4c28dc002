"""Revision 16's reader criterion (experiments/avatars.py): the mean val balanced accuracy over the used
attributes, each at its best threshold — a reader that knows the labels scores 1, one that knows nothing ~0.5."""
from types import SimpleNamespace

import torch

from experiments.avatars import cue_thresholds, used_thresholds
from xdomain.avatar_fit import CUE_ATTRS, USED_ATTRS
from xdomain.data import sources


class _Reader:
    """A 40-attribute multi-label reader stand-in whose logits are given."""

    def __init__(self, logits: torch.Tensor):
        self.cfg = SimpleNamespace(multilabel=True, n_classes=len(sources.CELEBA_ATTRS))
        self._logits = logits

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self._logits[: len(x)]


def _val(n: int = 400) -> dict:
    g = torch.Generator().manual_seed(0)
    attrs = (torch.rand(n, len(sources.CELEBA_ATTRS), generator=g) < 0.3).long()  # 0 / 1, as faces() gives them
    return {"A": torch.zeros(n, 3, 8, 8), "attrs_A": attrs}


def test_a_reader_that_knows_the_labels_scores_one_and_noise_about_half():
    val = _val()
    z, out = used_thresholds(_Reader(val["attrs_A"].float() * 3 + 1), val)  # an offset the threshold absorbs
    assert z.shape == val["attrs_A"].shape and set(USED_ATTRS) <= set(out)
    assert out["mean_balanced_acc"] == 1.0 and out["n"] == 400
    _, noise = used_thresholds(_Reader(torch.randn(400, len(sources.CELEBA_ATTRS),
                                                   generator=torch.Generator().manual_seed(1))), val)
    assert 0.5 <= noise["mean_balanced_acc"] < 0.65  # the best threshold on noise still fits a little


def test_cue_thresholds_report_the_share_of_faces_each_cue_is_on_for():
    val = _val()
    out = cue_thresholds(_Reader(val["attrs_A"].float()), val)
    assert set(out) == set(CUE_ATTRS)
    for a, t in out.items():
        k = sources.CELEBA_ATTRS.index(a)
        assert t["balanced_acc"] == 1.0
        assert abs(t["share_on"] - (val["attrs_A"][:, k] > 0).float().mean().item()) < 1e-6


def test_given_logits_give_the_same_thresholds_as_the_reader_computing_them():
    val = _val()
    reader = _Reader(val["attrs_A"].float() * 2 - 1 + 0.3 * torch.randn(400, len(sources.CELEBA_ATTRS),
                                                                        generator=torch.Generator().manual_seed(2)))
    z, out = used_thresholds(reader, val)
    assert used_thresholds(None, val, z)[1] == out
    assert cue_thresholds(None, val, z) == cue_thresholds(reader, val)
