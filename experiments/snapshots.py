"""Helpers shared by the snapshot-selection scripts: a run's candidates, one JSON row per run, mean ± std.

A run folder ``runs/<name>`` holds the last training state; ``scripts/snapshot_run.sh`` copies earlier
states to ``runs/<name>-<step>``. Selection scripts score every candidate on a validation quantity
fixed before the run and read test figures only for the pick and the last step.
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any, Callable


def candidates(run: Path) -> list[Path]:
    """The run's snapshots (``<run>-<step>``) and the run itself (its last state), by step; a snapshot
    taken of the last state itself (``scripts/snapshot_run.sh`` copies the final save too) is left out."""
    state = run / "train_state.json"
    last = json.loads(state.read_text())["step"] if state.exists() else None
    snaps = [p for p in run.parent.glob(run.name + "-*") if p.name[len(run.name) + 1:].isdigit()
             and int(p.name[len(run.name) + 1:]) != last]
    return sorted(snaps, key=lambda p: int(p.name.rsplit("-", 1)[1])) + [run]


def select_and_test(run: Path, key: str, value: Callable[[Any], float], evaluate: bool = True,
                    until: int | None = None) -> tuple[dict, Any]:
    """Score every candidate of ``run`` (those at or before step ``until``) by ``value(model)`` — a
    selection quantity, never a test figure — pick the best (ties: the later step), then compute the test
    metrics of the pick and of the last step. Returns the row and the last step's model (None without
    ``evaluate``)."""
    from xdomain.train import load_run

    rows = []
    for c in candidates(run):
        model, step, _ = load_run(c)
        if until is not None and step > until:
            continue
        rows.append({"candidate": c.name, "step": step, key: round(value(model), 5)})
    pick = max(rows, key=lambda r: (r[key], r["step"]))
    out = {"run": run.name, "candidates": rows, "chosen_step": pick["step"], "last_step": rows[-1]["step"]}
    model = None
    if evaluate:
        for name, row in (("chosen", pick), ("last", rows[-1])):
            model, _, elapsed = load_run(run.parent / row["candidate"])
            out[f"test_{name}"] = {k: round(v, 5) for k, v in model.evaluate(split="test").items()}
        out["minutes"] = round(elapsed / 60, 1)
    return out, model


def save_row(out: Path, row: dict) -> None:
    """Replace (or add) ``row`` in the JSON list at ``out``, keyed and sorted by ``row["run"]``."""
    rows = json.loads(out.read_text()) if out.exists() else []
    rows = [r for r in rows if r["run"] != row["run"]] + [row]
    out.write_text(json.dumps(sorted(rows, key=lambda r: r["run"]), indent=1) + "\n")


def mean_std(xs: list[float]) -> str:
    return f"{statistics.mean(xs):.3f} ± {statistics.stdev(xs):.3f}" if len(xs) > 1 else f"{xs[0]:.3f}"


def add_score_command(sub: argparse._SubParsersAction, until_help: str) -> None:
    """The ``score RUNS [--no-eval] [--until STEP]`` subcommand of a selection script."""
    s = sub.add_parser("score", help="the selection rule on each run's candidates, then test figures (saved)")
    s.add_argument("runs", nargs="+")
    s.add_argument("--no-eval", action="store_true", help="selection scores only (no test figures, not saved)")
    s.add_argument("--until", type=int, default=None, help=until_help)


def score_runs(a: argparse.Namespace, score: Callable[..., dict], out: Path) -> None:
    """Run ``score(run, evaluate=, until=)`` on every run of ``a.runs``, print each row, save it unless --no-eval."""
    for run in a.runs:
        row = score(Path(run), evaluate=not a.no_eval, until=a.until)
        print(json.dumps(row, indent=1))
        if not a.no_eval:
            save_row(out, row)
