"""CoGAN (Liu & Tuzel, NeurIPS 2016): weight tying, the conditional baseline, the pixel-agreement metric,
inversion, MNIST ↔ USPS adaptation (a head on the tied D layers, source labels only, the source-only
baseline), and the shared method battery — on synthetic tensors and tiny configs (seconds on CPU).

The method is registered here for the duration of a test (like ``tiny_translator``) when the registry
does not list it yet, so save → load through :mod:`xdomain.hub` works either way.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import test_methods_common as battery
from xdomain import hub, registry
from xdomain.data import domains
from xdomain.methods.cogan import (PRESETS, CoGAN, CoGANConfig, disjoint_halves, draw_subset, edge_map,
                                   paper_param_counts, pixel_agreement, pixel_agreement_per_pair)
from xdomain.nn.blocks import count_params

SPEC = registry.MethodSpec(
    "cogan", "xdomain.methods.cogan:CoGAN",
    "Liu & Tuzel, Coupled Generative Adversarial Networks (CoGAN), NeurIPS 2016",
    "pairs of corresponding images from one noise vector through weight-tied GANs; translation by inversion",
    title="CoGAN",
)


@pytest.fixture
def registered():
    added = SPEC.name not in registry.METHODS
    if added:
        registry.register_method(SPEC)
    yield
    if added:
        registry.METHODS.pop(SPEC.name, None)


def tiny(**kw) -> CoGANConfig:
    return CoGAN.tiny_config().replace(**kw)


def build(cfg: CoGANConfig) -> CoGAN:
    torch.manual_seed(cfg.seed)
    m = CoGAN(cfg)
    m.configure_optimizers()
    return m


def fake_batch(cfg: CoGANConfig, n: int | None = None, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    n = n or cfg.batch_size
    shape = (n, cfg.channels, cfg.image_size, cfg.image_size)
    return {"A": torch.rand(shape, generator=g) * 2 - 1, "B": torch.rand(shape, generator=g) * 2 - 1}


def weight(layer: torch.nn.Module) -> torch.nn.Parameter:
    return next(layer.parameters())


# ------------------------------------------------------------------------------ weight tying
def test_tied_layers_are_one_tensor_optimised_once():
    cfg = tiny()
    m = build(cfg)
    n_g, n_d = len(m.G1), len(m.D1)
    for i in range(n_g):
        assert (m.G1[i] is m.G2[i]) == (i < cfg.n_shared_g)
    for i in range(n_d):
        assert (m.D1[i] is m.D2[i]) == (i >= n_d - cfg.n_shared_d)
    shared_g, private_g = weight(m.G1[0]), weight(m.G1[-1])
    assert shared_g is weight(m.G2[0]) and private_g is not weight(m.G2[-1])
    assert weight(m.D1[-1]) is weight(m.D2[-1]) and weight(m.D1[0]) is not weight(m.D2[0])

    for name, nets in (("G", (m.G1, m.G2)), ("D", (m.D1, m.D2))):
        params = [p for grp in m.optimizers[name].param_groups for p in grp["params"]]
        assert len({id(p) for p in params}) == len(params), f"{name}: a tensor appears twice in Adam"
        assert {id(p) for p in params} == {id(p) for net in nets for p in net.parameters()}
    opt_g = m.optimizers["G"]
    assert sum(p is shared_g for grp in opt_g.param_groups for p in grp["params"]) == 1

    before = shared_g.detach().clone()
    m.train().g_step(fake_batch(cfg), 0)
    assert int(opt_g.state[shared_g]["step"]) == 1, "a tied layer must get exactly one Adam update per step"
    assert int(opt_g.state[private_g]["step"]) == 1 and int(opt_g.state[weight(m.G2[-1])]["step"]) == 1
    assert not torch.equal(before, shared_g)

    sd = m.inference_state_dict()  # a tied tensor ships once, under g1's name
    assert "G1.0.0.weight" in sd and "G2.0.0.weight" not in sd
    last = len(m.G1) - 1
    assert f"G1.{last}.0.weight" in sd and f"G2.{last}.0.weight" in sd


def test_untied_flags_make_separate_networks():
    m = build(tiny(n_shared_g=0, n_shared_d=0))
    assert all(a is not b for a, b in zip(m.G1, m.G2)) and all(a is not b for a, b in zip(m.D1, m.D2))
    assert not {id(p) for p in m.G1.parameters()} & {id(p) for p in m.G2.parameters()}
    assert not {id(p) for p in m.D1.parameters()} & {id(p) for p in m.D2.parameters()}
    tied = build(tiny())
    assert count_params(m.G1) == count_params(tied.G1)
    assert count_params(m) > count_params(tied)
    sd = m.inference_state_dict()
    assert "G1.0.0.weight" in sd and "G2.0.0.weight" in sd and not torch.equal(sd["G1.0.0.weight"], sd["G2.0.0.weight"])

    partial = build(tiny(n_shared_g=2, n_shared_d=1))
    assert [a is b for a, b in zip(partial.G1, partial.G2)] == [True, True, False, False, False]
    assert [a is b for a, b in zip(partial.D1, partial.D2)] == [False, False, False, True]
    with pytest.raises(ValueError):
        CoGAN(tiny(n_shared_g=6))
    with pytest.raises(ValueError):
        CoGAN(tiny(n_shared_d=5))


def test_generate_runs_tied_layers_once_and_matches_each_generator():
    m = build(tiny()).eval()
    z = torch.randn(5, m.cfg.z_dim)
    with torch.no_grad():
        x1, x2 = m.generate(z)
        assert torch.allclose(x1, m.decode(z, None, "A"), atol=1e-6)
        assert torch.allclose(x2, m.decode(z, None, "B"), atol=1e-6)
    assert x1.shape == (5, 1, 28, 28) and float(x1.abs().max()) <= 1


# ------------------------------------------------------------------------------ conditional baseline
def test_conditional_baseline_has_a_three_way_d_and_a_domain_bit():
    cfg = tiny(conditional=True)
    m = build(cfg)
    assert m.generator_names == ("G",) and m.discriminator_names == ("D",) and m.inference_modules == ("G",)
    assert not hasattr(m, "G1") and not hasattr(m, "D1")
    assert m.G[0][0].in_channels == cfg.z_dim + 1, "G takes [z, domain bit]"
    x = fake_batch(cfg)["A"]
    assert m.D(x).shape == (len(x), 3), "D: fake / real domain 1 / real domain 2"
    m.eval()
    z = torch.randn(4, cfg.z_dim)
    with torch.no_grad():
        x1, x2 = m.generate(z)
        bit = lambda b: torch.cat([z, torch.full((4, 1), b)], 1)[:, :, None, None]  # noqa: E731
        assert torch.allclose(x1, m.G(bit(0.0)), atol=1e-6) and torch.allclose(x2, m.G(bit(1.0)), atol=1e-6)
        assert not torch.allclose(x1, x2)
    m.train()
    logs = {**m.d_step(fake_batch(cfg), 0), **m.g_step(fake_batch(cfg), 0)}
    assert set(logs) == {"d_real_1", "d_real_2", "d_fake", "g_1", "g_2"}
    assert all(math.isfinite(v) for v in logs.values())
    assert count_params(m.G) == count_params(build(tiny(n_shared_g=0)).G1) + cfg.g_widths[0] * 16  # + the bit's weights


# ------------------------------------------------------------------------------ pixel agreement
def test_pixel_agreement_on_hand_made_pairs():
    g = torch.Generator().manual_seed(0)
    mag = torch.rand(6, 1, 28, 28, generator=g) * 0.9 + 0.1  # |x| ≥ 0.1: no pixel on the threshold
    x = mag * torch.where(torch.rand(6, 1, 28, 28, generator=g) < 0.5, -1.0, 1.0)
    assert pixel_agreement(x, x, "none") == 1.0
    assert pixel_agreement(x, -x, "none") == 0.0
    assert pixel_agreement(x, -x, "negative") == 1.0
    assert pixel_agreement(x, x, "negative") == 0.0
    assert pixel_agreement(x, edge_map(x), "edge") == 1.0
    assert pixel_agreement(x, -edge_map(x), "edge") < 0.05  # edge maps have pixels exactly at 0.5: few
    half = x.clone()
    half[:, :, :14] *= -1
    assert pixel_agreement(x, half, "none") == pytest.approx(0.5)
    per = pixel_agreement_per_pair(x, torch.cat([x[:3], -x[3:]]), "none")
    assert per.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        pixel_agreement(x, x, "rotate")


def _digit_like_uint8(n: int = 6) -> np.ndarray:
    """uint8 strokes on black, for when MNIST is not staged."""
    rng = np.random.default_rng(0)
    x = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        r, c = rng.integers(4, 20, 2)
        x[i, r:r + 8, c:c + 3] = rng.integers(80, 256)
        x[i, r + 3, c - 2:c + 5] = 255
    return x


def test_torch_edge_map_equals_domains_edges(data_root):
    real, _ = domains.mnist_split(data_root, "test")
    for gray in (_digit_like_uint8(), real[:16]):
        ours = edge_map(domains.to_tensor(gray))
        ref = domains.to_tensor(domains.edges(gray))
        assert torch.allclose(ours, ref, atol=1e-5)
        assert pixel_agreement(domains.to_tensor(gray), ref, "edge") == 1.0
        assert pixel_agreement(domains.to_tensor(gray), domains.to_tensor(255 - gray), "negative") == 1.0


# ------------------------------------------------------------------------------ inversion
def test_inversion_lowers_reconstruction_error_and_leaves_weights_alone():
    m = build(tiny()).eval()
    torch.manual_seed(5)
    with torch.no_grad():
        x = m.decode(torch.randn(4, m.cfg.z_dim), None, "A")  # images g1 can draw
    before = {k: v.clone() for k, v in m.state_dict().items()}
    errs: list[tuple[int, float]] = []
    z = m.invert(x, "A", steps=60, starts=3, seed=0, callback=lambda t, e: errs.append((t, e)))
    assert z.shape == (4, m.cfg.z_dim)
    assert [t for t, _ in errs] == list(range(61))
    assert errs[-1][1] < errs[0][1], errs[::10]
    assert all(b <= a + 1e-7 for (_, a), (_, b) in zip(errs, errs[1:])), "best-so-far error never rises"
    with torch.no_grad():
        final = (m.decode(z, None, "A") - x).pow(2).flatten(1).mean(1).mean().item()
    assert final == pytest.approx(errs[-1][1], rel=1e-4, abs=1e-7)
    assert all(torch.equal(v, before[k]) for k, v in m.state_dict().items())
    assert all(p.grad is None for p in m.parameters())
    assert torch.equal(z, m.invert(x, "A", steps=60, starts=3, seed=0)), "inversion is seeded"
    assert not m.training


def test_translate_inverts_the_source_or_renders_a_given_code():
    m = build(tiny()).eval()
    x = fake_batch(m.cfg, 3)["A"]
    y = m.translate(x, "a2b", seed=7)
    z = m.invert(x, "A", seed=7)
    with torch.no_grad():
        assert torch.equal(y, m.decode(z, None, "B"))
        code = torch.randn(3, m.cfg.z_dim)
        assert torch.equal(m.translate(x, "b2a", code=code), m.decode(code, None, "A"))
        one = m.translate(x, "a2b", code=code[0])
        assert one.shape == (3, 1, 28, 28) and torch.equal(one[0], one[2])
    zz, none = m.encode(x, "A", seed=7)
    assert none is None and torch.equal(zz, z)
    assert m.latent == "shared" and m.code_dim == m.cfg.z_dim and m.directions == ("a2b", "b2a")
    m.train()
    m.translate(x, "a2b", seed=7)
    assert m.training and all(mod.training for mod in m.G1.modules()), "translation restores training mode"


# ------------------------------------------------------------------------------ training / checkpoints
def test_one_finite_d_step_and_g_step():
    cfg = tiny()
    m = build(cfg).train()
    batch = fake_batch(cfg)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    logs = {**m.d_step(batch, 0), **m.g_step(batch, 0)}
    assert set(logs) == {"d_1", "d_2", "g_1", "g_2"}
    assert all(isinstance(v, float) and math.isfinite(v) for v in logs.values())
    assert all(torch.isfinite(p).all() for p in m.parameters())
    changed = {k for k, v in m.state_dict().items() if v.is_floating_point() and not torch.equal(v, before[k])}
    for k in ("G1.0.0.weight", "G1.4.0.weight", "G2.4.0.weight", "D1.0.0.weight", "D2.0.0.weight", "D1.3.weight"):
        assert k in changed, k


def test_state_dict_lists_tied_tensors_once_and_loads_back():
    a, b = build(tiny()), build(tiny(seed=3))
    sd = a.state_dict()
    assert "G1.0.0.weight" in sd and "G2.0.0.weight" not in sd and "D1.3.weight" in sd and "D2.3.weight" not in sd
    assert "G2.4.0.weight" in sd and "D2.0.0.weight" in sd
    ptrs = [v.data_ptr() for v in sd.values() if v.numel()]
    assert len(ptrs) == len(set(ptrs)), "an aliased tensor is left (safetensors would refuse the file)"
    b.load_state_dict(sd)
    assert b.G1[0] is b.G2[0] and torch.equal(weight(b.G2[0]), weight(a.G1[0]))
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in sd.items())


def test_training_loop_saves_resumes_and_exports(registered, tmp_path, data_root):
    """Two steps through :func:`xdomain.train.train` (its state file is safetensors), then a resumed third."""
    from xdomain import train

    cfg = tiny(steps=2)
    out = train.train(CoGAN, cfg, tmp_path / "run", data_root=data_root, evaluate=False, progress=False)
    model, step, _ = train.load_run(out)
    assert step == 2 and model.G1[0] is model.G2[0]
    train.train(CoGAN, cfg.replace(steps=3), out, data_root=data_root, evaluate=False, progress=False, resume=True)
    again, step, _ = train.load_run(out)
    assert step == 3 and int(again.optimizers["G"].state[weight(again.G1[0])]["step"]) == 3
    loaded = hub.load_model(out)
    assert all(torch.equal(v, loaded.inference_state_dict()[k]) for k, v in again.inference_state_dict().items())


@pytest.mark.parametrize("conditional", [False, True])
def test_save_load_identity(registered, tmp_path, conditional):
    cfg = tiny(conditional=conditional)
    m = build(cfg).train()
    m.train_step(fake_batch(cfg), 0)
    m.eval()
    folder = hub.save_checkpoint(tmp_path / "cogan", m, card=m.model_card())
    loaded = hub.load_model(folder)
    assert type(loaded) is CoGAN and loaded.cfg == cfg
    ref, got = m.inference_state_dict(), loaded.inference_state_dict()
    assert ref.keys() == got.keys() and all(torch.equal(ref[k], got[k]) for k in ref)
    if not conditional:
        assert loaded.G1[0] is loaded.G2[0], "tying survives loading"
    z = torch.randn(4, cfg.z_dim)
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(m.generate(z), loaded.generate(z)))
    x = fake_batch(cfg, 2)["B"]
    assert torch.equal(m.translate(x, "b2a", seed=1), loaded.translate(x, "b2a", seed=1))


def test_determinism_under_a_seed():
    cfg = tiny()
    a, b = build(cfg), build(cfg)
    batch = fake_batch(cfg)
    for m in (a, b):
        torch.manual_seed(123)
        m.train().train_step(batch, 0)
    sa, sb = a.state_dict(), b.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    a.eval(), b.eval()
    z = a.draw_code(3, seed=4)
    assert torch.equal(z, b.draw_code(3, seed=4))
    with torch.no_grad():
        assert all(torch.equal(p, q) for p, q in zip(a.generate(z), b.generate(z)))
    x = batch["A"][:2]
    assert torch.equal(a.translate(x, seed=2), b.translate(x, seed=2))
    assert torch.equal(a.translate(x), a.translate(x)), "translation without a seed is repeatable too"
    c = build(cfg.replace(seed=1))
    assert any(not torch.equal(v, c.state_dict()[k]) for k, v in build(cfg).state_dict().items()
               if v.is_floating_point())


# ------------------------------------------------------------------------------ presets / data / metrics
def test_presets_build_at_their_sizes():
    for name, ds, size, ch in (("edge", "mnist_edge", 28, 1), ("negative", "mnist_negative", 28, 1),
                               ("faces", "celeba_Blond_Hair", 64, 3)):
        cfg = CoGAN.preset(name)
        assert cfg.dataset == ds and cfg.preset == name
        with torch.device("meta"):  # shapes and counts only
            m = CoGAN(cfg)
            x1, x2 = m.generate(torch.zeros(2, cfg.z_dim, device="meta"))
            assert x1.shape == x2.shape == (2, ch, size, size)
            assert m.D1(x1).shape == (2, 1)
        g = count_params(torch.nn.ModuleList([m.G1, m.G2]))
        assert g < paper_param_counts(cfg.arch)[0]
    assert CoGAN.preset("faces", dataset="celeba_Smiling").dataset == "celeba_Smiling"
    assert set(PRESETS) == {"edge", "negative", "faces", "adapt_m2u", "adapt_u2m"}
    with pytest.raises(KeyError):
        CoGAN.preset("rgbd")
    assert "4× narrower" in CoGAN(CoGAN.preset("edge")).model_card()
    assert CoGAN(tiny()).judge_names() == {"digits": "judge-mnist"}
    assert CoGAN(tiny(dataset="mnist_edge")).judge_names() == {"digits": "judge-mnist", "edges": "judge-mnist-edge"}
    with torch.device("meta"):
        assert CoGAN(CoGAN.preset("faces")).judge_names() == {"attributes": "judge-celeba-robust",
                                                               "identity": "judge-celeba-identity"}


def test_disjoint_halves():
    a, b = disjoint_halves(11, 0, "train")
    assert len(a) == 5 and len(b) == 6 and not set(a) & set(b) and set(a) | set(b) == set(range(11))
    assert np.array_equal(a, disjoint_halves(11, 0, "train")[0])
    assert not np.array_equal(a, disjoint_halves(11, 0, "test")[0])


def test_load_data_draws_the_domains_from_disjoint_halves(data_root):
    cfg = tiny()  # mnist_negative: the builder returns paired rows
    d = CoGAN.load_data(cfg, data_root, "test").tensors
    assert len(d["A"]) == len(d["B"]) == 5000 and set(d) == {"A", "B", "label_A", "label_B"}
    b_rows = {r.numpy().tobytes() for r in d["B"]}
    assert not any((-r).numpy().tobytes() in b_rows for r in d["A"][:500]), "a corresponding pair was kept"
    train = CoGAN.load_data(cfg, data_root, "train")
    assert set(train.tensors) == {"A", "B"} and len(train.tensors["A"]) == 25000


def test_compute_metrics_tiny(data_root):
    from xdomain.judges import load_judge

    for task in ("mnist_edge", "mnist_negative"):
        cfg = tiny(dataset=task)
        m = build(cfg).eval()
        data = CoGAN.load_data(cfg, data_root, "test").tensors
        judge, edges = load_judge("judge-mnist"), load_judge("judge-mnist-edge")
        out = m.compute_metrics(data, {"digits": judge, "edges": edges}, limit=64)
        assert all(isinstance(v, float) and math.isfinite(v) for v in out.values()), out
        assert out["n_pairs"] == 64 and 0 <= out["pixel_agreement"] <= 1
        floor = out["pixel_agreement_floor"]
        assert 0.7 < floor < 0.95, floor  # FINDINGS: ≈ 0.81 (edge), ≈ 0.84 (negative)
        assert out["invert_mse"] > 0
        if judge is not None:
            assert 0 <= out["invert_digit_kept"] <= 1 and out["judge_acc_real_A"] > 0.8
            assert ("pair_same_digit" in out) == (task == "mnist_negative" or edges is not None)
            assert ("pair_same_digit" in m.compute_metrics(data, {"digits": judge}, limit=16)) == (task == "mnist_negative")
        bare = m.compute_metrics(data, {}, limit=32)
        assert "pixel_agreement" in bare and "invert_digit_kept" not in bare
        alone = m.agreement_metrics(data_root, "test", limit=64)  # what the notebook recomputes
        assert alone == {k: out[k] for k in ("pixel_agreement", "pixel_agreement_shuffled", "pixel_agreement_floor")}


class StubAttributeJudge:
    """A 40-attribute "judge" reading fixed pixel statistics (so the faces metrics run without CelebA)."""

    class cfg:  # noqa: N801 - mimics Classifier.cfg
        image_size, channels, multilabel = 64, 3, True

    calibration: dict = {}
    stored_metrics: dict = {}

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        feats = torch.stack([x[:, c % 3, (c * 7) % 64, (c * 13) % 64] for c in range(40)], 1)
        return feats * 10

    def decide(self, logits: torch.Tensor) -> torch.Tensor:
        return (logits > 0).long()


def test_faces_architecture_steps_and_metrics(data_root):
    from xdomain.judges import load_judge

    cfg = CoGAN.preset("faces", g_widths=(8, 8, 8, 8, 8), d_widths=(4, 4, 4, 4, 4), d_fc=8, batch_size=4,
                       eval_pairs=16, invert_eval_images=3, invert_eval_steps=3, z_dim=8)
    m = build(cfg).train()
    assert [a is b for a, b in zip(m.G1, m.G2)] == [True] * 4 + [False] * 2
    assert [a is b for a, b in zip(m.D1, m.D2)] == [False] * 2 + [True] * 5
    logs = {**m.d_step(fake_batch(cfg), 0), **m.g_step(fake_batch(cfg), 0)}
    assert all(math.isfinite(v) for v in logs.values())
    m.eval()
    g = torch.Generator().manual_seed(1)
    data = {s: torch.rand(10, 3, 64, 64, generator=g) * 2 - 1 for s in "AB"}
    judges = [StubAttributeJudge()]
    real = load_judge("judge-celeba-robust")
    if real is not None:
        judges.append(real)
    for judge in judges:
        out = m.compute_metrics(data, {"attributes": judge}, limit=16)
        assert all(isinstance(v, float) and math.isfinite(v) for v in out.values()), out
        for k in ("pair_attr_differs", "pair_success", "pair_success_shuffled", "kept_mean", "kept_Smiling",
                  "kept_chance_Smiling", "invert_flipped", "invert_kept_mean", "judge_in_A_real_A"):
            assert 0 <= out[k] <= 1, k
        assert "kept_Blond_Hair" not in out and out["invert_mse"] > 0
    assert set(m.compute_metrics(data, {}, limit=8)) == {"n_pairs", "invert_mse"}


# ------------------------------------------------------------------------------ MNIST ↔ USPS adaptation
def adapt(**kw) -> CoGANConfig:
    return tiny(dataset="mnist_usps20", preset="adapt_m2u", classifier=True, w_feat=0.01, **kw)


def labelled_batch(cfg: CoGANConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed + 100)
    labels = {f"label_{s}": torch.randint(0, 10, (cfg.batch_size,), generator=g) for s in "AB"}
    return fake_batch(cfg, seed=seed) | labels


def test_adaptation_head_reads_the_tied_layers_last_hidden_features():
    cfg = adapt()
    m = build(cfg).eval()
    assert m.C.in_features == cfg.d_fc and m.C.out_features == cfg.n_classes == 10
    assert m.discriminator_names == ("D1", "D2", "C") and m.inference_modules == ("G1", "G2", "D1", "D2", "C")
    assert all(a is b for a, b in zip(m.D1[1:], m.D2[1:])) and m.D1[0] is not m.D2[0]
    x = fake_batch(cfg, 5)["A"]
    with torch.no_grad():
        for side, d in (("A", m.D1), ("B", m.D2)):
            logits = m.classify(x, side)
            assert logits.shape == (5, 10)
            assert torch.allclose(logits, m.C(d[:-1](x)), atol=1e-6)  # c(f^(3)(f^(2)(f_side^(1)(x))))
        assert not torch.allclose(m.classify(x, "A"), m.classify(x, "B")), "each side reads through its own first layer"
    sd = m.inference_state_dict()
    assert "C.weight" in sd and "D2.0.0.weight" in sd and "D2.3.weight" not in sd  # a tied layer ships once
    with pytest.raises(ValueError):
        CoGAN(adapt(conditional=True))
    with pytest.raises(ValueError):
        CoGAN(tiny(source_only=True))
    with pytest.raises(ValueError):
        CoGAN(adapt(source="C"))


@pytest.mark.parametrize("source", ["A", "B"])
def test_classification_loss_sees_source_labels_only(source):
    cfg = adapt(source=source)
    target = "B" if source == "A" else "A"
    batch = labelled_batch(cfg)
    garbage = batch | {f"label_{target}": (batch[f"label_{target}"] + 3) % 10}
    relabelled = batch | {f"label_{source}": (batch[f"label_{source}"] + 3) % 10}
    states = []
    for b in (batch, garbage, relabelled):
        m = build(cfg).train()
        torch.manual_seed(7)
        m.d_step(b, 0)
        states.append(m.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0]), "a target label changed the step"
    assert not torch.equal(states[0]["C.weight"], states[2]["C.weight"]), "the source labels must train c"
    no_target = {k: v for k, v in batch.items() if k != f"label_{target}"}
    m = build(cfg).train()
    torch.manual_seed(7)
    m.d_step(no_target, 0)  # training batches carry no target labels at all
    assert all(torch.equal(v, states[0][k]) for k, v in m.state_dict().items())


def test_one_finite_d_step_and_g_step_in_adaptation_mode():
    cfg = adapt()
    m = build(cfg).train()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    logs = {**m.d_step(labelled_batch(cfg), 0), **m.g_step(labelled_batch(cfg), 0)}
    assert set(logs) == {"d_1", "d_2", "feat", "cls", "acc_src_batch", "g_1", "g_2"}
    assert all(isinstance(v, float) and math.isfinite(v) for v in logs.values())
    assert all(torch.isfinite(p).all() for p in m.parameters())
    changed = {k for k, v in m.state_dict().items() if v.is_floating_point() and not torch.equal(v, before[k])}
    assert {"C.weight", "D1.0.0.weight", "D2.0.0.weight", "D1.3.weight", "G1.0.0.weight", "G2.4.0.weight"} <= changed
    assert int(m.optimizers["D"].state[m.C.weight]["step"]) == 1, "c is trained in the D-step, once"


def test_source_only_baseline_trains_d_source_and_c_alone():
    cfg = adapt(source="B", source_only=True)
    m = build(cfg).train()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    logs = m.train_step(labelled_batch(cfg), 0)
    assert set(logs) == {"cls", "acc_src_batch"}
    changed = {k for k, v in m.state_dict().items() if v.is_floating_point() and not torch.equal(v, before[k])}
    assert {"C.weight", "D2.0.0.weight", "D1.1.0.weight"} <= changed  # D1.1 is tied: it is D2.1 as well
    assert not any(k.startswith(("G1.", "G2.", "D1.0.")) for k in changed), changed
    m.eval()
    x = fake_batch(cfg, 4)["A"]
    assert torch.equal(m.classify(x, "A"), m.classify(x, "B")), "the baseline reads both domains through D_source"


def test_adaptation_save_load_identity(registered, tmp_path):
    cfg = adapt(ship_dtype="float16")
    m = build(cfg).train()
    m.train_step(labelled_batch(cfg), 0)
    m.eval()
    folder = hub.save_checkpoint(tmp_path / "adapt", m, card=m.model_card())
    loaded = hub.load_model(folder)
    assert loaded.cfg == cfg and loaded.G1[0] is loaded.G2[0] and loaded.D1[-1] is loaded.D2[-1]
    x = fake_batch(cfg, 3)["B"]
    for side in "AB":  # float16 shipping rounds the weights: the loaded model reads the same classes
        assert torch.equal(loaded.classify(x, side).argmax(1), m.classify(x, side).argmax(1))
    m.cfg = cfg.replace(ship_dtype="float32")
    exact = hub.load_model(hub.save_checkpoint(tmp_path / "adapt32", m, card=m.model_card()))
    ref, got = m.inference_state_dict(), exact.inference_state_dict()
    assert ref.keys() == got.keys() and "C.weight" in ref and all(torch.equal(ref[k], got[k]) for k in ref)
    assert all(torch.equal(exact.classify(x, s), m.classify(x, s)) for s in "AB")
    card = m.model_card()
    assert "MNIST → USPS" in card and "labelled MNIST images only" in card and "c(f2(x))" in card


def test_adaptation_metrics_on_synthetic_data():
    g = torch.Generator().manual_seed(3)
    data = {s: torch.rand(12, 1, 28, 28, generator=g) * 2 - 1 for s in "AB"}
    data |= {f"label_{s}": torch.randint(0, 10, (12,), generator=g) for s in "AB"}
    m = build(adapt(source="B")).eval()
    out = m.compute_metrics(data, {}, limit=10)
    assert out["n_test_A"] == out["n_test_B"] == 10 and "pixel_agreement" not in out
    acc_a = (m.classify(data["A"][:10], "A").argmax(1) == data["label_A"][:10]).float().mean().item()
    assert out["acc_target_test"] == acc_a and 0 <= out["acc_source_test"] <= 1 and out["invert_mse"] > 0
    base = build(adapt(source_only=True)).eval()
    assert set(base.compute_metrics(data, {}, limit=10)) == {"n_test_A", "n_test_B", "acc_source_test",
                                                             "acc_target_test"}
    assert set(m.compute_metrics({s: data[s] for s in "AB"}, {}, limit=10)) >= {"n_test_A", "n_pairs", "invert_mse"}


def test_draw_subset():
    a = draw_subset(100, 20, 0, "A")
    assert len(a) == 20 == len(set(a)) and list(a) == sorted(a) and a.max() < 100
    assert np.array_equal(a, draw_subset(100, 20, 0, "A"))
    assert not np.array_equal(a, draw_subset(100, 20, 1, "A")) and not np.array_equal(a, draw_subset(100, 20, 0, "B"))
    with pytest.raises(ValueError):
        draw_subset(10, 11, 0, "A")


def test_mnist_usps_adaptation_data(data_root):
    cfg = CoGAN.preset("adapt_u2m")
    assert (cfg.dataset, cfg.image_size, cfg.source) == ("mnist_usps20", 28, "B")
    assert (cfg.n_train_a, cfg.n_train_b) == (2000, 1800)
    train = CoGAN.load_data(cfg, data_root, "train").tensors
    assert set(train) == {"A", "B", "label_B"}, "only the source's labels reach training"
    assert train["A"].shape == (2000, 1, 28, 28) and train["B"].shape == (1800, 1, 28, 28)
    assert len(train["label_B"]) == 1800
    other = CoGAN.load_data(cfg.replace(seed=1), data_root, "train").tensors
    assert not torch.equal(train["A"], other["A"]), "each seed draws its own subsets"
    mnist, labels = domains.mnist_split(data_root, "train")
    idx = draw_subset(50000, 2000, 0, "A")
    assert torch.equal(train["A"], domains.to_tensor(mnist[idx])), "MNIST in its own 28×28 frame, untouched"
    usps = train["B"][:, 0]
    assert float(usps[:, :4].max()) == float(usps[:, -4:].max()) == -1.0, "USPS sits in MNIST's 20-px box"
    test = CoGAN.load_data(cfg, data_root, "test").tensors
    assert set(test) == {"A", "B", "label_A", "label_B"} and len(test["A"]) == 10000 and len(test["B"]) == 2007
    val = CoGAN.load_data(cfg, data_root, "val").tensors
    assert len(val["A"]) == 10000 and len(val["B"]) == 729


# ------------------------------------------------------------------------------ the shared battery
@pytest.mark.parametrize("conditional", [False, True])
def test_shared_battery(registered, data_root, tmp_path, conditional):
    """The checks ``test_methods_common`` runs on every registered method, on CoGAN and its baseline."""
    cfg = tiny(conditional=conditional)
    batch = CoGAN.load_data(cfg, data_root, "test").sample(cfg.batch_size, torch.Generator().manual_seed(0))
    setup = (CoGAN, cfg, batch)
    battery.test_tiny_config_is_tiny(setup)
    battery.test_translate_shapes(setup)
    battery.test_one_finite_d_step_and_g_step(setup)
    battery.test_save_load_gives_identical_outputs(setup, tmp_path)
    battery.test_determinism_under_a_seed(setup)
    battery.test_evaluate_returns_finite_metrics(setup, data_root)


def test_edge_alignment_diagnostic_reads_where_g2_draws():
    """experiments.cogan_digits edge-align: a g2 that draws exactly T(g1) scores 1 everywhere; the same edge
    maps moved by a pixel lose exact agreement but stay within one pixel, and the best shift finds it."""
    from experiments.cogan_digits import edge_alignment
    from xdomain.methods.cogan import to_domain_2

    m = build(tiny(dataset="mnist_edge"))
    assert m.task == "edge"
    g = torch.Generator().manual_seed(0)
    x1 = torch.where(torch.rand(16, 1, m.cfg.image_size, m.cfg.image_size, generator=g) > 0.8, 1.0, -1.0)
    x1[..., :3], x1[..., -3:], x1[..., :3, :], x1[..., -3:, :] = -1.0, -1.0, -1.0, -1.0  # nothing wraps when rolled
    m.sample_pairs_from = lambda z: (x1[: len(z)], to_domain_2(x1[: len(z)], "edge"))
    exact = edge_alignment(m, n=16)
    assert exact["agreement"] == exact["g2_precision"] == exact["g2_recall"] == exact["g2_within_1px"] == 1.0
    assert exact["best_shift"] == [0, 0]
    m.sample_pairs_from = lambda z: (x1[: len(z)], torch.roll(to_domain_2(x1[: len(z)], "edge"), 1, 3))
    moved = edge_alignment(m, n=16)
    assert moved["agreement"] < 1.0 and moved["g2_within_1px"] == 1.0 and moved["best_shift"] == [0, -1]
    with pytest.raises(SystemExit):
        edge_alignment(build(tiny(dataset="mnist_negative")), n=4)


def test_edge_judge_reads_the_digit_of_an_edge_map(data_root, tmp_path):
    """experiments.cogan_digits edge-judge: pairs (real digit, its exact edge map) agree on every pixel and are read
    as one digit by the MNIST judge and the edge judge; shuffled pairs are not; the real val edge maps are read surely.
    edge-pairs draws the three rows g1, T(g1), g2."""
    from PIL import Image

    from experiments.cogan_digits import edge_judge_figures, edge_pairs_figure, edge_references
    from xdomain.judges import load_judge

    m = build(tiny(dataset="mnist_edge"))
    x = CoGAN.load_data(m.cfg, data_root, "test").tensors["A"][:64]
    m.sample_pairs_from = lambda z: (x[: len(z)], edge_map(x[: len(z)]))
    fig = edge_judge_figures(m, load_judge("judge-mnist"), load_judge("judge-mnist-edge"), n=64)
    assert fig["pixel_agreement"] == 1.0 and fig["pair_same_digit"] > 0.9 and fig["pair_same_digit_shuffled"] < 0.3
    assert fig["real_val_edges"]["confidence"] > 0.9 and fig["g2"]["largest_class"] < 0.3
    edge_pairs_figure(m, tmp_path / "pairs.png", n=4)
    assert Image.open(tmp_path / "pairs.png").size == (4 * (3 * 28 + 2) + 2, 3 * (3 * 28 + 2) + 2)
    refs = edge_references(n=200)
    assert refs["identical"] == 1.0 and refs["shifted_1px"] < 0.9 and refs["stroke_dilated_1px"] < refs["all_black"]


def test_authors_caffe_recipe_flags():
    """z_dist / d_dropout / init (the authors' Caffe recipe): uniform codes in [−1, 1] everywhere a code is drawn,
    dropout only in D's hidden FC block and only in training, He-normal weights; a finite D/G step; bad values
    named."""
    cfg = tiny(z_dist="uniform", d_dropout=0.5, init="msra")
    m = build(cfg).train()
    z = m.draw_code(256, seed=3)
    assert z.min() >= -1 and z.max() <= 1 and z.std() < 0.7  # U[−1, 1] has std 0.577, N(0, 1) has 1
    assert torch.equal(z, m.draw_code(256, seed=3))
    assert isinstance(m.D1[-2][-1], torch.nn.Dropout) and m.D1[-2][-1] is m.D2[-2][-1]
    assert build(tiny()).D1[-2][-1].__class__ is torch.nn.PReLU  # off by default: state_dict keys unchanged
    w = weight(m.G1[0])  # ConvTranspose2d weight [in, out, k, k]: Caffe's fan-in is out · k²
    assert w.std().item() == pytest.approx(math.sqrt(2 / (w.shape[1] * w.shape[2] * w.shape[3])), rel=0.1)
    logs = {**m.d_step(fake_batch(cfg), 0), **m.g_step(fake_batch(cfg), 0)}
    assert all(math.isfinite(v) for v in logs.values())
    m.eval()
    x = fake_batch(cfg)["A"]
    assert torch.equal(m.D1(x), m.D1(x))  # eval: no dropout
    for bad in (dict(z_dist="laplace"), dict(init="xavier")):
        with pytest.raises(ValueError, match=next(iter(bad))):
            build(tiny(**bad)).draw_code(2, 0)


def test_r1_penalty_is_the_squared_input_gradient():
    """R1 of a linear critic D(x) = ⟨w, x⟩ is ‖w‖² for every image; batches given apart count their rows."""
    from xdomain.losses import r1_penalty

    w = torch.randn(1, 3, 4, 4, requires_grad=True)  # D's weight
    ww = w.detach().pow(2).sum().item()
    xa, xb = (torch.randn(n, 3, 4, 4, requires_grad=True) for n in (5, 3))
    d = lambda x: (x * w).flatten(1).sum(1)  # noqa: E731
    assert r1_penalty(d(xa), xa).item() == pytest.approx(ww, rel=1e-5)
    both = r1_penalty(torch.cat([d(xa), 2 * d(xb)]), xa, xb)  # rows of xb: gradient 2w
    assert both.item() == pytest.approx((5 + 3 * 4) / 8 * ww, rel=1e-5)
    (g,) = torch.autograd.grad(both, w)  # create_graph: D trains on it (∂‖w‖²/∂w = 2w, weighted by rows)
    assert torch.allclose(g, (5 + 3 * 4) / 8 * 2 * w.detach(), rtol=1e-5)


@pytest.mark.parametrize("conditional", [False, True])
def test_edge_screen_discriminator_flags(conditional):
    """r1_gamma / d_spectral_norm / d_act (the edge lever screen (h), none in the paper): the R1 term is logged and
    finite, spectral normalisation keeps every D weight's largest singular value near 1 (tied layers normalised
    once), d_act adds a PReLU per conv block; off by default."""
    cfg = tiny(conditional=conditional, r1_gamma=10.0, d_spectral_norm=True, d_act=True)
    m = build(cfg).train()
    logs = {**m.d_step(fake_batch(cfg), 0), **m.g_step(fake_batch(cfg), 0)}
    assert "r1" in logs and all(math.isfinite(v) for v in logs.values())
    for _ in range(3):  # a few power iterations
        m.d_step(fake_batch(cfg), 1)
    d = m.D if conditional else m.D1
    assert isinstance(d[0][-1], torch.nn.PReLU) and isinstance(d[1][-1], torch.nn.PReLU)
    m.eval()
    lin = [mod for mod in d.modules() if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear))]
    assert lin and all(torch.nn.utils.parametrize.is_parametrized(mod, "weight") for mod in lin)
    top = torch.linalg.matrix_norm(lin[-1].weight.flatten(1), ord=2).item()
    assert top == pytest.approx(1.0, abs=0.1)
    plain = build(tiny(conditional=conditional))
    pd = plain.D if conditional else plain.D1
    assert not any(torch.nn.utils.parametrize.is_parametrized(mod) for mod in pd.modules())
    assert not isinstance(pd[0][-1], torch.nn.PReLU)
    b = build(cfg.replace(seed=5)).eval()
    b.load_state_dict(m.state_dict())  # save → load with the parametrised weights: the same discriminator
    x = fake_batch(cfg)["A"]
    assert torch.equal((b.D if conditional else b.D1)(x), d(x))
