"""Helpers shared by the snapshot-selection scripts: a run's candidates, one JSON row per run, mean ± std,
and the digit-adaptation rule UNIT and CoGAN share (target validation accuracy, the table over seeds).

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
                    until: int | None = None, higher_is_better: bool = True) -> tuple[dict, Any]:
    """Score every candidate of ``run`` (those at or before step ``until``) by ``value(model)`` — a
    selection quantity, never a test figure — pick the best (ties: the later step), then compute the test
    metrics of the pick and of the last step. Returns the row and the last step's model (None without
    ``evaluate``). ``higher_is_better=False``: the lowest score is the best (a median rank)."""
    from xdomain.train import load_run

    rows = []
    for c in candidates(run):
        model, step, _ = load_run(c)
        if until is not None and step > until:
            continue
        rows.append({"candidate": c.name, "step": step, key: round(value(model), 5)})
    sign = 1 if higher_is_better else -1
    pick = max(rows, key=lambda r: (sign * r[key], r["step"]))
    out = {"run": run.name, "candidates": rows, "chosen_step": pick["step"], "last_step": rows[-1]["step"]}
    model = None
    if evaluate:
        for name, row in (("chosen", pick), ("last", rows[-1])):
            if name == "last" and row is pick:  # the pick is the last state: its test figures are already in
                out["test_last"] = out["test_chosen"]
                continue
            model, _, elapsed = load_run(run.parent / row["candidate"])
            out[f"test_{name}"] = {k: round(v, 5) for k, v in model.evaluate(split="test").items()}
        out["minutes"] = round(elapsed / 60, 1)
    return out, model


def store_rows(out: Path, new: list[dict], key: Callable[[dict], Any] = lambda r: r["run"],
               order: Callable[[dict], Any] | None = None) -> list[dict]:
    """Merge ``new`` rows into the JSON list at ``out``: a stored row with the same ``key`` is replaced (a
    re-scored run), the rest kept; the list is written sorted by ``order`` (default: ``key``) and returned.
    The file is read only now, so rows another scorer wrote meanwhile survive."""
    done = {key(r) for r in new}
    rows = [r for r in (json.loads(out.read_text()) if out.is_file() else []) if key(r) not in done] + list(new)
    rows.sort(key=order or key)
    out.write_text(json.dumps(rows, indent=1) + "\n")
    return rows


def save_row(out: Path, row: dict) -> None:
    """Replace (or add) ``row`` in the JSON list at ``out``, keyed and sorted by ``row["run"]``."""
    store_rows(out, [row])


def mean_std(xs: list[float]) -> str:
    return f"{statistics.mean(xs):.3f} ± {statistics.stdev(xs):.3f}" if len(xs) > 1 else f"{xs[0]:.3f}"


def add_score_command(sub: argparse._SubParsersAction, until_help: str, name: str = "score") -> None:
    """The ``score RUNS [--no-eval] [--until STEP]`` subcommand of a selection script (under ``name``)."""
    s = sub.add_parser(name, help="the selection rule on each run's candidates, then test figures (saved)")
    s.add_argument("runs", nargs="+")
    s.add_argument("--no-eval", action="store_true", help="selection scores only (no test figures, not saved)")
    s.add_argument("--until", type=int, default=None, help=until_help)
    s.add_argument("--group", default=None,
                   help="a label saved with the rows; tables keep runs of different labels apart (e.g. resumed runs)")


def score_runs(a: argparse.Namespace, score: Callable[..., dict], out: Path) -> None:
    """Run ``score(run, evaluate=, until=)`` on every run of ``a.runs``, label it with ``a.group`` if given, print
    each row, save it unless --no-eval."""
    for run in a.runs:
        row = score(Path(run), evaluate=not a.no_eval, until=a.until)
        if a.group:
            row["group"] = a.group
        print(json.dumps(row, indent=1))
        if not a.no_eval:
            save_row(out, row)


# ------------------------------------------------------------------------------ digit adaptation (UNIT, CoGAN)
OTHER = {"A": "B", "B": "A"}


def adaptation_direction(model) -> str:
    """"MNIST → USPS": the model's labelled source side → the other side, by domain name."""
    names = dict(zip("AB", model.domain_names))
    return f"{names[model.cfg.source]} → {names[OTHER[model.cfg.source]]}"


def target_val_accuracy(model, data: dict) -> float:
    """Accuracy of the adapted classifier (``model.classify``) on the target side of a labelled validation
    split (its first ``eval_limit`` images)."""
    side = OTHER[model.cfg.source]
    n = min(model.cfg.eval_limit, len(data[side]))
    return (model.classify(data[side][:n], side).argmax(1) == data[f"label_{side}"][:n]).float().mean().item()


def adaptation_score(run: Path, evaluate: bool = True, until: int | None = None, keys: tuple[str, ...] = ()) -> dict:
    """The adaptation rule: candidates (those at or before ``until``) scored by target validation accuracy, then
    test metrics of the pick and of the last step; the row names the direction, seed and config ``keys``."""
    from xdomain.data import resolve_root

    val: dict = {}

    def value(model) -> float:
        if not val:  # the split once per run, not once per candidate
            val.update(model.load_data(model.cfg, resolve_root(None), "val").tensors)
        return target_val_accuracy(model, val)

    out, model = select_and_test(run, "val_target_acc", value, evaluate, until)
    if model is not None:
        out.update(direction=adaptation_direction(model), source_only=model.cfg.source_only, seed=model.cfg.seed,
                   **{k: getattr(model.cfg, k) for k in keys})
    return out


def adaptation_table(rows: list[dict], method: str, paper: dict[str, str]) -> str:
    """Per direction: the method and its source-only baseline, target test accuracy at the last and the
    validation-chosen step (mean ± std over seeds), source test accuracy, steps; ``paper`` by direction. Rows
    that record their step budget (``steps``) are grouped by it and name it; so are rows saved with a ``group``
    label (``score --group``)."""
    lines = ["| direction | model | seeds | target accuracy, last step | target accuracy, val-chosen step | "
             "source accuracy, last step | steps (last) | paper |", "|---|---|---|---|---|---|---|---|"]
    groups: dict[tuple[str, bool, int, str], list[dict]] = {}
    for r in rows:  # runs of one direction trained to different step budgets (``steps``) are grouped apart
        if "test_last" in r:
            groups.setdefault((r["direction"], r["source_only"], r.get("steps", 0), r.get("group", "")), []).append(r)
    for (d, base, budget, group), rs in sorted(groups.items()):
        last = [r["test_last"]["acc_target_test"] for r in rs]
        chosen = [r["test_chosen"]["acc_target_test"] for r in rs]
        src = [r["test_last"]["acc_source_test"] for r in rs]
        lo, hi = min(r["last_step"] for r in rs), max(r["last_step"] for r in rs)
        steps = str(hi) if lo == hi else f"{lo}–{hi}"
        model = ("source only" if base else method) + (f", {budget:,}-step budget" if budget else "") + (
            f", {group}" if group else "")
        lines.append(f"| {d} | {model} | {len(rs)} | {mean_std(last)} | "
                     f"{mean_std(chosen)} | {mean_std(src)} | {steps} | {'—' if base else paper[d]} |")
    return "\n".join(lines)
