"""UNIT digit adaptation runs (issue 14): score snapshots by the pre-written rule, evaluate, tabulate.

The rule (``docs/unit_selection.md``, written before any UNIT run, with its amendments): every run of a
direction is trained the same way (60 min for the three-seed runs, one thread, two runs side by side); its
candidates are the snapshots every 500 steps (``<run>-<step>``, ``scripts/snapshot_run.sh``) and the
last state. A candidate's selection score is the shared classifier's accuracy on the labelled *target
validation* split (USPS: the last 729 USPS training digits; MNIST: training digits 50,000–59,999, the
first ``eval_limit``) — never on test. The best one is the validation-chosen step. Test figures
(``Method.evaluate(split="test")``) are computed for the pick and for the last step; the headline is
the last step, which uses no target label at all.

    python -m experiments.unit_digits score runs/unit-m2u-s0     # candidates + pick (a JSON row)
    python -m experiments.unit_digits table                      # mean ± std over seeds, per direction
    python -m experiments.unit_digits sharing runs/unit-share-*  # the shared-layer sweep (no selection)
    python -m experiments.unit_digits gallery docs/unit_digits.png   # the committed checkpoints on test digits

Rows go to ``docs/unit_digits.json`` (one per run), the sweep's to ``docs/unit_sharing.json``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torchvision.utils import save_image

from experiments.snapshots import (adaptation_direction, adaptation_score, adaptation_table, add_score_command,
                                   candidates, save_row, score_runs, target_val_accuracy)
from xdomain import hub
from xdomain.data import resolve_root
from xdomain.judges import load_judges
from xdomain.methods.unit import UNITConfig
from xdomain.train import load_run

OUT = Path(__file__).resolve().parents[1] / "docs" / "unit_digits.json"
PROBES = OUT.with_name("unit_probes.json")
SHARING = OUT.with_name("unit_sharing.json")
PROBE_KEYS = ("kl_reduce", "cycle", "twin_init", "lr", "out_init", "w_gan", "w_feat", "gen_widths")
PAPER_ACC = {"MNIST → USPS": "0.9597", "USPS → MNIST": "0.9358"}  # Table 2; the best test point during training
PAPER = {d: f"{v} (best test point during training)" for d, v in PAPER_ACC.items()}
# Which set of three-seed runs (rows' ``group`` label; "" = unlabelled) is a direction's headline, per the rules in
# docs/unit_selection.md (USPS → MNIST: the second set, rule of 2026-12-05 16:38, written before its runs).
HEADLINE = {"MNIST → USPS": "", "USPS → MNIST": "second set, NHWC loop"}


def score(run: Path, evaluate: bool = True, until: int | None = None) -> dict:
    """Validation scores of the run's candidates (those at or before ``until``), then test metrics of the
    pick and of the last step."""
    return adaptation_score(run, evaluate, until, keys=("n_shared_enc", "n_shared_gen", "n_shared_dis"))


def table(rows: list[dict]) -> str:
    """Per direction: UNIT and the source-only baseline, target test accuracy at the last and chosen step."""
    return adaptation_table(rows, "UNIT", PAPER)


def runs_table(rows: list[dict]) -> str:
    """One line per run: the validation-chosen step and its score, test target accuracy at the last and the chosen
    step, source accuracy at the last, how often the MNIST judge reads the input's digit in the last step's
    translations (A → B / B → A; the baseline trains no generator), wall time."""
    lines = ["| run | direction | model | seed | steps (last) | minutes | val-chosen step (val target acc.) | "
             "target accuracy, last step | target accuracy, chosen step | source accuracy, last step | "
             "digit kept A→B / B→A, last step |", "|---" * 11 + "|"]
    for r in sorted((r for r in rows if "test_last" in r), key=lambda r: (r["direction"], r["source_only"], r["seed"])):
        val = next(c["val_target_acc"] for c in r["candidates"] if c["step"] == r["chosen_step"])
        t = r["test_last"]
        kept = f"{t['label_kept_a2b']:.2f} / {t['label_kept_b2a']:.2f}" if not r["source_only"] else "—"
        lines.append(f"| {r['run']} | {r['direction']} | {'source only' if r['source_only'] else 'UNIT'} | "
                     f"{r['seed']} | {r['last_step']:,} | {r['minutes']:.1f} | {r['chosen_step']:,} ({val:.3f}) | "
                     f"{t['acc_target_test']:.3f} | {r['test_chosen']['acc_target_test']:.3f} | "
                     f"{t['acc_source_test']:.3f} | {kept} |")
    return "\n".join(lines)


@torch.no_grad()
def code_gap(model, data: dict, n: int = 256) -> dict[str, float]:
    """Is the latent space shared? The gap between the two domains' mean μ (mean |Δ| per z dimension)
    against the spread of μ within a domain (mean per-dimension std, averaged over the two)."""
    mu = {s: model.encode(data[s][:n], s)[0].flatten(1) for s in "AB"}
    return {"code_gap": (mu["A"].mean(0) - mu["B"].mean(0)).abs().mean().item(),
            "code_spread": 0.5 * (mu["A"].std(0).mean() + mu["B"].std(0).mean()).item()}


def probe(run: Path) -> dict:
    """A pilot/probe run, validation only (test is never read): per candidate the target val accuracy,
    how often the MNIST judge reads the input's digit in a translation, and the reconstruction error."""
    rows, val, judges = [], None, None
    for c in candidates(run):
        model, step, _ = load_run(c)  # in eval mode
        if val is None:  # the split and the judges once per run, not once per candidate
            val = model.load_data(model.cfg, resolve_root(None), "val").tensors
            judges = load_judges(model.judge_names())
        got = model.compute_metrics(val, judges, 500)
        row = {"step": step, "val_target_acc": round(target_val_accuracy(model, val), 4),
               "val_source_acc": round(got["acc_source_test"], 4)}
        if not model.cfg.source_only:  # the baseline trains no translator
            row |= {k: round(got[k], 4) for k in ("label_kept_a2b", "label_kept_b2a", "cycle_l1_a")}
            row |= {k: round(v, 4) for k, v in code_gap(model, val).items()}
        rows.append(row)
    return {"run": run.name, "direction": adaptation_direction(model), "source_only": model.cfg.source_only,
            "config": {k: getattr(model.cfg, k) for k in PROBE_KEYS}, "candidates": rows}


def _plain(v):
    return list(v) if isinstance(v, (list, tuple)) else v


def probe_table(rows: list[dict]) -> str:
    lines = ["| run | direction | changed from the preset | step | target val accuracy | source val accuracy | "
             "digit kept U→M / M→U | A→B→A L1 | code gap / spread |", "|---|---|---|---|---|---|---|---|---|"]
    base = {k: getattr(UNITConfig(), k) for k in PROBE_KEYS}
    for r in rows:
        diff = ", ".join(f"{k}={r['config'][k]}" for k in PROBE_KEYS
                         if _plain(r["config"].get(k, base[k])) != _plain(base[k])) or "—"
        diff = "**source only** (no translator)" if r.get("source_only") else diff
        for c in r["candidates"]:
            kept = (f"{c['label_kept_a2b']:.3f} / {c['label_kept_b2a']:.3f} | {c['cycle_l1_a']:.3f} | "
                    f"{c['code_gap']:.2f} / {c['code_spread']:.2f}" if "label_kept_a2b" in c else "— | — | —")
            lines.append(f"| {r['run']} | {r['direction']} | {diff} | {c['step']} | {c['val_target_acc']:.3f} | "
                         f"{c['val_source_acc']:.3f} | {kept} |")
    return "\n".join(lines)


def sharing_row(run: Path) -> dict:
    """The shared-layer sweep (the paper's own sharing analysis, §5 / Fig. 2(b), on digits): no selection —
    the run's state as trained, at one step budget for every setting; target accuracy on test (what the sweep
    reports) and on validation, the digit the judge reads in each translation, and the code gap."""
    model, step, elapsed = load_run(run)
    got = model.evaluate(split="test")
    val = model.load_data(model.cfg, resolve_root(None), "val").tensors
    return {"run": run.name, "step": step, "minutes": round(elapsed / 60, 1), "direction": adaptation_direction(model),
            "seed": model.cfg.seed, **{k: getattr(model.cfg, k) for k in ("n_shared_enc", "n_shared_gen", "n_shared_dis")},
            "val_target_acc": round(target_val_accuracy(model, val), 4),
            **{k: round(got[k], 4) for k in ("acc_target_test", "acc_source_test", "label_kept_a2b", "label_kept_b2a")},
            **{k: round(v, 4) for k, v in code_gap(model, val).items()}}


def sharing_table(rows: list[dict]) -> str:
    """One line per setting, E/G sweep (D at the paper's 3) first, then the D sweep."""
    lines = ["| direction | tied E / G layers (of 5 / 5) | tied D layers (of 4) | step | target accuracy, test | "
             "target accuracy, val | source accuracy, test | digit kept A→B / B→A | code gap / spread |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["direction"], r["n_shared_dis"] != 3, r["n_shared_enc"], r["n_shared_gen"],
                                         r["n_shared_dis"])):
        lines.append(f"| {r['direction']} | {r['n_shared_enc']} / {r['n_shared_gen']} | {r['n_shared_dis']} | "
                     f"{r['step']:,} | {r['acc_target_test']:.3f} | {r['val_target_acc']:.3f} | "
                     f"{r['acc_source_test']:.3f} | {r['label_kept_a2b']:.3f} / {r['label_kept_b2a']:.3f} | "
                     f"{r['code_gap']:.2f} / {r['code_spread']:.2f} |")
    return "\n".join(lines)


CHECKPOINTS = ("unit-mnist-usps", "unit-usps-mnist")  # the committed seed per adaptation direction


@torch.no_grad()
def gallery(out: str, n: int = 12) -> None:
    """Per committed checkpoint and domain, rows: test digits x, G(μ(x)) in the other domain, two draws G(μ(x) + η)."""
    rows = []
    for name in CHECKPOINTS:
        m = hub.load_model(name).eval()
        data = m.load_data(m.cfg, resolve_root(None), "test").tensors
        for side, d in (("A", "a2b"), ("B", "b2a")):
            x = data[side][:n]
            rows += [x, m.translate(x, d), m.translate(x, d, seed=1), m.translate(x, d, seed=2)]
    save_image(torch.cat(rows).cpu() * 0.5 + 0.5, out, nrow=n, pad_value=1.0)
    print(f"wrote {out}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    add_score_command(sub, "ignore states after this step (a run counted at a smaller budget)")
    sub.add_parser("table")
    pr = sub.add_parser("probe", help="validation-only rows of pilot/probe runs (docs/unit_probes.json)")
    pr.add_argument("runs", nargs="*")
    sh = sub.add_parser("sharing", help="the shared-layer sweep: each run's state as trained (docs/unit_sharing.json)")
    sh.add_argument("runs", nargs="*", help="states to (re)measure; none: print the table from the JSON")
    g = sub.add_parser("gallery", help="the committed checkpoints' translations of test digits")
    g.add_argument("output")
    g.add_argument("--n", type=int, default=12)
    a = p.parse_args()
    torch.set_num_threads(1)  # it runs beside training runs (one thread each)
    if a.cmd == "score":
        score_runs(a, score, OUT)
    elif a.cmd == "probe":
        for run in a.runs:
            save_row(PROBES, probe(Path(run)))
        print(probe_table(json.loads(PROBES.read_text())))
    elif a.cmd == "sharing":
        for run in a.runs:
            save_row(SHARING, sharing_row(Path(run)))
        if not SHARING.exists():
            raise SystemExit(f"no sweep measured yet ({SHARING.name} is missing): pass the sweep's run folders")
        print(sharing_table(json.loads(SHARING.read_text())))
    elif a.cmd == "gallery":
        gallery(a.output, a.n)
    else:
        print(table(json.loads(OUT.read_text())))


if __name__ == "__main__":
    main()
