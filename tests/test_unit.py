"""UNIT (Liu et al., NeurIPS 2017): shapes of both presets, weight sharing that is real (one tensor, held once
by Adam, one update per step), the loss terms each flag switches, save → load, determinism, seeded z draws,
and the source-only baseline. Synthetic tensors throughout, except where ``data_root`` is asked for."""
from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
import torch

from support import tiny_identity_encoder
from xdomain import hub, registry
from xdomain.methods.unit import UNIT, cc_loss, kl_loss, vae_loss
from xdomain.nn.blocks import ResBlock

PRESETS = ("digits", "faces")


def tiny(preset: str = "digits", **kw) -> UNIT:
    cfg = UNIT.tiny_config(preset).replace(**kw)
    torch.manual_seed(cfg.seed)
    m = UNIT(cfg)
    m.configure_optimizers()
    return m


def batch(m: UNIT, n: int = 4, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    c, s = m.cfg.channels, m.cfg.image_size
    out = {k: torch.rand(n, c, s, s, generator=g) * 2 - 1 for k in "AB"}
    if m.cfg.classifier:
        out[f"label_{m.cfg.source}"] = torch.randint(0, 10, (n,), generator=g)
    return out


def shared_pairs(a: torch.nn.Module, b: torch.nn.Module) -> list[tuple[str, torch.Tensor]]:
    """Parameters that ``a`` and ``b`` hold as the very same tensor."""
    ids = {id(p) for p in b.parameters()}
    return [(n, p) for n, p in a.named_parameters() if id(p) in ids]


@pytest.fixture
def registered():
    """``unit`` in the registry for hub.load_model (restoring whatever was there before)."""
    before = registry.METHODS.get("unit")
    registry.register_method(registry.MethodSpec("unit", "xdomain.methods.unit:UNIT", "UNIT (test)", "test", title="UNIT"))
    yield
    if before is None:
        registry.METHODS.pop("unit", None)
    else:
        registry.METHODS["unit"] = before


# ------------------------------------------------------------------------------ shapes
@pytest.mark.parametrize("preset", PRESETS)
def test_shapes_and_range(preset):
    m = tiny(preset).eval()
    b = batch(m, 3)
    mu, ex = m.encode(b["A"], "A")
    assert ex is None and mu.shape == (3, *m.z_shape) and m.code_dim == mu[0].numel()
    for d, src, dst in (("a2b", "A", "B"), ("b2a", "B", "A")):
        y = m.translate(b[src], d, seed=0)
        assert y.shape == b[dst].shape and y.abs().max() <= 1
    assert m.decode(mu, None, "B").shape == b["B"].shape
    assert m.D1(b["A"])[0].shape == (3,)
    if m.cfg.classifier:
        assert m.classify(b["A"], "A").shape == (3, 10)


@pytest.mark.parametrize("preset", PRESETS)
def test_full_presets_build_at_paper_resolution(preset):
    torch.manual_seed(0)
    m = UNIT(UNIT.preset(preset)).eval()
    s, c = m.cfg.image_size, m.cfg.channels
    assert (s, c) == ((32, 1) if preset == "digits" else (64, 3))
    x = torch.rand(2, c, s, s) * 2 - 1
    assert m.translate(x, "a2b").shape == x.shape
    assert m.z_shape == ((256, 1, 1) if preset == "digits" else (128, 8, 8))
    with pytest.raises(KeyError):
        UNIT.preset("svhn")


def test_digits_preset_ties_the_layers_of_tables_4_and_5():
    m = UNIT(UNIT.preset("digits"))
    assert [m.E1[i] is m.E2[i] for i in range(5)] == [False, True, True, True, True]  # Table 4: E layers 2–4 and μ
    assert [m.G1[i] is m.G2[i] for i in range(5)] == [True, True, True, False, False]  # Table 4: G layers 1–3
    d1, d2 = [*m.D1.body, m.D1.head], [*m.D2.body, m.D2.head]
    assert [a is b for a, b in zip(d1, d2)] == [False, True, True, True]  # Table 5: layers 2, 3, 4a/4b
    assert not m.cfg.cycle  # "the cycle-consistency constraint was not necessary for this task"


def test_face_layout_paper_follows_table_3():
    """``face_layout="paper"``: CONV-(K7,S1) then K3 S2 convs (μ at a quarter of the side, not an eighth), G back
    through K3 S2 DCONVs to a DCONV-(K1,S1) + tanh; the tied layers stay one tensor, one step is finite, and a
    layout name the code does not know is refused."""
    m = tiny("faces", face_layout="paper").train()
    s, w = m.cfg.image_size, m.cfg.enc_widths
    convs = [mod for mod in m.E1.modules() if isinstance(mod, torch.nn.Conv2d)][:len(w)]
    assert [(c.kernel_size[0], c.stride[0]) for c in convs] == [(7, 1)] + [(3, 2)] * (len(w) - 1)
    deconvs = [mod for mod in m.G1.modules() if isinstance(mod, torch.nn.ConvTranspose2d)]
    assert [(c.kernel_size[0], c.stride[0]) for c in deconvs] == [(3, 2)] * (len(w) - 1) + [(1, 1)]
    assert isinstance(m.G1[-1][-1], torch.nn.Tanh)
    assert m.z_shape == (w[-1], s // 2 ** (len(w) - 1), s // 2 ** (len(w) - 1))
    assert tiny("faces").z_shape[1] == m.z_shape[1] // 2  # the strided default halves once more
    b = batch(m)
    mu, _ = m.encode(b["A"], "A")
    assert mu.shape == (4, *m.z_shape) and m.translate(b["A"], "a2b", seed=0).shape == b["B"].shape
    assert shared_pairs(m.E1, m.E2) and shared_pairs(m.G1, m.G2)
    logs = m.d_step(b, 0) | m.g_step(b, 0)
    assert all(math.isfinite(v) for v in logs.values())
    with pytest.raises(ValueError, match="face_layout"):
        tiny("faces", face_layout="unet")


def test_face_up_kernel_4_doubles_without_uneven_overlap():
    """``face_up_kernel=4``: G's stride-2 DCONVs become K4 S2 P1 (every output pixel fed by the same number of
    taps), same output size and one finite step; a K3 G prints a period-2 pattern from a constant map, K4 does not;
    other kernels are refused."""
    m = tiny("faces", face_layout="paper", face_up_kernel=4).train()
    deconvs = [mod for mod in m.G1.modules() if isinstance(mod, torch.nn.ConvTranspose2d)]
    assert [(c.kernel_size[0], c.stride[0]) for c in deconvs] == [(4, 2)] * (len(m.cfg.enc_widths) - 1) + [(1, 1)]
    b = batch(m)
    assert m.translate(b["A"], "a2b", seed=0).shape == b["B"].shape
    assert all(math.isfinite(v) for v in (m.d_step(b, 0) | m.g_step(b, 0)).values())
    for k, uneven in ((3, True), (4, False)):  # one all-ones up-conv over a constant map, away from the border
        up = torch.nn.ConvTranspose2d(1, 1, k, 2, 1, output_padding=4 - k, bias=False)
        torch.nn.init.ones_(up.weight)
        y = up(torch.ones(1, 1, 8, 8))[0, 0, 2:-2, 2:-2]
        assert (y.std() > 0.1) == uneven
    with pytest.raises(ValueError, match="face_up_kernel"):
        tiny("faces", face_layout="paper", face_up_kernel=5)


def test_face_conv_norm_none_leaves_instance_norm_to_the_resblocks():
    """``face_conv_norm="none"`` (the authors' released COCOResGen2): E's and G's plain convs carry a bias and no
    normalisation, the ResBlocks keep theirs; sharing holds, one step is finite; unknown names are refused."""
    m = tiny("faces", face_layout="paper", face_conv_norm="none").train()
    for net in (m.E1, m.G1):
        plain = [blk for blk in net if not isinstance(blk, ResBlock)]
        assert plain and not any(isinstance(x, torch.nn.InstanceNorm2d) for blk in plain for x in blk.modules())
        assert all(c.bias is not None for blk in plain for c in blk.modules() if isinstance(c, torch.nn.Conv2d)
                   or isinstance(c, torch.nn.ConvTranspose2d))
        assert any(isinstance(x, torch.nn.InstanceNorm2d) for blk in net if isinstance(blk, ResBlock)
                   for x in blk.modules())
    assert shared_pairs(m.E1, m.E2) and shared_pairs(m.G1, m.G2)
    b = batch(m)
    assert all(math.isfinite(v) for v in (m.d_step(b, 0) | m.g_step(b, 0)).values())
    with pytest.raises(ValueError, match="face_conv_norm"):
        tiny("faces", face_layout="paper", face_conv_norm="group")


# ------------------------------------------------------------------------------ weight sharing
@pytest.mark.parametrize("preset", PRESETS)
def test_tied_layers_are_one_tensor(preset):
    m = tiny(preset)
    enc, gen = shared_pairs(m.E1, m.E2), shared_pairs(m.G1, m.G2)
    assert enc and gen
    n_e, n_g = m.cfg.n_shared_enc, m.cfg.n_shared_gen
    assert all(m.E1[i] is m.E2[i] for i in range(len(m.E1) - n_e, len(m.E1)))
    assert all(m.E1[i] is not m.E2[i] for i in range(len(m.E1) - n_e))
    assert all(m.G1[i] is m.G2[i] for i in range(n_g)) and all(m.G1[i] is not m.G2[i] for i in range(n_g, len(m.G1)))
    untied = tiny(preset, n_shared_enc=0, n_shared_gen=0, n_shared_dis=0)
    assert not shared_pairs(untied.E1, untied.E2) and not shared_pairs(untied.G1, untied.G2)
    assert not shared_pairs(untied.D1, untied.D2)
    # a tied tensor ships once, under E1 / G1
    sd = m.inference_state_dict()
    assert not any(k.startswith("E2.") and k[3:] in {n for n, _ in enc} for k in sd)
    assert len(sd) == len({id(v) for v in m.inference_state_dict().values()})


def _refs(opt: torch.optim.Optimizer, p: torch.Tensor) -> int:
    return sum(q is p for g in opt.param_groups for q in g["params"])


@pytest.mark.parametrize("preset", PRESETS)
def test_adam_holds_each_tied_tensor_once_and_steps_it_once(preset):
    m = tiny(preset).train()
    _, w = shared_pairs(m.E1, m.E2)[0]
    _, v = shared_pairs(m.G1, m.G2)[0]
    for p in (w, v):
        assert _refs(m.optimizers["G"], p) == 1
    if m.cfg.n_shared_dis:
        assert _refs(m.optimizers["D"], shared_pairs(m.D1, m.D2)[0][1]) == 1
    before = w.detach().clone()
    m.g_step(batch(m), 0)
    assert m.optimizers["G"].state[w]["step"].item() == 1
    lr, eps = m.cfg.lr, 1e-8  # Adam's first step: m̂ = g, v̂ = g², so Δ = −lr·g / (|g| + ε)
    expected = before - lr * w.grad / (w.grad.abs() + eps)
    assert w.grad.abs().sum() > 0 and torch.allclose(w.detach(), expected, rtol=0, atol=1e-7)


def test_channels_last_keeps_sharing_and_the_maths(preset="digits"):
    """The loop's ``channels_last`` flag (NHWC weights and batches): a tied layer is still one tensor held
    once by Adam, and one D/G iteration lands where the contiguous model's does (float rounding only)."""
    from xdomain import train

    a, b = tiny(preset).train(), tiny(preset).train()
    b.to(memory_format=torch.channels_last)
    b.configure_optimizers()
    w = shared_pairs(b.E1, b.E2)[0][1]
    assert w.dim() != 4 or w.is_contiguous(memory_format=torch.channels_last)
    assert _refs(b.optimizers["G"], w) == 1 and all(b.E1[i] is b.E2[i] for i in range(len(b.E1) - b.cfg.n_shared_enc, len(b.E1)))
    x = batch(a)
    torch.manual_seed(3)
    a.train_step(x, 0)
    torch.manual_seed(3)
    b.train_step(train.batch_to(x, "cpu", channels_last=True), 0)
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.allclose(sa[k].float(), sb[k].float(), atol=1e-5), k


def test_the_loop_trains_channels_last_like_contiguous(registered, data_root, tmp_path):
    """``train(..., channels_last=True)`` on the real digits: same batches, weights within float rounding of
    the contiguous run, and the exported checkpoint (stored contiguous) loads and translates."""
    from xdomain import train

    cfg = UNIT.tiny_config("digits").replace(steps=2, ckpt_every=1, threads=1)
    runs = {f: train.train("unit", cfg.replace(channels_last=f), tmp_path / str(f), data_root=data_root,
                           evaluate=False, progress=False) for f in (False, True)}
    a, b = (hub.load_model(runs[f]) for f in (False, True))
    assert b.cfg.channels_last and not a.cfg.channels_last
    sa, sb = a.state_dict(), b.state_dict()
    for k in sa:
        assert torch.allclose(sa[k].float(), sb[k].float(), atol=1e-4), k
    x = torch.rand(2, cfg.channels, cfg.image_size, cfg.image_size) * 2 - 1
    assert torch.allclose(a.translate(x, "a2b", seed=0), b.translate(x, "a2b", seed=0), atol=1e-3)


def test_the_sharing_check_catches_a_double_update():
    """The bug FINDINGS names: Adam over E1's and E2's parameters lists the tied tensor twice and moves it twice."""
    m = tiny()
    _, w = shared_pairs(m.E1, m.E2)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the duplicate, as it should
        naive = torch.optim.Adam([*m.E1.parameters(), *m.E2.parameters()], lr=m.cfg.lr, betas=(0.5, 0.999))
    assert _refs(naive, w) == 2
    w.grad = torch.ones_like(w)
    before = w.detach().clone()
    naive.step()
    assert naive.state[w]["step"].item() == 2
    assert ((before - w.detach()) > 1.5 * m.cfg.lr).all()  # two steps of ≈ lr each


# ------------------------------------------------------------------------------ losses and steps
def test_kl_is_half_the_squared_mean():
    mu = torch.ones(2, 3, 1, 1)
    assert kl_loss(mu, "sample").item() == pytest.approx(1.5)  # ½‖μ‖² per image, batch mean
    assert kl_loss(mu, "element").item() == pytest.approx(0.5)
    x = torch.zeros(2, 1, 4, 4)
    loss, logs = vae_loss(x, x + 0.5, mu, side="A", w_kl=0.1, w_rec=100.0)
    assert loss.item() == pytest.approx(100 * 0.5 + 0.1 * 1.5) and set(logs) == {"vae_rec_A", "vae_kl_A"}
    loss, logs = cc_loss(x, x, mu, 2 * mu, side="B", w_kl=0.1, w_cyc=100.0, kl=False)
    assert loss.item() == 0 and set(logs) == {"cc_rec_B"}


@pytest.mark.parametrize("cycle", [True, False])
@pytest.mark.parametrize("kl", [True, False])
def test_flags_switch_their_terms(cycle, kl):
    m = tiny(cycle=cycle, kl=kl).train()
    logs = m.g_step(batch(m), 0)
    has = lambda prefix: {f"{prefix}_A", f"{prefix}_B"} <= set(logs)  # noqa: E731
    assert has("vae_rec") and has("gan")
    assert has("cc_rec") == cycle and any(k.startswith("cc_") for k in logs) == cycle
    assert has("vae_kl") == kl and has("cc_kl") == (kl and cycle)
    assert any("kl" in k for k in logs) == kl


@pytest.mark.parametrize("preset", PRESETS)
def test_one_finite_d_step_and_g_step(preset):
    m = tiny(preset).train()
    b = batch(m)
    d0 = {k: v.clone() for k, v in m.D1.state_dict().items()}
    e0 = {k: v.clone() for k, v in m.E2.state_dict().items()}
    logs = m.d_step(b, 0) | m.g_step(b, 0)
    assert all(isinstance(v, float) and math.isfinite(v) for v in logs.values())
    assert {"d_A", "d_B", "g_total"} <= set(logs)
    if m.cfg.classifier:
        assert {"cls", "feat"} <= set(logs)
    assert any(not torch.equal(v, m.D1.state_dict()[k]) for k, v in d0.items())
    assert any(not torch.equal(v, m.E2.state_dict()[k]) for k, v in e0.items())
    assert all(torch.isfinite(p).all() for p in m.parameters())


def test_source_only_trains_no_generator():
    m = tiny(source_only=True).train()
    nets = {n: {k: v.clone() for k, v in getattr(m, n).state_dict().items()} for n in ("E1", "E2", "G1", "G2", "D1", "D2", "C")}
    b = batch(m)
    logs = m.train_step(b, 0)
    assert set(logs) == {"cls", "acc_src_batch"} and m.g_step(b, 1) == {}
    changed = {n: any(not torch.equal(v, getattr(m, n).state_dict()[k]) for k, v in sd.items()) for n, sd in nets.items()}
    assert not any(changed[n] for n in ("E1", "E2", "G1", "G2"))
    assert changed["D2"] and changed["C"]  # source B: D2's trunk and the head learn
    assert torch.equal(nets["D1"]["body.0.0.weight"], m.D1.body[0][0].weight)  # the target's own layer: untouched


@pytest.mark.parametrize("preset", ["digits", "faces"])
def test_twin_init_starts_both_paths_identical(preset):
    """``twin_init``: every untied layer of domain 2 starts equal to domain 1's, so at step 0 both encoders give
    one code for one image and both generators one image for one code; the ties stay ties; without the
    flag the twins differ."""
    m = tiny(preset, twin_init=True).eval()
    x = batch(m)["A"]
    with torch.no_grad():
        z1, z2 = m.encode(x, "A")[0], m.encode(x, "B")[0]
        assert torch.allclose(z1, z2) and torch.allclose(m.decode(z1, None, "A"), m.decode(z1, None, "B"))
        assert torch.allclose(m.D1(x)[1], m.D2(x)[1])
    assert m.E1[-1] is m.E2[-1] and m.G1[0] is m.G2[0]  # the ties are still one module
    plain = tiny(preset).eval()
    with torch.no_grad():
        assert not torch.allclose(plain.encode(x, "A")[0], plain.encode(x, "B")[0])


@pytest.mark.parametrize("preset", ["digits", "faces"])
def test_fan_in_output_init_rescales_only_the_output_layers(preset):
    """``out_init="fan_in"``: G1's and G2's output layers are drawn N(0, 1/fan_in), every other weight is the
    same draw as with the DCGAN default; an unknown value is refused."""
    plain, fan = tiny(preset), tiny(preset, out_init="fan_in")
    outs = set()
    for g in ("G1", "G2"):
        out = [m for m in getattr(fan, g).modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))][-1]
        outs.add(id(out.weight))
        fan_in = out.in_channels * out.kernel_size[0] * out.kernel_size[1]
        assert out.weight.std().item() > 3 * 0.02 and out.weight.std().item() < 3 * fan_in ** -0.5
    for (n, p), q in zip(fan.named_parameters(), plain.parameters()):
        assert id(p) in outs or torch.equal(p, q), n
    with pytest.raises(ValueError, match="out_init"):
        tiny(preset, out_init="kaiming")


# ------------------------------------------------------------------------------ inference
def test_translate_seeds_and_codes():
    m = tiny().eval()
    x = batch(m)["A"]
    base = m.translate(x, "a2b")
    assert torch.equal(base, m.translate(x, "a2b"))  # seed=None: μ, deterministic
    assert torch.equal(base, m.decode(m.encode(x, "A")[0], None, "B"))
    one, again, two = (m.translate(x, "a2b", seed=s) for s in (1, 1, 2))
    assert torch.equal(one, again) and not torch.equal(one, two) and not torch.equal(one, base)
    assert torch.equal(m.translate(x, "a2b", code=torch.zeros(m.code_dim)), base)
    eta = m.draw_code(len(x), 1)
    assert torch.allclose(m.translate(x, "a2b", code=eta), one)  # sample_std = 1: the code is η itself
    quiet = tiny(sample_std=0.0).eval()
    assert torch.equal(quiet.translate(x, "a2b", seed=5), quiet.translate(x, "a2b"))


@pytest.mark.parametrize("preset", PRESETS)
def test_diverse_outputs_are_draws_around_mu(preset):
    """The app's "several outputs": n draws G(μ + s·η_i) in one batch; s = 0 gives μ's output n times,
    a larger s moves the outputs further apart, and the same seed gives the same draws."""
    from xdomain import explore

    m = tiny(preset).eval()
    x = batch(m, 1)["A"]
    at_mu = m.translate(x, "a2b")
    still = explore.translate_diverse(m, x, "a2b", 3, seed=0, scale=0.0)
    assert still.shape == (3, *at_mu.shape[1:]) and torch.allclose(still, at_mu.expand_as(still), atol=1e-6)
    ys = explore.translate_diverse(m, x, "a2b", 3, seed=4, scale=1.0)
    assert torch.equal(ys, explore.translate_diverse(m, x, "a2b", 3, seed=4, scale=1.0))
    assert torch.allclose(ys[1], m.translate(x, "a2b", code=m.draw_code(3, 4)[1]), atol=1e-6)

    def spread(y: torch.Tensor) -> float:
        return float((y[:, None] - y[None]).abs().mean())

    assert 0 < spread(explore.translate_diverse(m, x, "a2b", 3, seed=4, scale=0.3)) < spread(ys)


@pytest.mark.parametrize("preset", PRESETS)
def test_save_load_gives_identical_outputs(preset, registered, tmp_path):
    m = tiny(preset, **({"ema": 0.5} if preset == "faces" else {})).train()
    m.train_step(batch(m), 0)
    m.eval()
    loaded = hub.load_model(hub.save_checkpoint(tmp_path / preset, m, card=m.model_card()))
    assert type(loaded) is UNIT and loaded.cfg == m.cfg
    x = batch(m, seed=3)
    for d, s in (("a2b", "A"), ("b2a", "B")):
        assert torch.equal(m.translate(x[s], d, seed=4), loaded.translate(x[s], d, seed=4))
    if m.cfg.classifier:
        assert torch.equal(m.classify(x["B"], "A"), loaded.classify(x["B"], "A"))
    assert loaded.E1[-1] is loaded.E2[-1]  # the ties survive loading
    if m.cfg.ema:
        assert loaded.ema_nets["E1"][-1] is loaded.ema_nets["E2"][-1]


def test_determinism_under_a_seed():
    outs = []
    for _ in range(2):
        m = tiny().train()
        for step in range(2):
            torch.manual_seed(100 + step)
            m.train_step(batch(m, seed=step), step)
        outs.append(m.eval().translate(batch(m, seed=9)["A"], "a2b", seed=3))
    assert torch.equal(outs[0], outs[1])


# ------------------------------------------------------------------------------ metrics and data
@pytest.mark.parametrize("preset", PRESETS)
def test_metrics_on_synthetic_data(preset):
    m = tiny(preset, dataset="celeba_Male" if preset == "faces" else "usps20_mnist").eval()
    data = batch(m, 8)
    data |= {f"label_{s}": torch.randint(0, 10, (8,)) for s in "AB"} if preset == "digits" else {}
    out = m.compute_metrics(data, {}, limit=6)
    assert all(math.isfinite(v) for v in out.values())
    assert {"cycle_l1_a", "z_diversity_a2b", "z_diversity_b2a"} <= set(out) and out["z_diversity_a2b"] > 0
    if preset == "digits":
        assert {"acc_source_test", "acc_target_test", "cycle_l1_b"} <= set(out)
    else:
        assert {"diversity_a2b", "cycle_l1_b", "drift_l1_a_1"} <= set(out)
    assert m.judge_names() == ({"digits": "judge-mnist"} if preset == "digits"
                               else {"attributes": "judge-celeba-robust", "plain": "judge-celeba-attrs"})
    assert "UNIT" in m.model_card()


def test_target_labels_never_reach_training(data_root):
    cfg = UNIT.tiny_config()  # source B (MNIST), target A (USPS)
    train = UNIT.load_data(cfg, data_root, "train")
    assert set(train.tensors) == {"A", "B", "label_B"}
    assert UNIT.load_data(cfg.replace(source="A"), data_root, "train").tensors.keys() == {"A", "B", "label_A"}
    assert {"label_A", "label_B"} <= set(UNIT.load_data(cfg, data_root, "test").tensors)
    b = train.sample(4, torch.Generator().manual_seed(0))
    assert b["B"].shape == (4, 1, 16, 16) and b["label_B"].shape == (4,)


def test_reship_to_float16_keeps_the_record_and_the_outputs(registered, tmp_path):
    """``scripts/reship.py`` (how committed checkpoints were moved to float16): the weights are stored as
    float16, config/metrics/training survive (plus a ``reshipped`` note), outputs move only by rounding, and
    re-shipping to the same dtype is refused."""
    import importlib.util

    from safetensors import safe_open

    spec = importlib.util.spec_from_file_location("reship", Path(__file__).resolve().parents[1] / "scripts" / "reship.py")
    reship = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reship)
    m = tiny().eval()
    folder = hub.save_checkpoint(tmp_path / "u", m, metrics={"acc_target_test": 0.5}, training={"steps": 7},
                                 card=m.model_card())
    reship.reship(str(folder), "float16")
    meta = hub.read_meta(folder)
    assert meta["config"]["ship_dtype"] == "float16" and meta["metrics"] == {"acc_target_test": 0.5}
    assert meta["training"]["steps"] == 7 and meta["training"]["reshipped"] == {"from": "float32", "to": "float16"}
    with safe_open(str(folder / hub.WEIGHTS_NAME), "pt") as f:
        dtypes = {f.get_tensor(k).dtype for k in f.keys()}
    assert torch.float16 in dtypes and torch.float32 not in dtypes
    x = batch(m, seed=3)["A"]
    y, y16 = m.translate(x, "a2b"), hub.load_model(folder).translate(x, "a2b")
    assert not torch.equal(y, y16) and torch.allclose(y, y16, atol=2e-2)
    with pytest.raises(SystemExit, match="already ships as float16"):
        reship.reship(str(folder), "float16")


# ------------------------------------------------------------------------------ L_ATTR (flag beyond the paper)
def tiny_reader(tmp_path: Path) -> Path:
    """A tiny 40-attribute CelebA reader saved as a checkpoint folder (stands in for encoder-celeba-id)."""
    return hub.save_checkpoint(tmp_path / "reader", tiny_identity_encoder().eval())


def test_attribute_consistency_term_trains_g_through_a_frozen_reader(tmp_path, registered):
    folder = tiny_reader(tmp_path)
    m = tiny("faces", w_attr=2.0, attr_reader=str(folder), balance=("Smiling", "Young"))
    m.load_pretrained()
    m.configure_optimizers()
    m.train()
    assert not m.attr_reader.training  # frozen, batch norm included
    from xdomain.methods.classifier import Classifier
    assert m.attr_index == [5 + 31, 5 + 39]  # the reader's Smiling and Young columns, after its 5 classes
    r0 = {k: v.clone() for k, v in m.attr_reader.state_dict().items()}
    b = batch(m)
    torch.manual_seed(1)  # the same η draws for both models below
    logs = m.d_step(b, 0) | m.g_step(b, 0)
    assert "attr" in logs and math.isfinite(logs["attr"]) and logs["attr"] > 0
    assert all(torch.equal(v, m.attr_reader.state_dict()[k]) for k, v in r0.items())  # never updated
    assert not any(k.startswith("attr_reader") for k in m.inference_state_dict())  # never shipped
    assert "L_ATTR" in m.model_card()
    plain = tiny("faces", balance=("Smiling", "Young"))  # snapshot scoring / export build the model without the reader
    plain.load_state_dict(m.state_dict())
    assert torch.equal(plain.translate(b["A"], "a2b"), m.translate(b["A"], "a2b"))
    with pytest.raises(RuntimeError):
        plain.load_state_dict(m.state_dict() | {"stray.weight": torch.zeros(1)})  # other strays still fail
    # the term is in the G loss: the same init, batch and η with w_attr = 0 give a total smaller by w_attr · L_ATTR
    twin = tiny("faces", balance=("Smiling", "Young")).train()
    torch.manual_seed(1)
    tlogs = twin.d_step(b, 0) | twin.g_step(b, 0)
    assert "attr" not in tlogs and torch.equal(twin.D1.body[0][0].weight, m.D1.body[0][0].weight)  # same D step
    assert logs["g_total"] == pytest.approx(tlogs["g_total"] + 2.0 * logs["attr"], rel=1e-5)  # the optimised total
    assert isinstance(hub.load_model(folder), Classifier)


def test_attribute_reader_must_not_be_a_metrics_judge(tmp_path):
    m = tiny("faces", w_attr=1.0, attr_reader="judge-celeba-robust", balance=("Smiling",))
    with pytest.raises(ValueError, match="judge"):
        m.load_pretrained()
    m = tiny("faces", w_attr=1.0, attr_reader=str(tiny_reader(tmp_path)), attr_keep=("Smilng",))
    with pytest.raises(ValueError, match="Smilng"):
        m.load_pretrained()
    m = tiny("faces", w_attr=1.0)
    with pytest.raises(RuntimeError, match="load_pretrained"):
        m.attr_loss(*[torch.zeros(2, 3, 16, 16)] * 4)
