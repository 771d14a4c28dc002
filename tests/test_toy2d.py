"""Toy mode-collapse lab (DiscoGAN §3.1): metrics on hand-made point sets with known answers, the
variant wiring, one finite step per variant, lab == generic loop, committed artifacts computed
(not typed), the tab's handlers as plain functions, the CLI, and the notebook."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from xdomain import hub, registry, toylab
from xdomain.methods.toy2d import Toy2D, Toy2DConfig, eval_set, mode_centers
from xdomain.metrics import toy2d as M
from xdomain.variants import VARIANTS, discriminator_loss, generator_loss, get_variant

VARIANT_NAMES = tuple(VARIANTS)
CENTERS = np.array([[float(k), 0.0] for k in range(10)])  # 10 modes on a line, 1 apart
SIGMA = 0.1  # 3σ = 0.3


def tiny(**kw) -> Toy2DConfig:
    return Toy2D.tiny_config().replace(**kw)


# ----------------------------------------------------------------------------- metrics
def test_assign_modes_uses_nearest_centre_within_three_sigma():
    pts = np.array([[0.0, 0.0], [3.29, 0.0], [3.31, 0.0], [5.0, 0.29], [5.0, 0.31], [-0.5, 0.0]])
    assert M.assign_modes(pts, CENTERS, SIGMA).tolist() == [0, 3, -1, 5, -1, -1]


def test_modes_covered_counts_modes_above_the_fraction():
    pts = np.concatenate([np.repeat(CENTERS[:5], 20, axis=0), CENTERS[9:10], [[20.0, 20.0]] * 4])  # 105 points
    assert M.modes_covered(pts, CENTERS, SIGMA, min_frac=0.02) == 5  # mode 9 has 1 < 2.1 points
    assert M.modes_covered(pts, CENTERS, SIGMA, min_frac=0.005) == 6
    assert M.modes_covered(CENTERS, CENTERS, SIGMA, min_frac=0.1) == 10
    assert M.modes_covered(np.zeros((0, 2)), CENTERS, SIGMA) == 0


def test_high_quality_fraction():
    pts = np.array([[0.0, 0.1], [2.0, -0.2], [7.0, 0.29], [4.5, 0.0]])  # the last is between modes
    assert M.high_quality_fraction(pts, CENTERS, SIGMA) == pytest.approx(0.75)


def test_collisions_count_pairs_of_a_modes_sharing_a_majority_b_mode():
    rng = np.random.default_rng(0)
    blob = lambda k, n: CENTERS[k] + rng.normal(0, 0.02, (n, 2))  # noqa: E731
    # A0 → B3, A1 → B3, A2 → B5, A3 split 50/50 over B3/B4 (no majority), A4 → B3 (60 %) + off-mode (40 %)
    pts = np.concatenate([blob(3, 10), blob(3, 10), blob(5, 10), blob(3, 5), blob(4, 5), blob(3, 6), [[50.0, 50.0]] * 4])
    labels = np.repeat([0, 1, 2, 3, 4], 10)
    hist = M.mode_histogram(pts, labels, 5, CENTERS, SIGMA)
    assert hist[3, 3] == pytest.approx(0.5) and hist[4, 3] == pytest.approx(0.6)
    assert M.collision_pairs(hist) == [(0, 1, 3), (0, 4, 3), (1, 4, 3)]
    assert M.mode_collisions(pts, labels, 5, CENTERS, SIGMA) == 3
    assert M.mode_collisions(pts, labels, 5, CENTERS, SIGMA, majority=0.7) == 1  # A4's 60 % no longer counts
    # a one-to-one mapping has none
    assert M.mode_collisions(np.repeat(CENTERS[:5], 4, axis=0), np.repeat(np.arange(5), 4), 5, CENTERS, SIGMA) == 0


def test_reconstruction_error_and_bundle():
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    assert M.reconstruction_error(x, np.zeros_like(x)) == pytest.approx(2.5)
    out = M.toy_metrics(CENTERS[:5], np.arange(5), 5, CENTERS, SIGMA)
    assert out == {"modes_covered": 5.0, "collisions": 0.0, "high_quality": 1.0}
    out = M.toy_metrics(CENTERS[:5], np.arange(5), 5, CENTERS, SIGMA, x_a=x[:1].repeat(5, 0), x_aba=x[:1].repeat(5, 0))
    assert out["recon_error_A"] == 0.0


def test_metrics_are_registered():
    for name in ("toy2d_modes_covered", "toy2d_high_quality", "toy2d_collisions", "toy2d_recon_error"):
        assert name in registry.METRICS


# ----------------------------------------------------------------------------- variant wiring
EXPECTED = {
    "gan": ({"G_AB", "D_B"}, {"gan_B"}, {"d_B"}),
    "gan_recon": ({"G_AB", "G_BA", "D_B"}, {"gan_B", "const_A"}, {"d_B"}),
    "discogan": ({"G_AB", "G_BA", "D_A", "D_B"}, {"gan_B", "const_A", "gan_A", "const_B"}, {"d_A", "d_B"}),
}


@pytest.mark.parametrize("variant", VARIANT_NAMES)
def test_variant_wiring_matches_the_paper(variant):
    nets, g_terms, d_terms = EXPECTED[variant]
    spec = get_variant(variant)
    assert set(spec.nets) == nets and set(spec.g_terms) == g_terms and set(spec.d_terms) == d_terms
    # network-agnostic: plain callables, only the variant's nets present; L_G is the sum of its terms
    calls: list[str] = []

    def net(name, f):
        return lambda x: (calls.append(name), f(x))[1]

    fns = {"G_AB": net("G_AB", lambda x: x + 1.0), "G_BA": net("G_BA", lambda x: x - 0.5),
           "D_A": net("D_A", lambda x: x.sum(1, keepdim=True)), "D_B": net("D_B", lambda x: -x.sum(1, keepdim=True))}
    fns = {k: v for k, v in fns.items() if k in nets}
    x_a, x_b = torch.zeros(4, 2), torch.ones(4, 2)
    mse = lambda a, b: ((a - b) ** 2).mean()  # noqa: E731
    loss, logs, t = generator_loss(spec, fns, x_a, x_b, mse)
    assert set(logs) == g_terms | {"L_G"}
    assert loss.item() == pytest.approx(sum(logs[k] for k in g_terms))
    assert set(calls) == nets
    if "const_A" in g_terms:  # x_ABA = x_A + 1 − 0.5 → d = 0.25
        assert logs["const_A"] == pytest.approx(0.25) and torch.equal(t["ABA"], x_a + 0.5)
    if "const_B" in g_terms:
        assert logs["const_B"] == pytest.approx(0.25)
    d_loss, d_logs = discriminator_loss(spec, fns, x_a, x_b)
    assert set(d_logs) == d_terms | {"L_D"} and d_loss.item() == pytest.approx(sum(d_logs[k] for k in d_terms))
    weighted, wlogs, _ = generator_loss(spec, fns, x_a, x_b, mse, weights={"gan_B": 0.0})
    assert weighted.item() == pytest.approx(loss.item() - logs["gan_B"])


def test_unknown_variant_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown variant 'cyclegan'"):
        Toy2D(tiny(variant="cyclegan"))


# ----------------------------------------------------------------------------- the method
def test_data_layout_and_seeding():
    cfg = Toy2DConfig()
    a, b = mode_centers(cfg, "A"), mode_centers(cfg, "B")
    assert a.shape == (5, 2) and b.shape == (10, 2)
    radii = (b - torch.tensor(cfg.b_arc_center)).norm(dim=1)
    assert torch.allclose(radii, torch.full((10,), cfg.b_arc_radius))  # B modes on the arc
    assert (a > 0).all() and (b > 0).all()  # both domains in the positive quadrant (g_last_relu=True works)
    gaps = (b[1:] - b[:-1]).norm(dim=1)
    assert gaps.min() > 6 * cfg.sigma_b  # 3σ balls do not overlap, so mode assignment is unambiguous
    d1, d2 = Toy2D.load_data(cfg, None, "train"), Toy2D.load_data(cfg, None, "train")
    assert torch.equal(d1.tensors["A"], d2.tensors["A"])
    assert not torch.equal(d1.tensors["A"], Toy2D.load_data(cfg.replace(seed=1), None, "train").tensors["A"])
    explicit = cfg.replace(centers_a=((0.0, 0.0), (1.0, 1.0)), n_modes_a=2)
    assert mode_centers(explicit, "A").tolist() == [[0.0, 0.0], [1.0, 1.0]]


@pytest.mark.parametrize("variant", VARIANT_NAMES)
def test_one_finite_step_per_variant_updates_the_right_nets(variant):
    cfg = tiny(variant=variant)
    torch.manual_seed(0)
    model = Toy2D(cfg)
    model.configure_optimizers()
    assert set(model.inference_modules) == EXPECTED[variant][0]
    batch = Toy2D.load_data(cfg, None, "train").sample(cfg.batch_size, torch.Generator().manual_seed(0))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    d_logs = model.d_step(batch, 0)
    after_d = {k: v.clone() for k, v in model.state_dict().items()}
    g_logs = model.g_step(batch, 0)
    after_g = model.state_dict()
    assert all(math.isfinite(v) for v in {**d_logs, **g_logs}.values())
    assert set(d_logs) == EXPECTED[variant][2] | {"L_D"} and set(g_logs) == EXPECTED[variant][1] | {"L_G"}
    d_keys = [k for k in before if k.startswith("D_")]
    g_keys = [k for k in before if k.startswith("G_")]
    assert all(torch.equal(before[k], after_d[k]) for k in g_keys)  # the D-step leaves G alone ...
    assert any(not torch.equal(before[k], after_d[k]) for k in d_keys)  # ... and moves D
    assert all(torch.equal(after_d[k], after_g[k]) for k in d_keys)  # the G-step leaves D alone ...
    assert any(not torch.equal(after_d[k], after_g[k]) for k in g_keys)  # ... and moves G
    if "G_BA" in model.spec.nets:  # L_CONST_A reaches G_BA
        assert any(not torch.equal(after_d[k], after_g[k]) for k in g_keys if k.startswith("G_BA"))
    assert all(p.requires_grad for p in model.parameters())  # g_step restored D's requires_grad
    ev = model.evaluate(limit=64)
    assert 0 <= ev["modes_covered"] <= 10 and 0 <= ev["high_quality"] <= 1 and ev["collisions"] >= 0
    assert ("recon_error_A" in ev) == (variant != "gan")


def test_literal_relu_generator_stays_in_the_quadrant():
    model = Toy2D(tiny(g_last_relu=True))
    out = model.translate(torch.randn(64, 2) * 3)
    assert (out >= 0).all() and isinstance(model.G_AB[-1], torch.nn.ReLU)
    default = Toy2D(tiny())  # the last ReLU dropped: three linear layers, ReLU after the first two
    assert isinstance(default.G_AB[-1], torch.nn.Linear)
    assert sum(isinstance(m, torch.nn.Linear) for m in default.G_AB) == 3
    assert sum(isinstance(m, torch.nn.Linear) for m in default.D_B) == 5


def test_lab_equals_the_generic_training_loop(tmp_path):
    """A variant trained inside the lab has exactly the weights ``xdomain.train.train`` gives it."""
    from xdomain.train import train

    cfg = tiny(steps=6)
    run, models = toylab.run_lab(cfg, VARIANT_NAMES, frame_every=2, n_plot=16, n_grid=8)
    assert run.iters == [0, 2, 4, 6] and len(run.points) == len(run.fields) == 4
    for v in ("gan", "discogan"):
        folder = train("toy2d", cfg.replace(variant=v), tmp_path / v, progress=False)
        loaded = hub.load_model(folder)
        for k, w in loaded.inference_state_dict().items():
            assert torch.equal(w, models[v].inference_state_dict()[k]), f"{v}: {k} differs"
        meta = hub.read_meta(folder)
        assert meta["metrics"] == pytest.approx(run.final()[v] if v != "gan" else
                                                {k: x for k, x in run.final()[v].items() if k != "recon_error_A"})


def test_labrun_roundtrip_and_summary(tmp_path):
    cfg = tiny(steps=2)
    run, _ = toylab.run_lab(cfg, VARIANT_NAMES, frame_every=1, n_plot=16, n_grid=8)
    back = toylab.LabRun.load(run.save(tmp_path / "seed0.npz"))
    assert back.iters == run.iters and back.variants == run.variants and back.n_frames == 3
    assert np.array_equal(back.fields[-1], run.fields[-1]) and back.fields[-1].dtype == np.uint8
    np.testing.assert_allclose(back.points[-1], run.points[-1], atol=1e-2)
    assert np.isnan(back.metric("recon_error_A")[0]).all()  # the plain GAN has no G_BA
    other = toylab.LabRun.load(tmp_path / "seed0.npz")
    other.metrics["modes_covered"][-1] = [2.0, 4.0, 6.0]
    back.metrics["modes_covered"][-1] = [4.0, 4.0, 10.0]
    s = toylab.summarize([back, other])
    assert s["gan"]["modes_covered"] == {"mean": 3.0, "std": 1.0, "values": [4.0, 2.0]}
    assert s["discogan"]["modes_covered"]["mean"] == 8.0 and "recon_error_A" not in s["gan"]


def test_figures_render(tmp_path):
    from xdomain import plots

    run, _ = toylab.run_lab(tiny(steps=2), VARIANT_NAMES, frame_every=1, n_plot=16, n_grid=8)
    fig = plots.ToyFigure(run)
    a, b = fig.render(frame=0), fig.render(frame=-1)
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape == b.shape and not np.array_equal(a, b)
    assert plots.figure_to_array(plots.seed_curves([run, run])).ndim == 3
    from PIL import Image

    gif = plots.save_gif([a, b, a], tmp_path / "x.gif")
    assert Image.open(gif).n_frames == 3


# ----------------------------------------------------------------------------- committed artifacts
def test_committed_runs_and_checkpoints_are_computed_not_typed():
    runs = toylab.load_runs()
    if not runs:
        pytest.skip("checkpoints/toy2d-runs not generated yet (python -m experiments.make_toy2d_runs)")
    assert [r.cfg.seed for r in runs] == [0, 1, 2, 3, 4]
    preset = Toy2DConfig()
    for r in runs:
        assert r.cfg.replace(seed=0) == preset.replace(variant=r.cfg.variant), "runs must use the current paper preset"
        assert r.iters[-1] == preset.steps
    summary = json.loads((toylab.RUNS_DIR / "summary.json").read_text())
    assert summary["final"] == json.loads(json.dumps(toylab.summarize(runs)))
    size = sum(p.stat().st_size for p in toylab.RUNS_DIR.iterdir())
    assert size < 3_000_000
    for v in VARIANT_NAMES:  # seed-0 checkpoints: evaluate() reproduces the stored and the run's figures
        model = hub.load_model(f"toy2d-{v}")
        ev = model.evaluate()
        assert ev == pytest.approx(model.checkpoint_meta["metrics"])
        final = {k: x for k, x in runs[0].final()[v].items() if not math.isnan(x)}
        assert ev == pytest.approx(final)


# ----------------------------------------------------------------------------- the tab's handlers
@pytest.fixture(scope="module")
def tab():
    import ui.tabs.toy2d as tab

    return tab


def test_tab_train_streams_then_finishes(tab, tmp_path):
    import inspect

    assert inspect.isgeneratorfunction(tab.train_lab)  # @friendly keeps it a generator, so Gradio streams it
    outs = list(tab.train_lab(3, 40, 2e-3, 16, 3, 6))
    assert len(outs) >= 1
    img, table, status, slider, gif, run = outs[-1]
    assert img.dtype == np.uint8 and img.ndim == 3
    assert [row[0] for row in table] == ["standard GAN", "GAN + reconstruction", "DiscoGAN"]
    assert table[0][1].endswith("/ 6") and table[0][4] == "—"
    assert "Done" in status and "40 / 40" in status
    assert run.iters[-1] == 40 and run.cfg.n_modes_a == 3 and slider.maximum == run.n_frames - 1
    from PIL import Image

    assert Image.open(gif).n_frames >= 1
    img2, table2 = tab.scrub(run, 0)
    assert img2.shape == img.shape and table2[0][1] == "0 / 6"  # initial state: nothing translated onto B yet
    assert tab.make_gif(run).endswith(".gif")


def test_tab_rejects_bad_input_with_a_message(tab):
    import gradio as gr

    with pytest.raises(gr.Error, match="learning rate must be between"):
        list(tab.train_lab(0, 100, 5.0, 64))
    with pytest.raises(gr.Error, match="iterations must be between"):
        list(tab.train_lab(0, 0, 1e-3, 64))
    with pytest.raises(gr.Error, match="No run to scrub"):
        tab.scrub(None, 0)
    assert tab.paper_preset()[1:4] == (Toy2DConfig().steps, Toy2DConfig().lr, Toy2DConfig().batch_size)


def test_tab_shows_precomputed_seeds(tab):
    if not tab.precomputed():
        pytest.skip("no precomputed runs")
    img, table, status, slider, run = tab.show_seed(2)
    assert run.cfg.seed == 2 and "Precomputed" in status and img.ndim == 3
    rows = tab.summary_table(list(tab.precomputed()))
    assert len(rows) == 3 and "±" in rows[2][1]


# ----------------------------------------------------------------------------- CLI and notebook
def test_cli_train_and_eval(run_cli, tmp_path):
    out = tmp_path / "toy"
    r = run_cli("train", "toy2d", "--set", "variant=discogan", "--set", "seed=0", "--set", "steps=20",
                "--set", "batch_size=16", "--set", "threads=1", "--out", out)
    assert r.returncode == 0, r.stderr[-2000:]
    r = run_cli("eval", out, "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    metrics = json.loads(r.stdout.strip().splitlines()[-1])
    assert set(metrics) == {"modes_covered", "collisions", "high_quality", "recon_error_A"}
    assert metrics == pytest.approx(hub.read_meta(out)["metrics"])


@pytest.mark.slow
def test_notebook_reproduces_figure4(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    from support import REPO

    nb = nbformat.read(REPO / "notebooks" / "toy2d_mode_collapse.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook shows no figure"


def test_eval_set_is_seeded():
    a1, l1 = eval_set(Toy2DConfig(), 100)
    a2, l2 = eval_set(Toy2DConfig(), 100)
    assert torch.equal(a1, a2) and torch.equal(l1, l2) and set(l1.tolist()) == set(range(5))
