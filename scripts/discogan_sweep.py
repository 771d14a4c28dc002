"""How the L_CONST weight and the training length move DiscoGAN's flip / keep trade-off.

Evaluates training snapshots (run folders holding a ``train_state``, e.g. copies taken every 2,000
steps while ``python -m xdomain train`` runs) with the same metrics as ``python -m xdomain eval``,
and stores the figures in ``docs/discogan_sweep.json``; ``--table`` prints the README table from
that file (``scripts/readme_tables.py`` calls it). Nothing is typed in.

    python scripts/discogan_sweep.py runs/dg-male-w20-2000 runs/dg-male-w20-4000 ...   # evaluate, store
    python scripts/discogan_sweep.py --live runs/dg-male-ema     # a weight-averaged run's live generators
    python scripts/discogan_sweep.py --table                                              # print
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from discogan_table import num, pct  # noqa: E402

OUT = ROOT / "docs" / "discogan_sweep.json"
KEYS = ("flipped_", "kept_", "cycle_l1_", "diversity_")  # stored metric prefixes (all but plain_judge_*)


def without_average(run: str | Path, dst: Path) -> Path:
    """A copy of a run's ``train_state`` with the EMA generators dropped: the live G_AB / G_BA."""
    from safetensors.torch import load_file, save_file
    from xdomain.train import STATE_META, STATE_NAME

    dst.mkdir(parents=True)
    meta = json.loads((Path(run) / STATE_META).read_text())
    meta["config"]["ema"] = 0.0
    (dst / STATE_META).write_text(json.dumps(meta))
    tensors = load_file(str(Path(run) / STATE_NAME))
    save_file({k: v for k, v in tensors.items() if not k.startswith("model.ema_")}, str(dst / STATE_NAME))
    return dst


def evaluate(run_dirs: list[str], data_root: str | None, live: bool = False) -> None:
    from xdomain import hub
    from xdomain.train import export_state

    new = []
    for run in run_dirs:
        with tempfile.TemporaryDirectory() as tmp:
            src = without_average(run, Path(tmp) / "live") if live else run
            folder = export_state(src, Path(tmp) / "ckpt", evaluate=True, data_root=data_root)
            meta = hub.read_meta(folder)
        c, t, m = meta["config"], meta["training"], meta["metrics"]
        row = {"run": Path(run).name + ("-live" if live else ""), "dataset": c["dataset"],
               "balance": bool(c.get("balance")), "ema": c.get("ema", 0.0),
               "w_const": c["w_const"], "recon": c["recon"], "step": t["steps"],
               "minutes": round(t.get("wall_time_s", 0) / 60, 1), "n_eval": c.get("eval_limit")}
        row |= {k: v for k, v in m.items() if k.startswith(KEYS) and not k.startswith("kept_chance")}
        new.append(row)
        print(json.dumps(row), flush=True)
    done = {r["run"] for r in new}  # read only now: another sweep may have written meanwhile
    rows = [r for r in (json.loads(OUT.read_text()) if OUT.is_file() else []) if r["run"] not in done] + new
    rows.sort(key=lambda r: (r["dataset"], r["w_const"], r["step"]))
    OUT.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(rows)} rows)")


def average(row: dict) -> str:
    return f"EMA {row['ema']:g}" if row.get("ema") else "no"


def table() -> None:
    rows = json.loads(OUT.read_text())
    print("| L_CONST | balanced | G average | step | train min | flipped M→F / F→M % | kept mean M→F / F→M % "
          "| Young kept M→F / F→M % | cycle L1 A / B | diversity A→B / B→A |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['w_const']:g} × {r['recon'].upper()} | {'yes' if r['balance'] else 'no'} "
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
    p.add_argument("--data-root")
    a = p.parse_args(argv)
    if a.runs:
        evaluate(a.runs, a.data_root, a.live)
    if a.table or not a.runs:
        table()


if __name__ == "__main__":
    main()
