"""How the L_CONST weight and the training length move DiscoGAN's flip / keep trade-off.

Evaluates training snapshots (run folders holding a ``train_state``, e.g. copies taken every 2,000
steps while ``python -m xdomain train`` runs) with the same metrics as ``python -m xdomain eval``,
and stores the figures in ``docs/discogan_sweep.json``; ``--table`` prints ``docs/discogan.md``'s
sweep table from that file (``python -m experiments.readme_tables`` calls it). Nothing is typed in.

    python -m experiments.discogan_sweep runs/dg-male-w20-2000 runs/dg-male-w20-4000 ...   # evaluate, store
    python -m experiments.discogan_sweep --live runs/dg-male-ema     # a weight-averaged run's live generators
    python -m experiments.discogan_sweep --split val runs/...         # validation identities: choose a model
    python -m experiments.discogan_sweep --table                                              # print
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from experiments.discogan_table import num, pct
from experiments.snapshots import store_rows

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "discogan_sweep.json"
KEYS = ("flipped_", "kept_", "cycle_l1_", "diversity_")  # stored metric prefixes (all but plain_judge_*)


def load_candidate(run: str | Path, live: bool = False):
    """A run's model from its float32 ``train_state``; ``live`` translates with the trained generators
    of a weight-averaged (``ema``) run instead of their average."""
    from xdomain.train import load_run

    model, step, elapsed = load_run(run)
    if live:
        model.cfg = model.cfg.replace(ema=0.0)
    return model, step, elapsed


def evaluate(run_dirs: list[str], data_root: str | None, live: bool = False, split: str = "test") -> None:
    from xdomain.data import resolve_root

    new = []
    for run in run_dirs:
        model, step, elapsed = load_candidate(run, live)
        c, m = model.cfg, model.evaluate(resolve_root(data_root), limit=model.cfg.eval_limit, split=split)
        row = {"run": Path(run).name + ("-live" if live else ""), "split": split, "dataset": c.dataset,
               "balance": bool(c.balance), "ema": c.ema, "w_const": c.w_const, "recon": c.recon, "step": step,
               "minutes": round(elapsed / 60, 1), "n_eval": c.eval_limit}
        row |= {k: v for k, v in m.items() if k.startswith(KEYS) and not k.startswith("kept_chance")}
        new.append(row)
        print(json.dumps(row), flush=True)
    rows = store_rows(OUT, new, key=lambda r: (r["run"], r["split"]),
                      order=lambda r: (r["dataset"], r["split"], r["w_const"], r["ema"], r["step"]))
    print(f"wrote {OUT.relative_to(ROOT)} ({len(rows)} rows)")


def average(row: dict) -> str:
    return f"EMA {row['ema']:g}" if row["ema"] else "no"


def table(split: str = "test") -> None:
    rows = [r for r in json.loads(OUT.read_text()) if r["split"] == split]
    print("| run | L_CONST | balanced | G average | step | train min | flipped M→F / F→M % | kept mean M→F / F→M % "
          "| Young kept M→F / F→M % | cycle L1 A / B | diversity A→B / B→A |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['w_const']:g} × {r['recon'].upper()} | {'yes' if r['balance'] else 'no'} "
              f"| {average(r)} | {r['step']} "
              f"| {r['minutes']:.0f} | {pct(r['flipped_a2b'])} / {pct(r['flipped_b2a'])} "
              f"| {pct(r['kept_mean_a2b'])} / {pct(r['kept_mean_b2a'])} "
              f"| {pct(r['kept_Young_a2b'])} / {pct(r['kept_Young_b2a'])} "
              f"| {num(r['cycle_l1_a'])} / {num(r['cycle_l1_b'])} "
              f"| {num(r['diversity_a2b'], '.2f')} / {num(r['diversity_b2a'], '.2f')} |")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="*", help="run folders with a train_state to evaluate")
    p.add_argument("--table", action="store_true", help="print the stored figures as a markdown table")
    p.add_argument("--live", action="store_true", help="evaluate the live generators of a weight-averaged run")
    p.add_argument("--split", default="test", choices=("test", "val"),
                   help="evaluate / print on CelebA's test or validation identities (val: choosing a model)")
    p.add_argument("--data-root")
    a = p.parse_args(argv)
    if a.runs:
        evaluate(a.runs, a.data_root, a.live, a.split)
    if a.table or not a.runs:
        table(a.split)


if __name__ == "__main__":
    main()
