"""Invariants of the cross-domain disentanglement method (the shared battery covers shapes,
one finite D/G step, save → load and seeding; tests/test_methods_common.py)."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from xdomain import hub
from xdomain.data.domains import get_domains
from xdomain.methods import disentangle as dis
from xdomain.metrics import disentangle as dmetrics
from xdomain.nn.blocks import GradientReversal


def _model(**over) -> dis.Disentangle:
    torch.manual_seed(0)
    m = dis.Disentangle(dis.Disentangle.tiny_config().replace(**over))
    m.configure_optimizers()
    return m


def _batch(m: dis.Disentangle, n: int = 4) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    s = m.cfg.image_size
    return {k: torch.rand(n, 3, s, s, generator=g) * 2 - 1 for k in "AB"}


def test_grl_flips_the_gradient_sign():
    x = torch.randn(5, 8, requires_grad=True)
    w = torch.randn(5, 8)
    (GradientReversal(1.0)(x) * w).sum().backward()
    assert torch.equal(x.grad, -w)


def test_exclusive_decoder_reverses_the_gradient_reaching_the_encoder_code():
    m = _model()
    e = torch.randn(4, m.exclusive_dim, requires_grad=True)
    m.exdec["B"](None, e).sum().backward()
    reversed_grad = e.grad.clone()
    e.grad = None
    m.exdec["B"].reverse = nn.Identity()
    m.exdec["B"](None, e).sum().backward()
    assert reversed_grad.abs().sum() > 0 and torch.allclose(reversed_grad, -e.grad)
    assert isinstance(_model(grl=False).exdec["A"].reverse, nn.Identity)


def test_encode_is_deterministic_in_eval_and_noisy_in_training():
    m = _model()
    x = _batch(m)["A"]
    m.eval()
    s1, e1 = m.encode(x, "A")
    s2, e2 = m.encode(x, "A")
    assert torch.equal(s1, s2) and torch.equal(e1, e2) and e1.shape == (4, 8) and s1.shape[0] == 4
    m.train()
    s3, _ = m.encode(x, "A")
    s4, _ = m.encode(x, "A")
    assert not torch.equal(s3, s4), "training-time N(0, 0.1) noise is missing"
    m_quiet = _model(noise=False).train()
    a, _ = m_quiet.encode(x, "A")
    b, _ = m_quiet.encode(x, "A")
    assert torch.equal(a, b)


def test_translate_uses_z_and_seed():
    m = _model().eval()
    x = _batch(m)["A"]
    assert torch.equal(m.translate(x, seed=3), m.translate(x, seed=3))
    assert not torch.equal(m.translate(x, seed=3), m.translate(x, seed=4))
    z = torch.zeros(1, 8)
    s, _ = m.encode(x, "A")
    assert torch.allclose(m.translate(x, code=z), m.decode(s, z.expand(4, -1), "B"))


def test_losses_are_finite_and_zero_at_their_optimum():
    s = torch.randn(3, 4, 2, 2)
    z = torch.randn(3, 8)
    assert dis.shared_loss(s, s).item() == 0.0 and dis.shared_loss(s, s + 1).item() == pytest.approx(1.0)
    assert dis.latent_recon_loss(s, z, s, z).item() == 0.0
    m = _model()
    b = _batch(m)
    loss, logs = dis.critic_loss(m.critic["B"], b["B"], b["B"].flip(0), b["A"], gp_weight=10.0, drift=1e-3)
    assert math.isfinite(loss.item()) and {"w_dist", "gp"} <= set(logs)


@pytest.mark.parametrize("ablation", sorted(dis.ABLATIONS))
def test_each_ablation_builds_and_steps(ablation):
    m = _model(**dis.ABLATIONS[ablation]).train()
    b = _batch(m)
    logs = m.train_step(b, 0)
    assert all(math.isfinite(v) for v in logs.values()), logs
    zero = {"no_auto": "G_auto", "no_ls": "G_S", "no_recon": "G_recon"}
    if ablation in zero:
        assert logs[zero[ablation]] == 0.0
    elif ablation == "full":
        assert all(logs[k] > 0 for k in ("G_auto", "G_S", "G_recon"))


def test_steps_keep_no_state_between_them():
    """Each step computes its own forward: nothing new is stored on the model between a D- and a G-step,
    so a G-step on another batch trains on that batch."""
    m = _model().train()
    before = set(vars(m))
    m.d_step(_batch(m), 0)
    m.g_step(_batch(m), 1)
    assert set(vars(m)) == before


def test_save_load_keeps_only_inference_networks(tmp_path):
    m = _model().train()
    m.train_step(_batch(m), 0)
    m.eval()
    folder = hub.save_checkpoint(tmp_path / "d", m)
    loaded = hub.load_model(folder)
    assert all(k.split(".")[0] in ("enc", "dec") for k in loaded.inference_state_dict())
    x = _batch(m)["B"]
    assert torch.equal(m.translate(x, "b2a", seed=5), loaded.translate(x, "b2a", seed=5))


# ----------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def cdcb(data_root):
    return get_domains("mnist_cd_cb", data_root, "test", 0), dmetrics.cdcb_factors(data_root, "test", 0)


def test_pairing_both_views_show_the_same_digit(cdcb):
    d, fac = cdcb
    n = 300
    assert torch.equal(d["label_A"], d["label_B"]) and d["paired"]
    ga = dmetrics.grey_digit(d["A"][:n], "A")
    gb = dmetrics.grey_digit(d["B"][:n], "B")
    assert (ga - gb).abs().mean() < 0.1  # same digit mask in both views
    wrong = dmetrics.grey_digit(d["B"][1:n + 1], "B")
    assert (ga - wrong).abs().mean() > 0.2  # ... and not the neighbour's


def test_factors_rebuild_the_dataset_exactly(cdcb):
    d, fac = cdcb
    for side in "AB":
        assert torch.equal(dmetrics.render(fac["grey"][:50], fac[side][:50], side), d[side][:50])


def test_analogy_distance_is_zero_for_the_ground_truth_and_grows_with_error(cdcb):
    d, fac = cdcb
    x = d["A"][:20]
    assert dmetrics.analogy_distance(x, x)[0] == 0.0
    assert dmetrics.analogy_distance(x, d["A"][20:40])[0] > 1.0


def test_dominant_colour_recovers_the_known_colours(cdcb):
    d, fac = cdcb
    for side in "AB":
        got = dmetrics.dominant_colour(d[side][:200], side)
        err = (got - torch.from_numpy(fac[side][:200])).abs().median()
        assert err < 0.08, (side, err)
