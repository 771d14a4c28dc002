"""Choose a DiscoGAN snapshot on CelebA *validation* identities by a rule fixed before the runs.

The rule (issue 17, written down before its two runs ended; ``runs/SELECTION.md`` at the time):

1. candidates are the snapshots of one run (every 2,000 steps) and its last state, scored on the
   validation identities by ``python -m experiments.discogan_sweep --split val`` (rows in
   ``docs/discogan_sweep.json``);
2. among those with target flipped ≥ 80% in both directions and diversity ≥ 0.9 both ways, pick the
   highest *minimum over the two directions* of the kept mean;
3. if none qualifies, pick the highest minimum over directions of flipped among those with diversity
   ≥ 0.9; if none has that diversity either, the highest minimum of flipped.

Test figures are read only for the pick and for the last step (``python -m xdomain eval --write``).

    python -m experiments.select_snapshot dg-blond-ema     # prints the candidates and the pick
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from experiments.discogan_sweep import OUT

FLIP, DIVERSITY = 0.80, 0.90


def both(row: dict, stem: str) -> float:
    """The smaller of the two directions' figures (0 when a direction was not measured)."""
    return min(row.get(f"{stem}_a2b", 0.0), row.get(f"{stem}_b2a", 0.0))


def select(rows: list[dict]) -> tuple[dict, str]:
    """The chosen validation row and which clause of the rule chose it."""
    if not rows:
        raise ValueError("no validation rows for this run: run experiments.discogan_sweep --split val first")
    diverse = [r for r in rows if both(r, "diversity") >= DIVERSITY]
    passing = [r for r in diverse if both(r, "flipped") >= FLIP]
    if passing:
        return max(passing, key=lambda r: (both(r, "kept_mean"), r["step"])), "flipped ≥ 80% and diversity ≥ 0.9: best kept"
    if diverse:
        return max(diverse, key=lambda r: (both(r, "flipped"), r["step"])), "none flips 80% both ways: best flipped"
    return max(rows, key=lambda r: (both(r, "flipped"), r["step"])), "none has diversity 0.9: best flipped"


def rows_of(run: str) -> list[dict]:
    """Validation rows of ``run``'s snapshots (``run-2000``, …) and of its last state (``run``)."""
    rows = json.loads(Path(OUT).read_text())
    return [r for r in rows if r["split"] == "val" and (r["run"] == run or r["run"].startswith(run + "-"))
            and not r["run"].endswith("-live")]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run", help="run name as stored in docs/discogan_sweep.json (the folder name under runs/)")
    a = p.parse_args(argv)
    rows = sorted(rows_of(a.run), key=lambda r: r["step"])
    for r in rows:
        print(f"{r['run']:<28} step {r['step']:>6}  flipped {both(r, 'flipped'):.3f}  kept {both(r, 'kept_mean'):.3f}  "
              f"diversity {both(r, 'diversity'):.2f}   (min over directions)")
    pick, why = select(rows)
    print(f"pick: {pick['run']} (step {pick['step']}) — {why}")


if __name__ == "__main__":
    main()
