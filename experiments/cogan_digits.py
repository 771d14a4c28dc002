"""CoGAN digit runs (issue 15): score snapshots by the pre-written rule, evaluate, tabulate over seeds.

The rule (``docs/cogan_selection.md``, a copy of ``runs/SELECTION-cogan.md`` written before any CoGAN run; revised for budget to 1,500 steps per run before any test figure): every run of a task is trained
the same way; its candidates are the snapshots every 500 steps (``<run>-<step>`` folders made by
``scripts/snapshot_run.sh``) and the last state. Each candidate is scored by pixel agreement on
10,000 *selection* z draws (``eval_z_seed = 777``), never on the reported draws (``seed + 2016``),
and the best one is the validation-chosen step. Pixel agreement reads no data, so "validation" here
means other noise draws than the reported ones. Test figures (``Method.evaluate(split="test")``)
are computed for the chosen candidate and for the last step; the headline is the last step.

    python -m experiments.cogan_digits score runs/cg-negative-s0      # candidates + pick (JSON rows)
    python -m experiments.cogan_digits table                          # mean ± std over seeds, per task

Rows go to ``docs/cogan_digits.json`` (one per run: chosen step, its selection score, test metrics of
the pick and of the last step).
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import torch

from xdomain.methods.cogan import pixel_agreement
from xdomain.train import load_run

SELECT_Z_SEED = 777
OUT = Path(__file__).resolve().parents[1] / "docs" / "cogan_digits.json"


def candidates(run: Path) -> list[Path]:
    """The run's snapshots (``<run>-<step>``) and the run itself (its last state), by step."""
    snaps = [p for p in run.parent.glob(run.name + "-*") if p.name[len(run.name) + 1:].isdigit()]
    return sorted(snaps, key=lambda p: int(p.name.rsplit("-", 1)[1])) + [run]


@torch.no_grad()
def selection_score(model, n: int = 10000) -> float:
    """Pixel agreement on the selection draws (not the reported ones)."""
    model.cfg.eval_z_seed = SELECT_Z_SEED
    try:
        x1, x2 = model._pairs(n)
    finally:
        model.cfg.eval_z_seed = None
    return pixel_agreement(x1, x2, model.task)


def score(run: Path, evaluate: bool = True, until: int | None = None) -> dict:
    """Selection scores of the run's candidates (those at or before step ``until``, when given: a run
    trained past the protocol's budget is counted at that step), then test metrics of the pick and the last."""
    rows = []
    for c in candidates(run):
        model, step, _ = load_run(c)
        if until is not None and step > until:
            continue
        rows.append({"candidate": c.name, "step": step, "select_agreement": round(selection_score(model), 5)})
    pick = max(rows, key=lambda r: (r["select_agreement"], r["step"]))
    last = rows[-1]
    out = {"run": run.name, "candidates": rows, "chosen_step": pick["step"], "last_step": last["step"]}
    if evaluate:
        for key, row in (("chosen", pick), ("last", last)):
            model, _, _ = load_run(run.parent / row["candidate"])
            out[f"test_{key}"] = {k: round(v, 5) for k, v in model.evaluate(split="test").items()}
        model, _, _ = load_run(run.parent / last["candidate"])
        out.update(task=model.task, conditional=model.cfg.conditional, seed=model.cfg.seed,
                   n_shared_g=model.cfg.n_shared_g, n_shared_d=model.cfg.n_shared_d)
    return out


def save_row(row: dict) -> None:
    rows = json.loads(OUT.read_text()) if OUT.exists() else []
    rows = [r for r in rows if r["run"] != row["run"]] + [row]
    OUT.write_text(json.dumps(sorted(rows, key=lambda r: r["run"]), indent=1) + "\n")


def groups(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(task, "CoGAN" | "conditional GAN") → rows of the full-sharing runs (the sweep is tabulated apart)."""
    out: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        if "test_last" not in r or r["run"].startswith("cg-share"):
            continue
        out.setdefault((r["task"], "conditional GAN" if r["conditional"] else "CoGAN"), []).append(r)
    return out


def mean_std(xs: list[float]) -> str:
    return f"{statistics.mean(xs):.3f} ± {statistics.stdev(xs):.3f}" if len(xs) > 1 else f"{xs[0]:.3f}"


def table(rows: list[dict]) -> str:
    lines = ["| task | model | seeds | agreement, last step | agreement, chosen step | floor (real pairs) | "
             "shuffled pairs | paper |", "|---|---|---|---|---|---|---|---|"]
    paper = {("edge", "CoGAN"): "0.952", ("negative", "CoGAN"): "0.967", ("edge", "conditional GAN"): "0.909",
             ("negative", "conditional GAN"): "0.778"}
    for (task, kind), rs in sorted(groups(rows).items()):
        last = [r["test_last"]["pixel_agreement"] for r in rs]
        chosen = [r["test_chosen"]["pixel_agreement"] for r in rs]
        floor = [r["test_last"]["pixel_agreement_floor"] for r in rs]
        shuf = [r["test_last"]["pixel_agreement_shuffled"] for r in rs]
        lines.append(f"| {task} | {kind} | {len(rs)} | {mean_std(last)} | {mean_std(chosen)} | {mean_std(floor)} | "
                     f"{mean_std(shuf)} | {paper[(task, kind)]} (grid-searched iterations) |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("score")
    s.add_argument("runs", nargs="+")
    s.add_argument("--no-eval", action="store_true", help="selection scores only (no test figures, not saved)")
    s.add_argument("--until", type=int, default=None, help="ignore states after this step (the protocol's budget)")
    sub.add_parser("table")
    a = p.parse_args()
    torch.set_num_threads(1)  # it runs beside training runs (one thread each)
    if a.cmd == "score":
        for run in a.runs:
            row = score(Path(run), evaluate=not a.no_eval, until=a.until)
            print(json.dumps(row, indent=1))
            if not a.no_eval:
                save_row(row)
    else:
        print(table(json.loads(OUT.read_text())))


if __name__ == "__main__":
    main()
