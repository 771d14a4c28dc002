"""UNIT against DiscoGAN on the same CelebA pairs (issue 14, experiment 2), from stored metrics only.

Both methods are scored by the same code (:func:`xdomain.metrics.discogan.discogan_metrics`) on the same
identity-disjoint test split with the same robust judge, so one table compares them pair by pair; the
figures are read from each committed checkpoint's metadata (``python -m xdomain eval <ckpt> --write``),
nothing is typed in. The gallery puts UNIT's translations, a few of its z = μ + η draws and DiscoGAN's
translation of the same test faces side by side.

    python -m experiments.unit_faces table                       # the markdown table of docs/unit.md
    python -m experiments.unit_faces select runs/unit-faces-male-*  # snapshots on *validation* identities
    python -m experiments.unit_faces gallery unit-celeba-male docs/unit_male_female.png [--n 8]
    python -m experiments.unit_faces fidelity unit-celeba-male runs/unit-faces-male-paper-2000  # reconstructions

Choosing a snapshot (``select``): each candidate is scored on CelebA's validation identities and picked
by DiscoGAN's written rule (:func:`experiments.select_snapshot.select`: flipped ≥ 80% and diversity ≥ 0.9
both ways, then the best minimum kept); rows go to ``docs/unit_faces_val.json``. Test figures are
read only for the pick and the last state (``python -m xdomain eval <ckpt> --write``).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torchvision.utils import save_image

from experiments.discogan_table import add_gallery_command, meta, num, pct
from xdomain import hub, registry
from xdomain.data import resolve_root
from xdomain.data.domains import dataset_info
from xdomain.explore.faces import method_title

ROOT = Path(__file__).resolve().parents[1]
VAL = ROOT / "docs" / "unit_faces_val.json"
FIDELITY = ROOT / "docs" / "unit_faces_fidelity.json"
VAL_KEYS = ("flipped_", "kept_mean_", "kept_", "cycle_l1_", "diversity_", "z_diversity_")


def unit_face_checkpoints() -> list[str]:
    return [c.name for c in registry.CHECKPOINTS.values() if c.method == "unit" and c.dataset.startswith("celeba_")]


def discogan_counterpart(name: str) -> str | None:
    """The DiscoGAN checkpoint the app offers for the same CelebA pair (None when there is none)."""
    dataset = registry.get_checkpoint(name).dataset
    return next((c.name for c in registry.CHECKPOINTS.values()
                 if c.method == "discogan" and c.dataset == dataset and c.tabs), None)


def table() -> None:
    """Pair by pair, direction by direction: UNIT's row, then DiscoGAN's, with the same columns."""
    print("| pair, direction | method | checkpoint | steps | train min | flipped % | kept mean % | cycle L1 "
          "| drift L1 after 1 / 4 round trips | diversity | z diversity (4 draws of η) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    pairs: dict[str, list[str]] = {}  # dataset → its UNIT checkpoints (the paper's model first, then variants)
    for name in unit_face_checkpoints():
        pairs.setdefault(registry.get_checkpoint(name).dataset, []).append(name)
    for dataset, units in pairs.items():
        names = units + [n for n in [discogan_counterpart(units[0])] if n]
        metas = {n: meta(n) for n in names}
        if all(metas[n] is None for n in units):
            continue
        a, b = dataset_info(dataset).domain_names
        for d, label in (("a2b", f"{a} → {b}"), ("b2a", f"{b} → {a}")):
            side = "a" if d == "a2b" else "b"
            for n in names:
                if metas[n] is None:
                    continue
                m, t = metas[n]["metrics"], metas[n]["training"]
                method = method_title(n)
                z = m.get(f"z_diversity_{d}")
                print(f"| {label} | {method} | `{n}` | {t.get('steps')} | {t.get('wall_time_s', 0) / 60:.0f} "
                      f"| {pct(m.get(f'flipped_{d}'))} | {pct(m.get(f'kept_mean_{d}'))} "
                      f"| {num(m.get(f'cycle_l1_{side}'))} "
                      f"| {num(m.get(f'drift_l1_{side}_1'))} / {num(m.get(f'drift_l1_{side}_4'))} "
                      f"| {num(m.get(f'diversity_{d}'), '.2f')} | {'—' if z is None else num(z)} |")


def select(run_dirs: list[str]) -> dict:
    """Score each run folder (a snapshot or the last state) on validation identities, store the rows, and
    print the pick by the written rule."""
    from experiments.select_snapshot import select as rule
    from experiments.snapshots import store_rows
    from xdomain.train import load_run

    new = []
    for run in run_dirs:
        model, step, elapsed = load_run(run)
        m = model.evaluate(limit=model.cfg.eval_limit, split="val")
        row = {"run": Path(run).name, "split": "val", "dataset": model.cfg.dataset, "step": step,
               "minutes": round(elapsed / 60, 1), "n_eval": model.cfg.eval_limit}
        row |= {k: v for k, v in m.items() if k.startswith(VAL_KEYS) and not k.startswith("kept_chance")}
        new.append(row)
        print(json.dumps(row), flush=True)
    rows = store_rows(VAL, new, order=lambda r: (r["dataset"], r["step"]))
    names = {r["run"] for r in new}  # the pick is among the candidates given, never another run's rows
    pick, why = rule([r for r in rows if r["run"] in names])
    print(f"pick: {pick['run']} (step {pick['step']}): {why}")
    return pick


@torch.no_grad()
def fidelity(targets: list[str], limit: int = 1000) -> list[dict]:
    """How much of what *kept* reads survives UNIT's own autoencoder: per side s, the reconstruction
    G_s(E_s(x)) of validation faces (μ, no η) is read by the metrics' judge, and compared with its reading of x
    over the same attributes as *kept* (a translation can hardly keep more than its own reconstruction).
    Beside it: reconstruction L1 on the [0, 1] scale, and the share of judged glasses wearers whose
    reconstruction still wears them. ``targets``: run folders (latest state) or checkpoint names; rows go to
    ``docs/unit_faces_fidelity.json``."""
    from experiments.snapshots import store_rows
    from xdomain.judges import judged_logits, load_judges
    from xdomain.metrics.attributes import attribute_agreement
    from xdomain.data.domains import celeba_columns
    from xdomain.metrics.discogan import kept_attributes, l1_01
    from xdomain.train import STATE_META, load_run

    rows, data = [], {}
    for t in targets:
        if (Path(t) / STATE_META).is_file():
            model, step, _ = load_run(t)
        else:
            model, step = hub.load_model(t).eval(), hub.read_meta(hub.resolve(t))["training"].get("steps")
        cfg = model.cfg
        judge = load_judges(model.judge_names())["attributes"]
        if cfg.dataset not in data:
            data[cfg.dataset] = model.load_data(cfg, resolve_root(None), "val").tensors
        keep = kept_attributes(cfg.dataset)
        idx = celeba_columns(keep)
        glasses = keep.index("Eyeglasses") if "Eyeglasses" in keep else None
        row = {"run": Path(t).name, "split": "val", "dataset": cfg.dataset, "step": step, "n_eval": limit}
        for side in "AB":
            x = data[cfg.dataset][side][:limit]
            rec = torch.cat([model.decode(model.encode(b, side)[0], None, side) for b in x.split(200)])
            px, pr = (judge.decide(judged_logits(judge, v))[:, idx] for v in (x, rec))
            agree = attribute_agreement(px, pr, keep)
            s = side.lower()
            row[f"recon_l1_{s}"] = l1_01(rec, x)
            row |= {f"recon_kept_{a}_{s}": agree[f"agree_{a}"] for a in keep}
            row[f"recon_kept_mean_{s}"] = sum(agree[f"agree_{a}"] for a in keep) / len(keep)
            if glasses is not None and px[:, glasses].any():
                row[f"recon_glasses_on_wearers_{s}"] = pr[px[:, glasses].bool(), glasses].float().mean().item()
        rows.append(row)
        print(json.dumps(row), flush=True)
    store_rows(FIDELITY, rows, order=fidelity_order)
    return rows


def run_family(row: dict) -> str:
    """A row's run without its snapshot suffix (``unit-faces-male-paper-8000`` → ``unit-faces-male-paper``), so a
    run's snapshots sort by step with its last state after them."""
    suffix = f"-{row['step']}"
    return row["run"][: -len(suffix)] if row["run"].endswith(suffix) else row["run"]


def fidelity_order(row: dict) -> tuple:
    """Fidelity rows by dataset, then run, a run's snapshots by step and its last state after them."""
    return row["dataset"], run_family(row), row["step"]


def fidelity_table() -> None:
    """The reconstruction rows of ``fidelity`` (docs/unit.md)."""
    rows = json.loads(FIDELITY.read_text()) if FIDELITY.is_file() else []
    print("| run or checkpoint | step | reconstruction L1 A / B | kept by the reconstruction A / B % "
          "| glasses wearers still wearing them A / B % |")
    print("|---|---|---|---|---|")
    for r in rows:  # stored in fidelity_order
        print(f"| {r['run']} | {r['step']} | {num(r['recon_l1_a'])} / {num(r['recon_l1_b'])} "
              f"| {pct(r['recon_kept_mean_a'])} / {pct(r['recon_kept_mean_b'])} "
              f"| {pct(r.get('recon_glasses_on_wearers_a'))} / {pct(r.get('recon_glasses_on_wearers_b'))} |")


def val_table() -> None:
    """The validation rows the snapshot was chosen on (docs/unit.md)."""
    rows = json.loads(VAL.read_text()) if VAL.is_file() else []
    print("| run | step | train min | flipped A→B / B→A % | kept mean A→B / B→A % | cycle L1 A / B "
          "| diversity A→B / B→A | z diversity A→B / B→A |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['step']} | {r['minutes']:.0f} | {pct(r['flipped_a2b'])} / {pct(r['flipped_b2a'])} "
              f"| {pct(r['kept_mean_a2b'])} / {pct(r['kept_mean_b2a'])} "
              f"| {num(r.get('cycle_l1_a'))} / {num(r.get('cycle_l1_b'))} "
              f"| {num(r['diversity_a2b'], '.2f')} / {num(r['diversity_b2a'], '.2f')} "
              f"| {num(r.get('z_diversity_a2b'))} / {num(r.get('z_diversity_b2a'))} |")


@torch.no_grad()
def gallery(name: str, out: str, n: int = 8) -> None:
    """Rows per domain: test faces x, UNIT G(μ(x)), two draws G(μ(x) + η), DiscoGAN's G(x)."""
    m = hub.load_model(name).eval()
    other = discogan_counterpart(name)
    dg = hub.load_model(other).eval() if other else None
    data = m.load_data(m.cfg, resolve_root(None), "test").tensors
    rows = []
    for side, d in (("A", "a2b"), ("B", "b2a")):
        x = data[side][:n]
        rows += [x, m.translate(x, d), m.translate(x, d, seed=1), m.translate(x, d, seed=2)]
        if dg is not None:
            rows.append(dg.translate(x, d))
    save_image(torch.cat(rows).cpu() * 0.5 + 0.5, out, nrow=n)
    print(f"wrote {out}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("table")
    sub.add_parser("val-table")
    sel = sub.add_parser("select")
    sel.add_argument("runs", nargs="+")
    fid = sub.add_parser("fidelity")
    fid.add_argument("targets", nargs="+")
    sub.add_parser("fidelity-table")
    add_gallery_command(sub, 8)
    a = p.parse_args()
    if a.cmd == "table":
        table()
    elif a.cmd == "val-table":
        val_table()
    elif a.cmd == "select":
        select(a.runs)
    elif a.cmd == "fidelity":
        fidelity(a.targets)
    elif a.cmd == "fidelity-table":
        fidelity_table()
    else:
        gallery(a.checkpoint, a.output, a.n)


if __name__ == "__main__":
    main()
