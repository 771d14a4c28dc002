"""The experiment scripts of issues 14–15 on hand-made rows and tiny models (no training, no test figures):
candidates in step order, one row per run, the CoGAN sharing table and plot, the UNIT probe and sharing tables, and
the shared-code gap that tells a shared latent space from two separate ones."""
from __future__ import annotations

import json

import pytest
import torch

from experiments import cogan_digits, snapshots, unit_digits
from xdomain.methods.unit import UNIT
from xdomain.nn.blocks import init_weights


def test_candidates_are_the_snapshots_by_step_then_the_run(tmp_path):
    for name in ("r", "r-1000", "r-500", "r-x", "rr-500"):
        (tmp_path / name).mkdir()
    assert [p.name for p in snapshots.candidates(tmp_path / "r")] == ["r-500", "r-1000", "r"]
    (tmp_path / "r" / "train_state.json").write_text(json.dumps({"step": 1000}))  # r-1000 copies the last state
    assert [p.name for p in snapshots.candidates(tmp_path / "r")] == ["r-500", "r"]


def test_save_row_replaces_the_run_and_keeps_the_others(tmp_path):
    out = tmp_path / "rows.json"
    snapshots.save_row(out, {"run": "b", "x": 1})
    snapshots.save_row(out, {"run": "a", "x": 2})
    snapshots.save_row(out, {"run": "b", "x": 3})
    assert json.loads(out.read_text()) == [{"run": "a", "x": 2}, {"run": "b", "x": 3}]
    assert snapshots.mean_std([0.5]) == "0.500" and snapshots.mean_std([0.4, 0.6]) == "0.500 ± 0.141"


def test_store_rows_replaces_by_key_and_sorts_by_order(tmp_path):
    out = tmp_path / "rows.json"
    key, order = (lambda r: (r["run"], r["split"])), (lambda r: (r["split"], r["step"]))
    snapshots.store_rows(out, [{"run": "a", "split": "val", "step": 2}, {"run": "a", "split": "test", "step": 9}], key, order)
    rows = snapshots.store_rows(out, [{"run": "b", "split": "val", "step": 1}, {"run": "a", "split": "val", "step": 3}],
                                key, order)  # re-scores a/val, keeps a/test
    assert rows == json.loads(out.read_text()) == [{"run": "a", "split": "test", "step": 9},
                                                   {"run": "b", "split": "val", "step": 1},
                                                   {"run": "a", "split": "val", "step": 3}]


def sharing(g, d, agree):
    return {"run": f"cg-share-g{g}d{d}", "step": 1000, "n_shared_g": g, "n_shared_d": d, "pixel_agreement": agree,
            "pixel_agreement_floor": 0.828, "pixel_agreement_shuffled": 0.83}


def test_sharing_table_and_plot(tmp_path):
    rows = [sharing(4, 3, 0.987), sharing(0, 3, 0.83), sharing(4, 0, 0.98), sharing(2, 3, 0.95)]
    lines = cogan_digits.sharing_table(rows).splitlines()
    assert [ln.split("|")[1:3] for ln in lines[2:]] == [[" 0 ", " 3 "], [" 2 ", " 3 "], [" 4 ", " 3 "], [" 4 ", " 0 "]]
    assert "| 0.830 |" in lines[2]
    cogan_digits.sharing_plot(rows, tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 5000


def test_probe_table_names_what_changed_and_skips_translation_for_the_baseline():
    cfg = {k: getattr(unit_digits.UNITConfig(), k) for k in unit_digits.PROBE_KEYS}
    cand = {"step": 500, "val_target_acc": 0.5, "val_source_acc": 0.9, "label_kept_a2b": 0.1, "label_kept_b2a": 0.2,
            "cycle_l1_a": 0.3, "code_gap": 2.3, "code_spread": 0.45}
    rows = [{"run": "p", "direction": "MNIST → USPS", "source_only": False,
             "config": cfg | {"kl_reduce": "element", "gen_widths": list(cfg["gen_widths"])}, "candidates": [cand]},
            {"run": "s", "direction": "MNIST → USPS", "source_only": True, "config": cfg,
             "candidates": [{"step": 2000, "val_target_acc": 0.918, "val_source_acc": 0.99}]}]
    p, s = unit_digits.probe_table(rows).splitlines()[2:]
    assert "| kl_reduce=element |" in p and "| 2.30 / 0.45 |" in p and "gen_widths" not in p
    assert "source only" in s and s.endswith("| — | — | — |")


def test_unit_sharing_table_puts_the_eg_sweep_first_then_the_d_sweep():
    def row(e, g, d, acc):
        return {"run": f"u-e{e}g{g}d{d}", "step": 1500, "direction": "MNIST → USPS", "n_shared_enc": e,
                "n_shared_gen": g, "n_shared_dis": d, "acc_target_test": acc, "val_target_acc": acc - 0.01,
                "acc_source_test": 0.97, "label_kept_a2b": 0.9, "label_kept_b2a": 0.8, "code_gap": 0.4, "code_spread": 1.4}

    rows = [row(4, 3, 1, 0.90), row(1, 1, 3, 0.80), row(4, 3, 3, 0.93), row(2, 2, 3, 0.85)]
    lines = unit_digits.sharing_table(rows).splitlines()
    assert [ln.split("|")[2:4] for ln in lines[2:]] == [[" 1 / 1 ", " 3 "], [" 2 / 2 ", " 3 "], [" 4 / 3 ", " 3 "],
                                                        [" 4 / 3 ", " 1 "]]
    assert "| 1,500 | 0.800 | 0.790 | 0.970 | 0.900 / 0.800 | 0.40 / 1.40 |" in lines[2]


@pytest.mark.parametrize("twin", [False, True])
def test_code_gap_is_zero_only_when_both_encoders_agree(twin):
    cfg = UNIT.tiny_config("digits").replace(twin_init=twin)
    torch.manual_seed(0)
    m = init_weights(UNIT(cfg), 0.3)  # DCGAN's std 0.02 makes every code ~0: draw visibly different twins
    if twin:
        m._twin_init()
    m.eval()
    x = torch.rand(16, 1, cfg.image_size, cfg.image_size) * 2 - 1
    got = unit_digits.code_gap(m, {"A": x, "B": x})  # one set of images through both encoders
    assert got["code_spread"] > 0
    assert (got["code_gap"] < 1e-4 * got["code_spread"]) == twin


def adapt_row(run, direction, source_only, seed, last, chosen, pairs=True):
    test = lambda acc: {"acc_target_test": acc, "acc_source_test": 0.95} | (  # noqa: E731
        {"pair_same_digit": 0.7, "pair_same_digit_shuffled": 0.1, "invert_digit_kept": 0.8} if pairs else {})
    return {"run": run, "direction": direction, "source_only": source_only, "seed": seed, "minutes": 12.0,
            "candidates": [{"step": 1000, "val_target_acc": 0.9}, {"step": 2000, "val_target_acc": 0.8}],
            "chosen_step": 1000, "last_step": 2000, "test_chosen": test(chosen), "test_last": test(last)}


def test_adaptation_tables_group_by_direction_and_baseline():
    m2u = "MNIST → USPS"
    rows = [adapt_row("a0", m2u, False, 0, 0.90, 0.91), adapt_row("a1", m2u, False, 1, 0.92, 0.93),
            adapt_row("s0", m2u, True, 0, 0.86, 0.87, pairs=False), {"run": "pilot", "candidates": []}]
    cogan, base = cogan_digits.adapt_table(rows).splitlines()[2:]
    assert cogan.startswith("| MNIST → USPS | CoGAN | 2 | 0.910 ± 0.014 | 0.920 ± 0.014 |")
    assert "(picked on test)" in cogan
    assert base.startswith("| MNIST → USPS | source only | 1 | 0.860 | 0.870 |") and base.endswith("| — |")
    assert "UNIT" in unit_digits.table(rows) and "best test point" in unit_digits.table(rows)
    runs = cogan_digits.adapt_runs_table(rows[:3]).splitlines()[2:]
    assert "| 1000 (0.900) | 0.900 | 0.910 | 0.950 | 0.700 (0.100) | 0.80 |" in runs[0]
    assert runs[2].endswith("| — | — |")


def test_adaptation_table_keeps_labelled_groups_of_one_budget_apart():
    u2m = "USPS → MNIST"
    capped = [adapt_row(f"c{s}", u2m, False, s, 0.87, 0.87) | {"steps": 4500} for s in range(2)]
    resumed = [adapt_row(f"r{s}", u2m, False, s, 0.89, 0.89) | {"steps": 4500, "group": "resumed"} for s in range(2)]
    first, second = cogan_digits.adapt_table(capped + resumed).splitlines()[2:]
    assert first.startswith("| USPS → MNIST | CoGAN, 4,500-step budget | 2 | 0.870 ± 0.000 |")
    assert second.startswith("| USPS → MNIST | CoGAN, 4,500-step budget, resumed | 2 | 0.890 ± 0.000 |")


def test_readme_unit_adaptation_row_waits_for_three_seeds_per_direction(tmp_path, monkeypatch, capsys):
    from experiments import readme_tables

    out = tmp_path / "unit_digits.json"
    monkeypatch.setattr(unit_digits, "OUT", out)
    monkeypatch.setattr(unit_digits, "HEADLINE", {})  # unlabelled runs are every direction's headline

    def row(d, seed, acc, base=False):
        return {"run": f"{d[:1]}-{seed}-{base}", "direction": d, "source_only": base, "seed": seed,
                "test_last": {"acc_target_test": acc, "acc_source_test": 0.99}}

    readme_tables.unit_adaptation_row()  # no rows yet
    assert "three-seed runs in progress" in capsys.readouterr().out
    rows = [row("MNIST → USPS", s, a) for s, a in enumerate((0.94, 0.95, 0.96))] + [row("USPS → MNIST", 0, 0.8),
                                                                                  row("USPS → MNIST", 0, 0.7, base=True)]
    out.write_text(json.dumps(rows))
    readme_tables.unit_adaptation_row()  # USPS → MNIST has one seed: still in progress
    assert "three-seed runs in progress" in capsys.readouterr().out
    rows += [row("USPS → MNIST", s, a) for s, a in ((1, 0.82), (2, 0.84))]
    out.write_text(json.dumps(rows))
    readme_tables.unit_adaptation_row()
    line = capsys.readouterr().out
    assert "| 0.950 ± 0.010 / 0.820 ± 0.020 | 0.9597 / 0.9358 (best test point during training) |" in line, line
    # the headline is the direction's declared set: other labelled runs are neither averaged in nor enough alone
    monkeypatch.setattr(unit_digits, "HEADLINE", {"USPS → MNIST": "second"})
    readme_tables.unit_adaptation_row()
    assert "three-seed runs in progress" in capsys.readouterr().out
    rows += [{**row("USPS → MNIST", s, a), "run": f"second-{s}", "group": "second"} for s, a in ((0, 0.9), (1, 0.92), (2, 0.94))]
    out.write_text(json.dumps(rows))
    readme_tables.unit_adaptation_row()
    assert "| 0.950 ± 0.010 / 0.920 ± 0.020 |" in capsys.readouterr().out


def test_fidelity_rows_sort_a_runs_snapshots_by_step_with_its_last_state_after_them():
    from experiments.unit_faces import fidelity_order, run_family
    rows = [{"dataset": "celeba_Male", "run": n, "step": s} for n, s in
            [("unit-faces-male-paper", 9488), ("unit-faces-male-paper-8000", 8000),
             ("unit-faces-male-paper-s1-2000", 2000), ("unit-faces-male-paper-2000", 2000),
             ("unit-celeba-male", 6000)]]
    assert run_family(rows[1]) == "unit-faces-male-paper" and run_family(rows[4]) == "unit-celeba-male"
    ordered = [r["run"] for r in sorted(rows, key=fidelity_order)]
    assert ordered == ["unit-celeba-male", "unit-faces-male-paper-2000", "unit-faces-male-paper-8000",
                       "unit-faces-male-paper", "unit-faces-male-paper-s1-2000"]
