"""DTN (Taigman et al., ICLR 2017): shapes, losses on known logits, one finite D/G step, save → load,
determinism, f frozen, and the self-contained checkpoint."""
from __future__ import annotations

import math

import pytest
import torch

from xdomain import hub
from xdomain.methods.dtn import DTN, FAKE_S, FAKE_T, REAL_T, Standardise, dtn_d_loss, dtn_g_adv_loss, random_shift
from xdomain.metrics.dtn import attribute_agreement, f_constancy


def tiny(**kw) -> DTN:
    torch.manual_seed(0)
    m = DTN(DTN.tiny_config().replace(**kw))
    m.configure_optimizers()
    return m


def batch(n: int = 4, size: int = 16, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {"A": torch.rand(n, 1, size, size, generator=g) * 2 - 1, "B": torch.rand(n, 1, size, size, generator=g) * 2 - 1}


def test_shapes_and_range():
    m = tiny().eval()
    y = m.translate(torch.rand(3, 1, 16, 16) * 2 - 1)
    assert y.shape == (3, 1, 16, 16)
    assert y.abs().max() <= 1
    assert m.D(y).shape == (3, 3)  # ternary discriminator
    # RGB input to a grey model is converted, and other sizes are resized
    assert m.translate(torch.rand(2, 3, 20, 20)).shape == (2, 1, 16, 16)
    with pytest.raises(ValueError, match="one-way"):
        m.translate(y, "b2a")


def test_d_loss_on_known_logits():
    big = 20.0
    one_hot = lambda c, n=2: torch.nn.functional.one_hot(torch.full((n,), c), 3).float() * big  # noqa: E731
    perfect, _ = dtn_d_loss(one_hot(FAKE_S), one_hot(FAKE_T), one_hot(REAL_T))
    assert perfect.item() < 1e-6
    uniform, logs = dtn_d_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3))
    assert uniform.item() == pytest.approx(3 * math.log(3), rel=1e-6)
    assert logs["d_real"] == pytest.approx(math.log(3), rel=1e-6)
    # L_GANG is low exactly when D calls both generated batches "real target"
    assert dtn_g_adv_loss(one_hot(REAL_T), one_hot(REAL_T)).item() < 1e-6
    assert dtn_g_adv_loss(one_hot(FAKE_S), one_hot(FAKE_T)).item() > big


def test_one_finite_step_updates_g_and_d_but_not_f():
    m = tiny()
    m.train()
    f0 = {k: v.clone() for k, v in m.f.state_dict().items()}
    g0 = [p.clone() for p in m.g.parameters()]
    d0 = [p.clone() for p in m.D.parameters()]
    logs = m.train_step(batch(), 0)
    assert all(math.isfinite(v) for v in logs.values())
    assert {"d_loss", "g_loss", "g_gang", "g_const", "g_tid", "g_tv"} <= set(logs)
    assert any(not torch.equal(a, b) for a, b in zip(g0, m.g.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d0, m.D.parameters()))
    for k, v in m.f.state_dict().items():  # f is fixed, BatchNorm statistics included
        assert torch.equal(v, f0[k]), k
    assert not m.f.training


def test_g_step_gradients_reach_g_only():
    m = tiny()
    m.train()
    m.d_step(batch(), 0)
    m.g_step(batch(), 0)
    assert all(p.grad is None for p in m.f.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in m.g.parameters())


def test_save_load_identity(tmp_path):
    m = tiny()
    m.train()
    m.train_step(batch(), 0)
    m.eval()
    hub.save_checkpoint(tmp_path / "ck", m)
    m2 = hub.load_model(tmp_path / "ck")
    x = batch(seed=3)["A"]
    assert torch.equal(m.translate(x), m2.translate(x))
    # self-contained: f's config travels in the DTN config and its weights in model.safetensors
    assert m2.f.cfg == m.f.cfg
    assert torch.equal(m2.norm.mean, m.norm.mean)


def test_determinism_under_seed():
    outs = []
    for _ in range(2):
        m = tiny()
        m.train()
        for step in range(2):
            m.train_step(batch(seed=step), step)
        outs.append(m.eval().translate(batch(seed=9)["A"]))
    assert torch.equal(outs[0], outs[1])


def test_standardise_tracks_running_statistics():
    s = Standardise(2)
    z = torch.tensor([[1.0, 10.0], [3.0, 30.0]])
    s.train()
    out = s(z)
    assert torch.allclose(out.mean(0), torch.zeros(2), atol=1e-5)
    s(z + 2)  # cumulative average of two batches
    assert torch.allclose(s.mean, torch.tensor([3.0, 21.0]))
    s.eval()
    before = s.mean.clone()
    s(z * 100)
    assert torch.equal(s.mean, before)  # frozen at inference


def test_random_shift_moves_content_within_bounds():
    x = torch.zeros(1, 1, 8, 8)
    x[..., 4, 4] = 1
    moved = [random_shift(x, 2, torch.Generator().manual_seed(s)) for s in range(20)]
    pos = {tuple((m[0, 0] == 1).nonzero()[0].tolist()) for m in moved}
    assert len(pos) > 1 and all(2 <= r <= 6 and 2 <= c <= 6 for r, c in pos)
    assert torch.equal(random_shift(x, 0, torch.Generator()), x)


def test_presets_build_the_paper_weights():
    d, f = DTN.preset("digits"), DTN.preset("faces")
    assert (d.alpha, d.beta, d.gamma) == (15.0, 15.0, 0.0)
    assert (f.alpha, f.beta, f.gamma) == (100.0, 1.0, 0.05)
    assert f.image_size == 64 and len(f.g_widths) == 4
    with pytest.raises(KeyError):
        DTN.preset("svhn")


def test_f_constancy_and_agreement_invariants():
    z = torch.randn(50, 8)
    same = f_constancy(z, z)
    assert same["f_const_own"] == 0 and same["f_const_ratio"] == 0 and same["f_const_random"] > 0
    assert same["f_const_ratio_other_G"] == 0
    shuffled = f_constancy(z, z[torch.randperm(50)])
    assert shuffled["f_const_ratio"] > 0.5
    p = torch.randint(0, 2, (40, 2))
    agree = attribute_agreement(p, p, ["a", "b"])
    assert agree["agree_a"] == 1 and agree["agree_b"] == 1
    flipped = attribute_agreement(p, 1 - p, ["a", "b"])
    assert flipped["agree_a"] == 0


def test_ema_shadow_g_ships_and_translates(tmp_path):
    """Revision 20's flag: a moving average of g (decay ½ here) is what translates and ships; training uses the
    live g, the shipped keys are those of a run without the flag, and save → load keeps the average."""
    m = tiny(ema=0.5)
    m.train()
    g0 = {k: v.clone() for k, v in m.g.state_dict().items()}
    m.g_step(batch(), 0)
    for k, v in m.ema_nets["g"].named_parameters():  # one update: the midpoint of before and after
        assert torch.allclose(v, 0.5 * g0[k] + 0.5 * m.g.state_dict()[k], atol=1e-6), k
    assert not any(p.requires_grad for p in m.ema_nets["g"].parameters())
    m.eval()
    x = batch(seed=3)["A"]
    y = m.translate(x)
    h = m.norm(m.context(x))[:, :, None, None]
    assert torch.equal(y, m.ema_nets["g"](h)) and not torch.equal(y, m.g(h))
    assert set(m.inference_state_dict()) == set(tiny().inference_state_dict())
    m2 = hub.load_model(hub.save_checkpoint(tmp_path / "ck", m))
    assert torch.equal(m2.translate(x), y)
    with pytest.raises(ValueError, match="decay"):
        tiny(ema=1.0)
