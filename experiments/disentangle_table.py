"""Print the disentanglement tables of ``docs/disentangle.md`` from the committed checkpoints' stored
metrics (computed by ``python -m xdomain eval <ckpt> --write``; only the paper's column is typed in,
from Table 1 and Table 3 of the paper).

    python -m experiments.disentangle_table [main|ablation]
"""
from __future__ import annotations

import sys

from experiments.discogan_table import meta

MAIN, REF = "disentangle-mnist-cdcb", "disentangle-mnist-cdcb-1600"
ABLATIONS = {"disentangle-mnist-cdcb-no_auto": "no cross-domain autoencoder", "disentangle-mnist-cdcb-no_grl": "no GRL"}
ROWS = [  # (label, key pair, scale, paper)
    ("shared Recall@1 (same digit), CD→CB / CB→CD", ("recall1_label_shared_cd2cb", "recall1_label_shared_cb2cd"), 100, "99.99 / 99.95"),
    ("exclusive Recall@1", ("recall1_label_exclusive_cd2cb", "recall1_label_exclusive_cb2cd"), 100, "9.93 / 9.80"),
    ("pixels Recall@1", ("recall1_label_pixels_cd2cb", "recall1_label_pixels_cb2cd"), 100, "30.45 / 40.02"),
    ("shared Recall@1, exact pair (stricter)", ("recall1_exact_shared_cd2cb", "recall1_exact_shared_cb2cd"), 100, "—"),
    ("union: share of 10-NN from the other domain, shared / pixels", ("union_other_share_shared", "union_other_share_pixels"), 100, "46 / ≈0"),
    ("analogy RMS error ×10⁻², CD / CB", ("analogy_dist_CD", "analogy_dist_CB"), 1, "10.2 / 13.0"),
    ("digit kept over 16 random z (MNIST judge), CD→CB / CB→CD", ("digit_kept_cd2cb", "digit_kept_cb2cd"), 100, "—"),
    ("colour std over z (uniform colours: 0.289), CD→CB / CB→CD", ("colour_std_cd2cb", "colour_std_cb2cd"), 1, "—"),
]


def fmt(m: dict, keys: tuple[str, str], scale: float) -> str:
    if not all(k in m for k in keys):
        return "—"
    return " / ".join(f"{scale * m[k]:.2f}" if scale == 100 else f"{m[k]:.3g}" for k in keys)


def main(part: str = "all") -> None:
    m = meta(MAIN)
    if m and part in ("all", "main"):
        t = m["training"]
        print(f"`{MAIN}`: {t['steps']} steps in {t['wall_time_s'] / 60:.1f} min, {int(m['metrics']['n_test'])} test pairs; "
              f"the judge reads {100 * m['metrics'].get('judge_acc_gt_CD', float('nan')):.2f}% of the real test digits.\n")
        print("| metric | ours | paper |\n|---|---|---|")
        for label, keys, scale, paper in ROWS:
            print(f"| {label} | {fmt(m['metrics'], keys, scale)} | {paper} |")
    r = meta(REF)
    abl = {label: m for name, label in ABLATIONS.items() if (m := meta(name))}
    if r and abl and part in ("all", "ablation"):
        steps = " / ".join(str(x["training"]["steps"]) for x in (r, *abl.values()))
        print(f"Ablations at equal steps ({steps}), {int(r['metrics']['n_test'])} test pairs:\n")
        print("| metric | full model | " + " | ".join(abl) + " |\n|---|---|" + "---|" * len(abl))
        for label, keys, scale, _ in ROWS:
            cells = [fmt(x["metrics"], keys, scale) for x in (r, *abl.values())]
            print(f"| {label} | " + " | ".join(cells) + " |")

if __name__ == "__main__":
    main(*sys.argv[1:2])
