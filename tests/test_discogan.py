"""DiscoGAN on images (Kim et al., ICML 2017): variant wiring, architecture, float16 shipping, metrics.

The shared battery (tests/test_methods_common.py) already covers shapes, one finite step, save → load
identity and determinism for the tiny config; these tests cover what is specific to the method.
"""
from __future__ import annotations

import json
import math

import pytest
import torch
from safetensors import safe_open
from torch import nn

from xdomain import hub, registry
from xdomain.data import sources
from xdomain.methods.discogan import DiscoGAN, DiscoGANConfig, discriminator, generator
from xdomain.metrics import discogan as M
from xdomain.train import export_state, train

VARIANTS = {
    "gan": ({"G_AB", "D_B"}, {"gan_B", "L_G"}, {"d_B", "L_D"}),
    "gan_recon": ({"G_AB", "G_BA", "D_B"}, {"gan_B", "const_A", "L_G"}, {"d_B", "L_D"}),
    "discogan": ({"G_AB", "G_BA", "D_A", "D_B"}, {"gan_B", "const_A", "gan_A", "const_B", "L_G"}, {"d_A", "d_B", "L_D"}),
}


def tiny(variant: str = "discogan", **kw) -> DiscoGANConfig:
    return DiscoGAN.tiny_config().replace(variant=variant, **kw)


def batch(cfg: DiscoGANConfig, n: int = 4) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    shape = (n, cfg.channels, cfg.image_size, cfg.image_size)
    return {s: torch.rand(shape, generator=g) * 2 - 1 for s in "AB"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_wiring_matches_the_paper(variant):
    nets, g_terms, d_terms = VARIANTS[variant]
    torch.manual_seed(0)
    m = DiscoGAN(tiny(variant))
    m.configure_optimizers()
    assert set(m.nets) == nets
    assert set(m.inference_modules) == nets & {"G_AB", "G_BA"}, "only generators ship"
    before = {n: [p.clone() for p in net.parameters()] for n, net in m.nets.items()}
    b = batch(m.cfg)
    d_logs = m.d_step(b, 0)
    g_logs = m.g_step(b, 0)
    assert set(d_logs) == d_terms and set(g_logs) == g_terms
    assert all(math.isfinite(v) for v in {**d_logs, **g_logs}.values())
    for n, net in m.nets.items():  # every net of the variant learns from its losses
        assert any(not torch.equal(p, q) for p, q in zip(net.parameters(), before[n])), f"{n} did not change"
    assert m.directions == (("a2b", "b2a") if "G_BA" in nets else ("a2b",))


def test_gan_variant_refuses_b2a_clearly():
    m = DiscoGAN(tiny("gan")).eval()
    with pytest.raises(ValueError, match="has no 'b2a' direction"):
        m.translate(batch(m.cfg)["B"], "b2a")


def test_same_seed_gives_the_same_G_AB_and_D_B_in_every_variant():
    inits = {}
    for v in VARIANTS:
        torch.manual_seed(0)
        m = DiscoGAN(tiny(v))
        inits[v] = {k: t.clone() for k, t in m.state_dict().items() if k.startswith(("G_AB.", "D_B."))}
    ref = inits["gan"]
    for v in ("gan_recon", "discogan"):
        assert all(torch.equal(ref[k], inits[v][k]) for k in ref), v


def test_architecture_is_an_encoder_decoder_without_skips():
    g = generator(3, (32, 64, 128, 256))
    convs = [m for m in g.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert len(convs) == 8 and all(c.kernel_size == (4, 4) and c.stride == (2, 2) for c in convs)
    assert isinstance(g, nn.Sequential), "a plain chain of layers: no U-Net skip connections"
    blocks = list(g)
    has_bn = [any(isinstance(m, nn.BatchNorm2d) for m in b.modules()) for b in blocks]
    assert has_bn == [False] + [True] * 6 + [False], "BN on all conv/deconv layers but the first and last"
    assert isinstance(blocks[0][-1], nn.LeakyReLU) and isinstance(blocks[-1][-1], nn.Tanh)
    assert all(isinstance(b[-1], nn.ReLU) for b in blocks[4:7])
    x = torch.randn(2, 3, 64, 64)
    assert g(x).shape == (2, 3, 64, 64)
    d = discriminator(3, (32, 64, 128, 256), 64)
    assert d(x).shape == (2, 1), "one logit per image (the sigmoid is inside the BCE loss)"


def test_adam_has_the_papers_settings():
    m = DiscoGAN(DiscoGANConfig(g_widths=(4, 8), d_widths=(4, 8)))
    for opt in m.configure_optimizers().values():
        g = opt.param_groups[0]
        assert (g["lr"], g["betas"], g["weight_decay"]) == (2e-4, (0.5, 0.999), 1e-4)


def test_float16_shipping_halves_the_file_and_loads_back_into_float32(tmp_path):
    torch.manual_seed(0)
    m = DiscoGAN(tiny(ship_dtype="float16"))
    m.configure_optimizers()
    m.train_step(batch(m.cfg), 0)
    m.eval()
    folder = hub.save_checkpoint(tmp_path / "fp16", m)
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        dtypes = {f.get_tensor(k).dtype for k in f.keys()}
    assert torch.float16 in dtypes and torch.float32 not in dtypes
    loaded = hub.load_model(folder)
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    x = batch(m.cfg)["A"]
    assert torch.allclose(m.translate(x), loaded.translate(x), atol=2e-2)
    again = hub.save_checkpoint(tmp_path / "again", loaded)  # save → load → save is exact
    with safe_open(str(folder / "model.safetensors"), "pt") as f, safe_open(str(again / "model.safetensors"), "pt") as g:
        assert all(torch.equal(f.get_tensor(k), g.get_tensor(k)) for k in f.keys())


def test_round_trips_alternate_the_two_generators():
    torch.manual_seed(0)
    m = DiscoGAN(tiny()).eval()
    x = batch(m.cfg)["A"]
    trips = m.round_trips(x, "a2b", 2)
    assert len(trips) == 5
    assert torch.equal(trips[1], m.translate(x, "a2b")) and torch.equal(trips[2], m.translate(trips[1], "b2a"))


def test_ema_averages_the_generators_and_ships_the_average(tmp_path):
    torch.manual_seed(0)
    m = DiscoGAN(tiny(ema=0.5, ship_dtype="float32"))
    m.configure_optimizers()
    live0 = {k: v.clone() for k, v in m.G_AB.state_dict().items()}
    m.train_step(batch(m.cfg), 0)
    live1 = m.G_AB.state_dict()
    for k, v in m.ema_nets["G_AB"].named_parameters():  # one update with decay ½: the midpoint of before and after
        assert torch.allclose(v, 0.5 * live0[k] + 0.5 * live1[k], atol=1e-6)
    assert not any(p.requires_grad for p in m.ema_nets["G_AB"].parameters())
    assert all(p not in {q for g in m.optimizers["G"].param_groups for q in g["params"]} for p in m.ema_nets["G_BA"].parameters())
    m.eval()
    x = batch(m.cfg)["A"]
    assert torch.equal(m.translate(x), m.ema_nets["G_AB"](x)) and not torch.equal(m.translate(x), m.G_AB(x))
    sd = m.inference_state_dict()
    assert set(sd) == {f"{n}.{k}" for n in ("G_AB", "G_BA") for k in m.G_AB.state_dict()}  # same keys as without EMA
    loaded = hub.load_model(hub.save_checkpoint(tmp_path / "ema", m))
    assert torch.equal(loaded.translate(x), m.translate(x))


def test_ema_must_be_a_decay():
    with pytest.raises(ValueError, match="decay"):
        DiscoGAN(tiny(ema=1.0))


# ------------------------------------------------------------------------------------------- metrics
def test_diversity_ratio_is_one_for_identity_and_zero_for_collapse():
    x = torch.randn(20, 1, 8, 8)
    assert M.diversity_ratio(x, x) == pytest.approx(1.0)
    assert M.diversity_ratio(x, 3 * x) == pytest.approx(3.0)
    assert M.diversity_ratio(x, torch.zeros_like(x)) == 0.0


def test_l1_is_on_the_zero_one_scale():
    a = -torch.ones(2, 3, 4, 4)
    assert M.l1_01(a, -a) == pytest.approx(1.0) and M.l1_01(a, a) == 0.0


def test_domain_verdicts():
    """Logits → which domain the judge places each image in; Blond ↔ Black as a two-way decision above
    the calibrated thresholds (logit 0 without a calibration)."""
    from xdomain.methods.classifier import Classifier, ClassifierConfig

    judge = Classifier(ClassifierConfig(multilabel=True, n_classes=len(sources.CELEBA_ATTRS)))
    k = {a: sources.CELEBA_ATTRS.index(a) for a in ("Male", "Blond_Hair", "Black_Hair")}
    z = torch.full((5, len(sources.CELEBA_ATTRS)), -3.0)
    z[0, k["Male"]] = 2
    z[1, k["Blond_Hair"]] = 2
    z[2, k["Black_Hair"]] = 2
    z[3, k["Blond_Hair"]], z[3, k["Black_Hair"]] = 2, 1  # both: the higher one decides
    z[4, k["Black_Hair"]] = -1  # below logit 0, above a calibrated -1.5
    v = M.domain_verdicts("celeba_Male", z, judge)
    assert v["A"].tolist() == [True, False, False, False, False] and v["B"].tolist() == [False, True, True, True, True]
    v = M.domain_verdicts("celeba_blond_black", z, judge)
    assert v["A"].tolist() == [False, True, False, True, False] and v["B"].tolist() == [False, False, True, False, False]
    judge.calibration = {"Black_Hair": {"threshold": -1.5}, "Blond_Hair": {"threshold": 0.0}}
    assert M.domain_verdicts("celeba_blond_black", z, judge)["B"].tolist() == [False, False, True, False, True]
    fashion = Classifier(ClassifierConfig(n_classes=10))
    v = M.domain_verdicts("fashion_bags_shoes", torch.eye(10)[[8, 7, 9, 5, 0]], fashion)
    assert v["A"].tolist() == [True, False, False, False, False] and v["B"].tolist() == [False, True, True, True, False]
    assert M.pair_attributes("celeba_blond_black") == ("Blond_Hair", "Black_Hair")
    assert M.pair_attributes("celeba_Eyeglasses") == ("Eyeglasses",)


def test_evaluate_keys_follow_the_variant(data_root):
    for variant, has_b2a in (("gan", False), ("discogan", True)):
        torch.manual_seed(0)
        m = DiscoGAN(tiny(variant)).eval()
        try:
            out = m.evaluate(data_root, limit=16)
        except hub.CheckpointError as e:
            pytest.skip(str(e))
        assert ("diversity_b2a" in out) == has_b2a and ("cycle_l1_b" in out) == has_b2a
        assert ("drift_l1_a_4" in out) == has_b2a
        if "flipped_a2b" in out:  # the Fashion-MNIST judge has landed
            assert 0.0 <= out["flipped_a2b"] <= 1.0


# --------------------------------------------------------------------------------- loop helpers
def test_time_budget_stops_training_and_export_writes_a_checkpoint(tmp_path, data_root):
    cfg = tiny(steps=10_000, ckpt_every=10_000)
    out = train("discogan", cfg, tmp_path / "run", data_root=data_root, evaluate=False, progress=False,
                max_minutes=1e-4)
    meta = json.loads((out / "config.json").read_text())
    assert 1 <= meta["training"]["steps"] < 10_000 and meta["training"]["planned_steps"] == 10_000
    folder = export_state(out, tmp_path / "exported")
    a, b = hub.load_model(out), hub.load_model(folder)
    x = batch(cfg)["A"]
    assert torch.equal(a.translate(x), b.translate(x))


def test_export_of_a_folder_without_state_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_state"):
        export_state(tmp_path, tmp_path / "x")


# ------------------------------------------------------------------------ committed checkpoints
COMMITTED = [c.name for c in registry.CHECKPOINTS.values() if c.method == "discogan" and c.local_dir.is_dir()]
# the re-evaluation runs on the cheapest committed checkpoint: bags ↔ shoes at 32×32 takes 16 s here, a CelebA
# one 107 s (the suite's budget); the face checkpoints were scored by the same evaluate() code
SPOT_CHECK = sorted(COMMITTED, key=lambda n: "fashion" not in n)[:1]


@pytest.mark.slow
@pytest.mark.parametrize("name", SPOT_CHECK or ["none"])
def test_committed_metrics_are_computed_not_typed(name, data_root):
    if name == "none":
        pytest.skip("no DiscoGAN checkpoint committed")
    m = hub.load_model(name)
    stored = hub.read_meta(m.checkpoint_dir)["metrics"]
    keys = [k for k in ("flipped_a2b", "flipped_b2a", "kept_mean_a2b", "cycle_l1_a", "diversity_a2b") if k in stored]
    assert keys, "the checkpoint stores no metrics"
    again = m.evaluate(data_root, limit=m.cfg.eval_limit)
    for k in keys:
        assert again[k] == pytest.approx(stored[k], abs=2e-3), k


def test_w_const_weights_only_the_reconstruction_terms():
    logs = {}
    for w in (1.0, 10.0):
        torch.manual_seed(0)
        m = DiscoGAN(tiny(w_const=w))
        m.configure_optimizers()
        logs[w] = m.g_step(batch(m.cfg), 0)
    a, b = logs[1.0], logs[10.0]
    assert a["const_A"] == pytest.approx(b["const_A"]) and a["gan_B"] == pytest.approx(b["gan_B"])
    assert b["L_G"] - a["L_G"] == pytest.approx(9 * (a["const_A"] + a["const_B"]), rel=1e-4)
    assert DiscoGANConfig().w_const == 1.0 and DiscoGANConfig().recon == "l2", "the defaults are the paper's"


def test_balancing_weights_give_both_domains_the_same_attribute_mix():
    from xdomain.data.domains import balancing_weights

    g = torch.Generator().manual_seed(0)
    a = torch.rand(4000, 2, generator=g) < torch.tensor([0.8, 0.3])  # domain A: mostly "young", few "glasses"
    b = torch.rand(6000, 2, generator=g) < torch.tensor([0.4, 0.1])
    wa, wb = balancing_weights(a, b)
    assert wa.sum().item() == pytest.approx(1) and wb.sum().item() == pytest.approx(1)
    ma, mb = (wa[:, None] * a.float()).sum(0), (wb[:, None] * b.float()).sum(0)
    assert torch.allclose(ma, mb, atol=1e-4)  # the same marginals after weighting ...
    assert not torch.allclose(a.float().mean(0), b.float().mean(0), atol=0.05)  # ... which differed before
    # a combination present in only one domain gets no weight there
    only_a = torch.tensor([[True, True]] * 3 + [[False, False]] * 7)
    wa, _ = balancing_weights(only_a, torch.tensor([[False, False]] * 5))
    assert wa[:3].sum().item() == 0


def test_balance_reweights_only_the_training_draws(data_root):
    from xdomain.methods.base import Domains

    d = Domains({"A": torch.arange(4.0)}, groups={"A": ["A"]}, weights={"A": torch.tensor([0.0, 0.0, 1.0, 0.0])})
    assert d.sample(16, torch.Generator().manual_seed(0))["A"].eq(2).all()
    with pytest.raises(ValueError, match="CelebA"):
        DiscoGAN.load_data(tiny(balance=("Young",)), data_root, "train")


def test_sweep_table_prints_every_stored_row(capsys):
    """``python -m experiments.discogan_sweep --table`` renders docs/discogan_sweep.json (docs/discogan.md's sweep)."""
    import experiments.discogan_sweep as sweep

    rows = json.loads(sweep.OUT.read_text())
    assert rows and all(0 <= r["kept_mean_a2b"] <= 1 and 0 <= r["flipped_b2a"] <= 1 for r in rows)
    sweep.main(["--table"])
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("| ") and "× L1" in ln]
    assert len(lines) == sum(r["split"] == "test" for r in rows)


def test_sweep_live_candidate_translates_with_the_trained_generators(tmp_path):
    """``--live`` evaluates a weight-averaged run's trained generators, not their average."""
    from xdomain.train import save_train_state

    torch.manual_seed(0)
    m = DiscoGAN(tiny(ema=0.5, ship_dtype="float32"))
    m.configure_optimizers()
    m.train_step(batch(m.cfg), 0)
    save_train_state(tmp_path, m, 1, 60.0)
    import experiments.discogan_sweep as sweep

    avg, step, elapsed = sweep.load_candidate(tmp_path)
    live, _, _ = sweep.load_candidate(tmp_path, live=True)
    assert (step, elapsed, avg.cfg.ema, live.cfg.ema) == (1, 60.0, 0.5, 0.0)
    m.eval()
    x = batch(m.cfg)["A"]
    assert torch.equal(avg.translate(x), m.translate(x)) and torch.equal(live.translate(x), m.G_AB(x))
    assert not torch.equal(live.translate(x), avg.translate(x))


def test_evaluate_on_validation_identities_reads_other_faces(data_root):
    torch.manual_seed(0)
    m = DiscoGAN(DiscoGAN.Config(dataset="celeba_Male", g_widths=(4, 8, 8, 8), d_widths=(4, 8, 8, 8))).eval()
    test, val = (m.evaluate(data_root, limit=8, split=s) for s in ("test", "val"))
    assert set(test) == set(val) and test["cycle_l1_a"] != val["cycle_l1_a"]
