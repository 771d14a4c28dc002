"""CoGAN face pairs (issue 15, experiment 4): score snapshots by the pre-written rule, tabulate, draw pairs.

The rule (``docs/cogan_selection.md``, "Faces", written before the first face run): a run's candidates are
its snapshots every 1,000 steps (``<run>-<step>``, ``scripts/snapshot_run.sh``) and its last state; each
is scored by ``pair_success`` — the robust CelebA judge finds g1(z) in domain A (with the attribute) and
g2(z) in domain B (without) *and* the two agree on every other kept attribute — on the validation split
with 2,000 *selection* noise draws (``eval_z_seed = 777``), never the reported draws (``seed + 2016``).
The best candidate is the chosen step; test figures are computed for it and for the last state (the
headline).

    python -m experiments.cogan_faces score runs/cg-face-blond-s0     # candidates + pick, saved
    python -m experiments.cogan_faces table                           # the markdown table of docs/cogan.md
    python -m experiments.cogan_faces gallery cogan-celeba-blond docs/cogan_blond_pairs.png [--n 10]
    python -m experiments.cogan_faces retest runs/cg-face-blond-s0 --checkpoint cogan-celeba-blond  # after a judge changes

Rows go to ``docs/cogan_faces.json`` (one per run).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torchvision.utils import save_image

from experiments.discogan_table import add_gallery_command, pct
from experiments.snapshots import add_score_command, save_row, score_runs, select_and_test
from xdomain import hub
from xdomain.data.domains import dataset_info

SELECT_Z_SEED = 777
OUT = Path(__file__).resolve().parents[1] / "docs" / "cogan_faces.json"


def selection_score(model) -> float:
    """``pair_success`` on validation faces and the selection draws (not the reported ones)."""
    model.cfg.eval_z_seed = SELECT_Z_SEED
    try:
        return model.evaluate(split="val")["pair_success"]
    finally:
        model.cfg.eval_z_seed = None


def score(run: Path, evaluate: bool = True, until: int | None = None) -> dict:
    out, model = select_and_test(run, "select_pair_success", selection_score, evaluate, until)
    if model is not None:
        out.update(dataset=model.cfg.dataset, seed=model.cfg.seed)
    return out


def table(rows: list[dict]) -> str:
    """Per pair and state (last / chosen): the judge's verdicts on the pairs and the identity distance."""
    lines = ["| pair (domain 1 / domain 2) | state | step | g1 in domain 1 / g2 in domain 2 | pair differs in the "
             "attribute | agree on the other attributes (mean; chance) | pair success (shuffled) "
             "| identity distance in a pair / random pairs |", "|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: r["run"]):
        if "test_last" not in r:
            continue
        a, b = dataset_info(r["dataset"]).domain_names
        for state, key in (("last", "test_last"), ("chosen on validation", "test_chosen")):
            m = r[key]
            chance = [v for k, v in m.items() if k.startswith("kept_chance_")]
            step = r["last_step"] if state == "last" else r["chosen_step"]
            lines.append(
                f"| {a} / {b} | {state} | {step} | {pct(m['g1_in_A'])} / {pct(m['g2_in_B'])} "
                f"| {pct(m['pair_attr_differs'])} | {pct(m['kept_mean'])} ({pct(sum(chance) / len(chance))}) "
                f"| {pct(m['pair_success'])} ({pct(m['pair_success_shuffled'])}) "
                f"| {m['pair_id_distance']:.3f} / {m['pair_id_distance_shuffled']:.3f} |")
    return "\n".join(lines)


def retest(run: Path, checkpoint: str | None = None) -> dict:
    """Recompute a stored row's test figures (e.g. after a judge it reads is replaced) without re-selecting:
    the chosen and the last state each come from the run's folder when it is kept (``<run>`` or
    ``<run>-<step>``), else from the committed ``checkpoint`` when that checkpoint *is* the state (same
    dataset, seed and step; its shipped, possibly float16, weights). ``test_from`` records which."""
    from xdomain.train import load_run

    rows = {r["run"]: r for r in (json.loads(OUT.read_text()) if OUT.is_file() else [])}
    if run.name not in rows:
        raise SystemExit(f"no stored row for {run.name} in {OUT}")
    row = dict(rows[run.name])
    sources: dict[str, str] = {}
    for state, step in (("chosen", row["chosen_step"]), ("last", row["last_step"])):
        if state == "last" and step == row["chosen_step"]:
            row["test_last"], sources["last"] = row["test_chosen"], sources["chosen"]
            continue
        folders = [f for f in (run.parent / f"{run.name}-{step}", run) if (f / "train_state.json").is_file()
                   and json.loads((f / "train_state.json").read_text())["step"] == step]
        if folders:
            model, sources[state] = load_run(folders[0])[0], str(folders[0].name)
        else:
            model = hub.load_model(checkpoint) if checkpoint else None
            steps = hub.read_meta(model.checkpoint_dir).get("training", {}).get("steps") if model is not None else None
            if model is None or (model.cfg.dataset, model.cfg.seed, steps) != (row["dataset"], row["seed"], step):
                raise SystemExit(f"{run.name}: the {state} state (step {step}) is neither kept in runs/ nor the "
                                 f"committed checkpoint {checkpoint!r}")
            sources[state] = f"{checkpoint} (committed, shipped weights)"
        row[f"test_{state}"] = {k: round(v, 5) for k, v in model.eval().evaluate(split="test").items()}
    row["test_from"] = sources
    save_row(OUT, row)
    return row


@torch.no_grad()
def gallery(name: str, out: str, n: int = 10) -> None:
    """``n`` pairs from seeded noise: domain 1 over domain 2, twice (two seeds)."""
    m = hub.load_model(name).eval()
    rows = []
    for seed in (0, 1):
        _, x1, x2 = m.sample_pairs(n, seed=seed)
        rows += [x1, x2]
    save_image(torch.cat(rows).cpu() * 0.5 + 0.5, out, nrow=n)
    print(f"wrote {out}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    add_score_command(sub, "count a run at this step (candidates after it are ignored)")
    sub.add_parser("table")
    r = sub.add_parser("retest", help="recompute stored rows' test figures (same states, no re-selection)")
    r.add_argument("run")
    r.add_argument("--checkpoint", default=None, help="the committed checkpoint that is a state whose run is pruned")
    add_gallery_command(sub, 10)
    a = p.parse_args()
    if a.cmd == "score":
        score_runs(a, score, OUT)
    elif a.cmd == "table":
        print(table(json.loads(OUT.read_text()) if OUT.is_file() else []))
    elif a.cmd == "retest":
        print(json.dumps(retest(Path(a.run), a.checkpoint), indent=1))
    else:
        gallery(a.checkpoint, a.output, a.n)


if __name__ == "__main__":
    main()
