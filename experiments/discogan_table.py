"""Print the DiscoGAN tables of ``docs/discogan.md`` from the committed checkpoints' stored metrics
(computed by ``python -m xdomain eval <ckpt> --write``; nothing here is typed in).

    python -m experiments.discogan_table
"""
from __future__ import annotations

import json
from pathlib import Path

from xdomain import hub, registry
from xdomain.metrics.discogan import KEPT_ATTRS, pair_attributes

# Checkpoints taken out of checkpoints/ once their experiment was done (scripts/retire_checkpoints.py): their
# stored metadata, copied verbatim, and the commit that still holds their weights.
RETIRED_RECORD = Path(__file__).resolve().parents[1] / "docs" / "retired_checkpoints.json"


def retired_record() -> dict[str, dict]:
    """Name → record of every retired checkpoint (empty before the first retirement)."""
    return json.loads(RETIRED_RECORD.read_text()) if RETIRED_RECORD.is_file() else {}


RETIRED = retired_record()
NAMES = ([c.name for c in registry.CHECKPOINTS.values() if c.method == "discogan"]
         + [n for n, r in RETIRED.items() if r["method"] == "discogan"])


def pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f}"


def num(v, fmt: str = ".3f") -> str:
    return "—" if v is None else format(v, fmt)


def meta(name: str) -> dict | None:
    """A committed checkpoint's stored metadata (config, training, metrics), or a retired one's record; None
    when it has not landed."""
    if name in RETIRED:
        return RETIRED[name]["meta"]
    try:
        return hub.read_meta(hub.resolve(name, allow_download=False))
    except hub.CheckpointError:
        return None


def shown(name: str) -> str:
    """A table's checkpoint cell: the name, marked when the weights now live only in git history."""
    return f"`{name}` (retired)" if name in RETIRED else f"`{name}`"


def add_gallery_command(sub, n: int) -> None:
    """The ``gallery CHECKPOINT OUTPUT [--n N]`` subcommand of an experiment script."""
    g = sub.add_parser("gallery")
    g.add_argument("checkpoint")
    g.add_argument("output")
    g.add_argument("--n", type=int, default=n)


def main() -> None:
    rows = []
    for name in NAMES:
        if (stored := meta(name)) is None:
            continue
        rows.append((name, stored["metrics"], stored["config"], stored["training"]))
    print("| checkpoint | variant | balanced | L_CONST | steps | train min | flipped A→B / B→A % | judge on real B / A % "
          "| kept mean A→B / B→A % | first judge: flipped / kept mean % | cycle L1 A / B | drift L1 A after 1/2/4 "
          "| diversity A→B / B→A |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, m, c, t in rows:
        const = "—" if c["variant"] == "gan" else f"{c['w_const']:g} × {c['recon'].upper()}"
        first = (f"{pct(m.get('plain_judge_flipped_a2b'))} / {pct(m.get('plain_judge_flipped_b2a'))} ; "
                 f"{pct(m.get('plain_judge_kept_mean_a2b'))} / {pct(m.get('plain_judge_kept_mean_b2a'))}"
                 if "plain_judge_flipped_a2b" in m else "—")
        print(f"| {shown(name)} | {c['variant']} | {'yes' if c.get('balance') else 'no'} "
              f"| {const} | {t.get('steps')} "
              f"| {t.get('wall_time_s', 0) / 60:.1f} "
              f"| {pct(m.get('flipped_a2b'))} / {pct(m.get('flipped_b2a'))} "
              f"| {pct(m.get('judge_in_B_real_B'))} / {pct(m.get('judge_in_A_real_A'))} "
              f"| {pct(m.get('kept_mean_a2b'))} / {pct(m.get('kept_mean_b2a'))} | {first} "
              f"| {num(m.get('cycle_l1_a'))} / {num(m.get('cycle_l1_b'))} "
              f"| {' / '.join(num(m.get(f'drift_l1_a_{k}')) for k in (1, 2, 4))} "
              f"| {num(m.get('diversity_a2b'), '.2f')} / {num(m.get('diversity_b2a'), '.2f')} |")
    print()
    print("Attributes kept (the robust judge agrees on x and G(x)), % — chance in brackets:")
    print()
    print("| checkpoint | direction | " + " | ".join(KEPT_ATTRS) + " |")
    print("|---|---|" + "---|" * len(KEPT_ATTRS))
    for name, m, c, _ in rows:
        if not c["dataset"].startswith("celeba_"):
            continue
        for d in ("a2b", "b2a"):
            if f"kept_mean_{d}" not in m:
                continue
            cells = ["(target)" if a in pair_attributes(c["dataset"]) else
                     f"{pct(m.get(f'kept_{a}_{d}'))} ({pct(m.get(f'kept_chance_{a}_{d}'))})" for a in KEPT_ATTRS]
            print(f"| {shown(name)} | {d} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
