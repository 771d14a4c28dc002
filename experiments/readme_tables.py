"""Regenerate the result tables of ``README.md`` and ``docs/*.md`` in place, between
``<!-- name -->`` and ``<!-- /name -->`` markers, from the committed checkpoints' stored metrics
(nothing of ours is typed in; only the papers' figures are constants, here and in
:mod:`experiments.disentangle_table`). Each block is rewritten in whichever file holds its markers.

    python -m experiments.readme_tables            # rewrite the blocks
    python -m experiments.readme_tables --check    # exit 1 if any block is out of date (writes nothing)
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
from pathlib import Path

from experiments import avatars as avatar_tables
from experiments import cogan_digits, cogan_faces, discogan_sweep, discogan_table, disentangle_table, judge_robustness, unit_digits, unit_faces
from experiments.discogan_table import meta, pct
from xdomain import registry

ROOT = Path(__file__).resolve().parents[1]

# The papers' own figures beside ours in README.md's headline table ("—": the paper quotes no figure
# for the setting we run). Disentanglement figures come from disentangle_table.ROWS (paper Table 1).
TOY2D_PAPER = "10 / 0"  # DiscoGAN §3.1, Fig. 4: all 10 B modes covered, no two A modes collide
COGAN_PAPER = {"mnist_negative": "0.967", "mnist_edge": "0.952"}  # Liu & Tuzel Tables 3–4 (iterations grid-searched)


def pair(m: dict, a: str, b: str) -> str:
    return f"{pct(m.get(a))} / {pct(m.get(b))}"


def results() -> None:
    """README.md's one table across methods: each checkpoint's headline metric, the paper's beside it."""
    rows = []  # (method page, checkpoint, metric, ours, paper)
    toy = registry.CHECKPOINT_DIR / "toy2d-runs" / "summary.json"
    if toy.is_file():
        runs = json.loads(toy.read_text())
        f = runs["final"]["discogan"]
        ours = " / ".join(f"{f[k]['mean']:.1f} ± {f[k]['std']:.1f}" for k in ("modes_covered", "collisions"))
        rows.append(("toy2d", f"`toy2d-runs` (DiscoGAN, {len(runs['seeds'])} seeds)",
                     "B modes covered (of 10) / A-mode collisions", ours, TOY2D_PAPER))
    if m := meta(disentangle_table.MAIN):
        for label, keys, scale, paper in disentangle_table.ROWS[:2]:
            rows.append(("disentangle", f"`{disentangle_table.MAIN}`", label + " %",
                         disentangle_table.fmt(m["metrics"], keys, scale), paper))
    if m := meta("dtn-usps-mnist"):
        rows.append(("dtn", "`dtn-usps-mnist`", "MNIST judge on G(USPS test) vs USPS labels %",
                     pct(m["metrics"].get("judge_acc_on_G_source_test")), "—"))
    if m := meta("dtn-faces-emoji"):
        x = m["metrics"]
        rows.append(("dtn", "`dtn-faces-emoji`", "emoji-ness of G(face) (real faces) %",
                     f"{pct(x.get('emojiness'))} ({pct(x.get('emojiness_of_real_faces'))})", "—"))
    if m := meta("discogan-celeba-male"):
        x = m["metrics"]
        rows.append(("discogan", "`discogan-celeba-male`", "Male ↔ Female: target flipped, M→F / F→M %",
                     pair(x, "flipped_a2b", "flipped_b2a"), "—"))
        rows.append(("discogan", "`discogan-celeba-male`", "Male ↔ Female: other attributes kept, M→F / F→M %",
                     pair(x, "kept_mean_a2b", "kept_mean_b2a"), "—"))
    if m := meta("discogan-fashion-bags-shoes"):
        rows.append(("discogan", "`discogan-fashion-bags-shoes`", "bags → shoes / shoes → bags judged as the "
                     "target %", pair(m["metrics"], "flipped_a2b", "flipped_b2a"), "—"))
    for name in ("cogan-mnist-negative", "cogan-mnist-edge"):
        if m := meta(name):
            x, task = m["metrics"], m["config"]["dataset"]
            rows.append(("cogan", f"`{name}`", f"pixel agreement of pairs, {task[6:]} (floor: random real pairs)",
                         f"{x['pixel_agreement']:.3f} ({x['pixel_agreement_floor']:.3f})", COGAN_PAPER[task]))
    if avatar_tables.OUT.is_file():
        res = json.loads(avatar_tables.OUT.read_text())
        for key, label in (("parametric:avataaars", "parametric avatar (`avataaars`)"),
                           ("dtn-faces-avatars", "`dtn-faces-avatars`"), ("dtn-faces-emoji", "`dtn-faces-emoji`")):
            if r := res["rows"].get(key):
                rows.append(("avatars", label, "face → avatar, test faces: balanced acc. hair / glasses / facial hair / "
                             "smiling %, skin ρ, identity median rank (share of gallery)",
                             " / ".join(pct(r[k]) for k in ("bal_acc_hair", "bal_acc_eyeglasses", "bal_acc_facial_hair",
                                                             "bal_acc_smiling"))
                             + f", {r['skin_spearman']:.2f}, {r['id_median_rank']:.0f} ({pct(r['id_median_rank_share'])}%)",
                             "≈ 16 (bitmoji; quoted in shared/FINDINGS.md, not in our paper notes)"))
    print("| method | checkpoint | headline metric | ours | paper |")
    print("|---|---|---|---|---|")
    for method, ckpt, metric, ours, paper in rows:
        print(f"| [`{method}`](docs/{method}.md) | {ckpt} | {metric} | {ours} | {paper} |")
    from xdomain.data.domains import dataset_info
    from xdomain.metrics.bars import BARS, figure_text

    for name in unit_faces.unit_face_checkpoints():
        if m := meta(name):
            spec = registry.get_checkpoint(name)
            a, b = dataset_info(spec.dataset).domain_names
            lows = BARS[spec.bar].minimum
            for what, key in (("target flipped", "flipped"), ("other attributes kept", "kept_mean")):
                ours = " / ".join(figure_text(m["metrics"][f"{key}_{d}"], lows[key]).rstrip("%") for d in ("a2b", "b2a"))
                print(f"| [`unit`](docs/unit.md) | `{name}` | {a} ↔ {b}: {what}, {a} → {b} / {b} → {a} % | {ours} | — |")
    unit_adaptation_row()
    print()
    face_offers()


def unit_adaptation_row() -> None:
    """UNIT MNIST ↔ USPS: the last-step target test accuracy, mean ± std over seeds, once every direction has
    its three seeds scored (``experiments.unit_digits score``) in its headline set (``unit_digits.HEADLINE``); until
    then, where the runs stand."""
    from experiments.snapshots import mean_std

    rows = json.loads(unit_digits.OUT.read_text()) if unit_digits.OUT.is_file() else []
    last = {d: [r["test_last"]["acc_target_test"] for r in rows if r["direction"] == d and not r["source_only"]
                and "test_last" in r and r.get("group", "") == unit_digits.HEADLINE.get(d, "")]
            for d in unit_digits.PAPER_ACC}
    paper = " / ".join(unit_digits.PAPER_ACC.values()) + " (best test point during training)"
    what = "MNIST → USPS / USPS → MNIST: target test accuracy of the shared classifier"
    if all(len(v) >= 3 for v in last.values()):
        ours = " / ".join(mean_std(v) for v in last.values())
        print(f"| [`unit`](docs/unit.md) | digit adaptation ({min(map(len, last.values()))} seeds, last step) | {what} | "
              f"{ours} | {paper} |")
    else:
        print(f"| [`unit`](docs/unit.md) | — | {what}: three-seed runs in progress, nothing offered yet | — | {paper} |")


def face_offers() -> None:
    """Which Face-tab targets clear their quality bar (xdomain.metrics.bars), from the stored metrics."""
    from xdomain.data.domains import dataset_info
    from xdomain.explore.faces import method_title
    from xdomain.metrics import bars

    print("The Face tab offers a direction only when its stored test figures clear its bar "
          f"({bars.BARS['face-attribute'].about}); the others are listed there as *experimental*:")
    print()
    print("| Face-tab target | offered | figures |")
    print("|---|---|---|")
    for c in registry.checkpoints_for_tab("face"):
        m = meta(c.name)
        if m is None:
            continue
        dirs = tuple(m.get("facts", {}).get("directions") or ("a2b",))  # the translator contract, as stored
        for d in dirs:
            v = bars.check(c.bar, m.get("metrics", {}), d)
            a, b = dataset_info(c.dataset).domain_names
            title = method_title(c.name)  # two methods (or a variant) may share a pair: DiscoGAN, UNIT, UNIT + L_ATTR
            label = c.label if len(dirs) == 1 else f"{a} → {b} ({title})" if d == "a2b" else f"{b} → {a} ({title})"
            print(f"| {label} | {'yes' if v.passed else 'experimental'} | {v.summary(bars.BARS[c.bar]) if c.bar else '—'} |")


def _reader_calibration(name: str) -> dict:
    """A reader's stored calibration (its ``config.json``): the val figures of the revisions measured with it."""
    from xdomain import hub
    from xdomain.avatar_fit import CALIBRATION_KEY
    from xdomain.registry import CHECKPOINTS

    return hub.read_meta(CHECKPOINTS[name].local_dir).get(CALIBRATION_KEY, {})


TABLES = {
    "results": results,
    "disentangle-table": lambda: disentangle_table.main("main"),
    "disentangle-ablation": lambda: disentangle_table.main("ablation"),
    "discogan-table": discogan_table.main,
    "discogan-sweep": discogan_sweep.table,
    "discogan-select": lambda: discogan_sweep.table("val"),
    "judge-robustness": lambda: judge_robustness.main([]),
    "cogan-digits": lambda: print(cogan_digits.table(json.loads(cogan_digits.OUT.read_text()))),
    "cogan-sharing": lambda: print(cogan_digits.sharing_table(json.loads(cogan_digits.SHARING.read_text()))),
    "cogan-adapt": lambda: print(cogan_digits.adapt_table(json.loads(cogan_digits.ADAPT.read_text()))),
    "cogan-adapt-runs": lambda: print(cogan_digits.adapt_runs_table(json.loads(cogan_digits.ADAPT.read_text()))),
    "cogan-faces": lambda: print(cogan_faces.table(json.loads(cogan_faces.OUT.read_text()))),
    "unit-faces": unit_faces.table,
    "unit-faces-val": unit_faces.val_table,
    "unit-faces-fidelity": unit_faces.fidelity_table,
    "unit-probes": lambda: print(unit_digits.probe_table(json.loads(unit_digits.PROBES.read_text()))),
    "unit-digits": lambda: print(unit_digits.table(json.loads(unit_digits.OUT.read_text()))),
    "unit-digits-runs": lambda: print(unit_digits.runs_table(json.loads(unit_digits.OUT.read_text()))),
    "unit-sharing": lambda: print(unit_digits.sharing_table(json.loads(unit_digits.SHARING.read_text()))),
    "avatars-eval": lambda: print(avatar_tables.eval_table(json.loads(avatar_tables.OUT.read_text()))),
    "avatars-dtn": lambda: print(avatar_tables.dtn_runs_table(json.loads(avatar_tables.DTN_RUNS.read_text()))),
    "avatars-dtn-snapshots": lambda: print(avatar_tables.snapshot_figures_table(
        json.loads(avatar_tables.SNAPSHOT_FIGURES.read_text()))),
    "avatars-f": lambda: print(avatar_tables.f_table(json.loads(avatar_tables.F_READS.read_text()))),
    "avatars-skin-choice": lambda: print(avatar_tables.skin_choice_table(
        _reader_calibration(avatar_tables.REV2_READER)["skin_choice_comparison"])),
    "avatars-reader": lambda: print(avatar_tables.reader_table(_reader_calibration("reader-celeba-attrs"),
                                                             _reader_calibration(avatar_tables.REV2_READER))),
    "avatars-chooser": lambda: print(avatar_tables.chooser_table(_reader_calibration("reader-celeba-attrs"))),
    "avatars-geometry": lambda: print(avatar_tables.geometry_table(_reader_calibration("reader-celeba-attrs"))),
}


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def render(fn) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn()
    return buf.getvalue().strip()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="exit 1 if any generated block is out of date; write nothing")
    a = p.parse_args(argv)
    old = {path: path.read_text() for path in documents()}
    new = dict(old)
    stale, missing = [], []
    for name, fn in TABLES.items():
        pat = re.compile(rf"(<!-- {re.escape(name)} -->\n).*?(<!-- /{re.escape(name)} -->)", re.S)
        holders = [path for path, text in new.items() if pat.search(text)]
        if not holders:
            missing.append(name)
            print(f"no <!-- {name} --> markers in README.md or docs/*.md; skipped")
            continue
        block = render(fn)
        for path in holders:
            text = pat.sub(lambda m: m.group(1) + block + "\n" + m.group(2), new[path])
            if text != new[path]:
                stale.append(f"{path.relative_to(ROOT)}: <!-- {name} -->")
            new[path] = text
    if a.check:
        for s in stale:
            print(f"out of date: {s}")
        if stale or missing:
            print("run `python -m experiments.readme_tables` to regenerate")
            return 1
        print(f"all {len(TABLES)} generated tables are up to date")
        return 0
    changed = [path for path in new if new[path] != old[path]]
    for path in changed:
        path.write_text(new[path])
    names = ", ".join(str(path.relative_to(ROOT)) for path in changed)
    print(f"updated {names}" if changed else "nothing to update: all tables are up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
