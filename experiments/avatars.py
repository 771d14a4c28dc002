"""Issue 16 — face → avatar: calibration of the parametric path, f on avatars, the judged figures, the gallery.

    python -m experiments.avatars calibrate [--write]      # f's thresholds on CelebA *val* identities
    python -m experiments.avatars read-avatars              # do f (and the old f) read avatars? (seed-1 val avatars)
    python -m experiments.avatars eval --split test [--write]   # every face → avatar path, the same judges
    python -m experiments.avatars gallery                   # docs/avatars_gallery.png (32 test faces, fixed seed)
    python -m experiments.avatars select runs/dtn-av-ref ...  # DTN snapshots chosen on val faces, then test
    python -m experiments.avatars identity-judge runs/id-judge-s8 runs/id-judge-s8-3000 ...  # a diagnostic
    python -m experiments.avatars cues [--write]            # revision 5: photo cues, adopted per style on val
    python -m experiments.avatars choice [--write]          # revision 6: f chooses the variant, adopted per style on val
    python -m experiments.avatars choice-k [--write]        # revision 7: how many candidates (K), chosen on val
    python -m experiments.avatars cues-off [--write]        # revision 8: f chooses the haircut too (cues off), on val
    python -m experiments.avatars choice-k --ks 64 128 --against revision-8 [--write]   # revision 9
    python -m experiments.avatars texture-guard [--write]   # revision 10: no textured haircut without wavy hair read
    python -m experiments.avatars skin-choice [--write]     # revision 13: f chooses the skin colour of the two nearest
    python -m experiments.avatars reader-snapshots runs/reader-attrs [--write]   # revision 16: its snapshots on val
    python -m experiments.avatars reader [--write]          # revision 16: the converged reader, adopted on val

Everything is computed from committed checkpoints and the data root; ``eval --write`` stores
``docs/avatars.json`` (the tables in ``docs/avatars.md`` are generated from it by
``python -m experiments.readme_tables``). The selection rule is ``docs/avatars_selection.md``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from xdomain import avatar_fit, hub
from xdomain.avatar_fit import (CALIBRATION_KEY, CHOOSER, CUE_ATTRS, CUE_VARIANTS, READER, READERS, USED_ATTRS,
                                AvatarFitter, VariantChooser, attribute_logits)
from xdomain.data import avatars, domains, resolve_root, sources
from xdomain.judges import balanced_threshold, judged_logits, load_judges
from xdomain.methods.dtn import AVATAR_JUDGES, load_teacher
from xdomain.metrics import avatars as am

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "avatars.json"
GALLERY = ROOT / "docs" / "avatars_gallery.png"
SKIN_PANEL = ROOT / "docs" / "avatars_skin_choice.png"
# Chardon et al.'s ITA bands (degrees): very light, light, intermediate, tan, brown, dark
ITA_BANDS = ((55, 90, "> 55"), (41, 55, "41–55"), (28, 41, "28–41"), (10, 28, "10–28"), (-30, 10, "−30–10"),
             (-90, -30, "< −30"))
DTN_CHECKPOINTS = ("dtn-faces-emoji", "dtn-faces-avatars")  # old Twemoji DTN, the avatar DTN (when committed)
DTN_RUNS = ROOT / "docs" / "avatars_dtn.json"
SNAPSHOT_FIGURES = ROOT / "docs" / "avatars_dtn_snapshots.json"  # revision 20's diagnostic (val)
F_READS = ROOT / "docs" / "avatars_f.json"
GHOSTS = ROOT / "docs" / "avatars_dtn_ghosts.png"  # revision 18's diagnostic: judge-read glasses the teacher never drew
SELECT_STEMS = ("bal_acc_hair", "bal_acc_eyeglasses", "bal_acc_facial_hair", "bal_acc_smiling", "skin_spearman")
# The reader revisions 2-15 were measured with (revision 16 replaced it): their comparisons re-run against it.
REV2_READER = "judge-celeba-attrs"
# The variant chooser revisions 6-16 were measured with (revision 17 may replace it): their comparisons re-run with it.
REV6_CHOOSER = "encoder-celeba-id"
HAIR_ADOPT_GAIN = 0.005  # revision 4: the joint hair offsets are adopted only for >= 0.5 points on validation


def faces(split: str, root=None, limit: int | None = None) -> dict[str, torch.Tensor]:
    x, cols = domains.celeba_split(resolve_root(root), split)
    idx = cols["index"][:limit]
    return {"A": domains.to_tensor(np.asarray(x[idx])),
            "attrs_A": torch.from_numpy(np.stack([cols[a][:limit] for a in sources.CELEBA_ATTRS], 1)),
            "identity_A": torch.from_numpy(cols["identity"][:limit].astype(np.int64))}


# ------------------------------------------------------------------------------ calibrate
def attribute_thresholds(z: torch.Tensor, attrs: torch.Tensor, names) -> dict[str, dict[str, float]]:
    """Per CelebA attribute in ``names``: the threshold on the reader's logits ``z`` [N, 40] that maximises
    balanced accuracy against the labels ``attrs`` [N, 40], and that accuracy."""
    out = {}
    for a in names:
        k = sources.CELEBA_ATTRS.index(a)
        t, bal = balanced_threshold(z[:, k], attrs[:, k])
        out[a] = {"threshold": t, "balanced_acc": bal}
    return out


def store_calibration(name: str, update: dict) -> Path:
    """Merge ``update`` into reader ``name``'s stored calibration (its ``config.json``, key :data:`CALIBRATION_KEY`)."""
    folder = hub.resolve(name, allow_download=False)
    meta = hub.read_meta(folder)
    meta[CALIBRATION_KEY] = meta.get(CALIBRATION_KEY, {}) | update
    hub.atomic_write_bytes(folder / hub.CONFIG_NAME, (json.dumps(meta, indent=2) + "\n").encode())
    return folder / hub.CONFIG_NAME


def used_thresholds(model, val: dict, logits: torch.Tensor | None = None) -> tuple[torch.Tensor, dict]:
    """(the reader's logits on ``val`` — ``logits`` if given —, its per-attribute thresholds over :data:`USED_ATTRS`
    and their mean balanced accuracy — revision 2's criterion for choosing a reader)."""
    z = attribute_logits(model, val["A"]) if logits is None else logits
    out: dict = {"split": "val", "n": int(len(z))} | attribute_thresholds(z, val["attrs_A"], USED_ATTRS)
    out["mean_balanced_acc"] = float(np.mean([out[a]["balanced_acc"] for a in USED_ATTRS]))
    return z, out


def calibrate(name: str, root=None, val: dict | None = None, logits: torch.Tensor | None = None) -> dict:
    """Per used attribute: the balanced-accuracy threshold of reader ``name`` on CelebA *val* identities
    (``logits``: its logits on ``val`` when the caller has them)."""
    val = faces("val", root) if val is None else val
    z, out = used_thresholds(hub.load_model(name) if logits is None else None, val, logits)
    # revision 4 (docs/avatars_selection.md): the four hair offsets, chosen together on the same val faces
    cols = [sources.CELEBA_ATTRS.index(am.CELEBA_HAIR[c]) for c in am.HAIR_COLOURS]
    margins = np.stack([(z[:, k] - out[am.CELEBA_HAIR[c]]["threshold"]).numpy()
                        for c, k in zip(am.HAIR_COLOURS, cols)], 1)
    labels = (val["attrs_A"][:, cols] > 0).numpy()
    before = avatar_fit.hair_score(margins, labels)
    offsets, after = avatar_fit.joint_hair_offsets(margins, labels)
    adopted = after - before >= HAIR_ADOPT_GAIN
    out["hair_joint"] = {"val_mean_before": before, "val_mean_after": after, "adopted": bool(adopted),
                         "offsets_found": dict(zip(am.HAIR_COLOURS, map(float, offsets)))}
    if adopted:
        out["hair_offsets"] = dict(zip(am.HAIR_COLOURS, map(float, offsets)))
    return out


# ------------------------------------------------------------------------------ revision 5: photo cues
CUE_BAR_FIGURES = ("bal_acc_hair", "bal_acc_eyeglasses", "bal_acc_facial_hair", "bal_acc_smiling", "skin_spearman")
CUE_MAX_DROP = 0.01  # no bar figure may fall by more than 1 point on val


def attribute_drops(base: dict, figs: dict) -> tuple[dict, bool]:
    """How far each bar figure fell from ``base`` to ``figs``, and whether none fell by more than 1 point: the
    attribute half of every revision's verdict (5 to 9)."""
    drops = {m: base[m] - figs[m] for m in CUE_BAR_FIGURES}
    return drops, all(d <= CUE_MAX_DROP for d in drops.values())


def print_change(base: dict, figs: dict, *label: str) -> None:
    """One progress line of a revision's comparison: ``label``, then each bar figure and the identity median rank as
    [``base``, ``figs``]."""
    print(*label, json.dumps({m: [round(base[m], 4), round(figs[m], 4)] for m in (*CUE_BAR_FIGURES, "id_median_rank")}),
          flush=True)


def adoption(styles, fitter_for, val: dict, judges: dict) -> tuple[dict, list[str]]:
    """The verdict revisions 5 and 6 share, per style: its val figures without and with the revision
    (``fitter_for(style, on)`` → the fitter to draw with) and adopted if the identity median rank is lower with
    it and no bar figure falls by more than 1 point. Returns ({style: figures and verdict}, adopted styles)."""
    rows, adopted = {}, []
    for style in styles:
        figs = {label: am.face_avatar_metrics(parametric_outputs(fitter_for(style, on), val["A"], style), val, judges)
                for label, on in (("without", False), ("with", True))}
        drops, kept = attribute_drops(figs["without"], figs["with"])
        ok = figs["with"]["id_median_rank"] < figs["without"]["id_median_rank"] and kept
        rows[style] = {"without": figs["without"], "with": figs["with"], "drops": drops, "adopted": ok}
        if ok:
            adopted.append(style)
        print_change(figs["without"], figs["with"], style, "adopted" if ok else "not adopted")
    return rows, adopted


def _setup(root=None, name: str = REV2_READER):
    """What a revision's comparison starts from: the reader it is measured with (revisions 5-16: :data:`REV2_READER`;
    17 on: :data:`READER`), its stored calibration, the CelebA *val* faces and the avatar judges."""
    reader = hub.load_model(name)
    return reader, hub.read_meta(reader.checkpoint_dir).get(CALIBRATION_KEY, {}), faces("val", root), \
        load_judges(AVATAR_JUDGES)


def cue_thresholds(reader, val: dict, logits: torch.Tensor | None = None) -> dict[str, dict[str, float]]:
    """The reader's :data:`CUE_ATTRS` thresholds on ``val`` (revision 5; ``logits``: its logits on ``val`` when the
    caller has them), with the share of faces each is on for."""
    z = attribute_logits(reader, val["A"]) if logits is None else logits
    thresholds = attribute_thresholds(z, val["attrs_A"], CUE_ATTRS)
    for a, t in thresholds.items():
        t["share_on"] = float((z[:, sources.CELEBA_ATTRS.index(a)] > t["threshold"]).float().mean())
    return thresholds


def cues_comparison(root=None) -> dict:
    """Revision 5 (docs/avatars_selection.md): the reader's cue thresholds on CelebA *val* identities, then per
    style with a cue table the parametric avatar's val figures without and with the cues (gallery = val), and
    the adoption verdict: identity median rank lower with the cues, no bar figure down by more than 1 point."""
    reader, cal, val, judges = _setup(root)
    thresholds = cue_thresholds(reader, val)
    cal = cal | {"cue_thresholds": thresholds}
    out: dict = {"split": "val", "n": int(len(val["A"])), "identity_judge_steps": judges["identity"].stored_training.get(
        "steps"), "cue_thresholds": thresholds, "styles": {}, "cue_styles": []}
    out["styles"], out["cue_styles"] = adoption(
        CUE_VARIANTS, lambda style, on: AvatarFitter(reader, cal, cue_styles=(style,) if on else ()), val, judges)
    return out


def choice_comparison(root=None) -> dict:
    """Revision 6 (docs/avatars_selection.md): per style, the parametric avatar's figures on CelebA *val*
    identities (gallery = val) as shipped (cues where adopted) and with f choosing among the seed candidates,
    and the adoption verdict (the same test as revision 5's)."""
    reader, cal, val, judges = _setup(root)
    chooser = VariantChooser(hub.load_model(REV6_CHOOSER))
    out: dict = {"split": "val", "n": int(len(val["A"])), "chooser": REV6_CHOOSER, "k": chooser.k,
                 "identity_judge_steps": judges["identity"].stored_training.get("steps"), "styles": {},
                 "choice_styles": []}
    out["styles"], out["choice_styles"] = adoption(avatars.STYLES, lambda style, on: AvatarFitter(
        reader, cal, chooser=chooser, choice_styles=(style,) if on else ()), val, judges)
    return out


def choice_k_comparison(ks=(16, 32), style: str = "avataaars", root=None, against: str = "revision-6") -> dict:
    """Revisions 7 and 9 (docs/avatars_selection.md): ``style``'s val figures with f choosing among K candidates
    for each K in ``ks`` (the cues as the stored calibration applies them), against the stored val row of
    revision 6 (K = 8, cues on) or revision 8 (K = 32, cues off), and the K the rule picks (None: K stays)."""
    reader, cal, val, judges = _setup(root)
    base = (cal["choice_comparison"][style]["with"] if against == "revision-6"
            else cal["cues_off_comparison"]["cues_off"])
    f = hub.load_model(REV6_CHOOSER)
    out: dict = {"split": "val", "n": int(len(val["A"])), "style": style, "against": against, "base": base, "k": {}}
    for k in ks:
        fitter = AvatarFitter(reader, cal, chooser=VariantChooser(f, k=k), choice_styles=(style,))
        figs = am.face_avatar_metrics(parametric_outputs(fitter, val["A"], style), val, judges)
        drops, ok = attribute_drops(base, figs)
        out["k"][str(k)] = {"figures": figs, "drops": drops, "attributes_kept": ok}
        print(style, k, json.dumps({m: round(figs[m], 4) for m in (*CUE_BAR_FIGURES, "id_median_rank")}), flush=True)
    ok = [k for k in ks if out["k"][str(k)]["attributes_kept"]]
    best = min(ok, key=lambda k: (out["k"][str(k)]["figures"]["id_median_rank"], k), default=None)
    out["chosen_k"] = best if best is not None and \
        out["k"][str(best)]["figures"]["id_median_rank"] < base["id_median_rank"] else None
    return out


def cues_off_comparison(style: str = "avataaars", root=None) -> dict:
    """Revision 8 (docs/avatars_selection.md): ``style``'s val figures with f choosing among the shipped K
    candidates but without the cue narrowing, against revision 7's stored val row, and the verdict."""
    reader, cal, val, judges = _setup(root)
    k = int(cal.get("cues_off_comparison", {}).get("k", cal["choice_k"]))  # revision 7's K, as when it was run
    base = cal["choice_k_comparison"][str(k)]["figures"]
    cue_styles = tuple(s for s in cal.get("cue_styles", ()) if s != style)
    fitter = AvatarFitter(reader, cal, cue_styles=cue_styles, chooser=VariantChooser(hub.load_model(REV6_CHOOSER), k=k),
                          choice_styles=(style,))
    figs = am.face_avatar_metrics(parametric_outputs(fitter, val["A"], style), val, judges)
    drops, kept = attribute_drops(base, figs)
    adopted = figs["id_median_rank"] < base["id_median_rank"] and kept
    print_change(base, figs, style, "adopted" if adopted else "not adopted")
    cues = list(cue_styles) if adopted else cal.get("cue_styles", [])
    return {"split": "val", "n": int(len(val["A"])), "style": style, "k": k, "revision_7": base, "cues_off": figs,
            "drops": drops, "adopted": adopted, "cue_styles": cues, "calibration_update": {
                "cue_styles": cues, "cues_off_comparison": {"cues_off": figs, "adopted": adopted, "k": k}}}


def texture_guard_comparison(style: str = "avataaars", root=None) -> dict:
    """Revision 10 (docs/avatars_selection.md): ``style``'s val figures with the texture guard, beside revision
    9's stored val row. The guard is a faithfulness constraint adopted whatever the figures are."""
    reader, cal, val, judges = _setup(root)
    k = int(cal["choice_k"])
    base = cal["choice_k_cues_off_comparison"][str(k)]["figures"]
    fitter = AvatarFitter(reader, cal, chooser=VariantChooser(hub.load_model(REV6_CHOOSER), k=k), guard_styles=(style,))
    figs = am.face_avatar_metrics(parametric_outputs(fitter, val["A"], style), val, judges)
    print_change(base, figs, style)
    return {"split": "val", "n": int(len(val["A"])), "style": style, "k": k, "revision_9": base, "guarded": figs,
            "calibration_update": {"texture_guard_styles": [style], "texture_guard_comparison": {"guarded": figs}}}


# ------------------------------------------------------------------------------ revision 16: a converged reader
DOWNSTREAM_KEYS = ("cue_styles", "choice_styles", "choice_k", "texture_guard_styles")  # kept from today's reader


def reader_snapshots(run: Path, root=None) -> dict:
    """Revision 16 (docs/avatars_selection.md): every snapshot of a reader run scored by revision 2's criterion
    (the mean val balanced accuracy over :data:`USED_ATTRS`, each at its best threshold); the pick (ties → later)."""
    from experiments.snapshots import select_and_test

    val = faces("val", root)
    out, _ = select_and_test(run, "val_mean_bal_acc", lambda m: used_thresholds(m, val)[1]["mean_balanced_acc"],
                             evaluate=False)
    return out


def reader_comparison(candidate: str, style: str = "avataaars", root=None) -> dict:
    """Revision 16: reader ``candidate`` calibrated on CelebA *val* identities as today's was (thresholds, the
    joint hair offsets, the cue thresholds) with today's downstream settings (:data:`DOWNSTREAM_KEYS`), ``style``'s
    val figures beside today's stored val row (revision 10's), and the verdict: (a) a higher mean balanced
    accuracy than today's reader, (b) a higher hair figure, (c) no other bar figure down by more than 1 point,
    (d) an identity median rank no higher."""
    reader, cal, val, judges = _setup(root)
    base = cal["texture_guard_comparison"]["guarded"]
    new = hub.load_model(candidate)
    z = attribute_logits(new, val["A"])  # once: the thresholds and the cue thresholds both read it
    new_cal = calibrate(candidate, val=val, logits=z) | {"cue_thresholds": cue_thresholds(new, val, z)} | {
        k: cal[k] for k in DOWNSTREAM_KEYS if k in cal}
    f = hub.load_model(REV6_CHOOSER)
    fitter = AvatarFitter(new, new_cal, chooser=VariantChooser(f, k=int(new_cal["choice_k"])))
    figs = am.face_avatar_metrics(parametric_outputs(fitter, val["A"], style), val, judges)
    drops, _ = attribute_drops(base, figs)  # (c) leaves hair to (b)
    verdict = {"a_reader": new_cal["mean_balanced_acc"] > cal["mean_balanced_acc"],
               "b_hair": figs["bal_acc_hair"] > base["bal_acc_hair"],
               "c_others": all(d <= CUE_MAX_DROP for m, d in drops.items() if m != "bal_acc_hair"),
               "d_identity": figs["id_median_rank"] <= base["id_median_rank"]}
    print_change(base, figs, style)
    return {"split": "val", "n": int(len(val["A"])), "style": style, "candidate": candidate, "today": REV2_READER,
            "mean_balanced_acc": {REV2_READER: cal["mean_balanced_acc"], candidate: new_cal["mean_balanced_acc"]},
            "today_row": base, "candidate_row": figs, "drops": drops, "verdict": verdict,
            "adopted": all(verdict.values()),
            "calibration": new_cal | {"reader_comparison": {"today_row": base, "candidate_row": figs,
                                                             "verdict": verdict, "adopted": all(verdict.values())}}}


def chooser_snapshots(run: Path, root=None) -> dict:
    """Revision 17 (docs/avatars_selection.md): every snapshot of a chooser run scored by the median rank of another
    photo of the same person among all CelebA *val* faces under its own embedding; the pick (lowest, ties → later)."""
    from experiments.snapshots import select_and_test

    val = faces("val", root)
    rank = lambda m: am.face_face_retrieval(m, val)["face_id_median_rank"]  # noqa: E731
    out, _ = select_and_test(run, "val_photo_pair_median_rank", rank, evaluate=False, higher_is_better=False)
    return out | {"today": rank(hub.load_model(CHOOSER))}


def chooser_comparison(candidate: str, style: str = "avataaars", root=None) -> dict:
    """Revision 17: ``style``'s val figures (gallery = val) with ``candidate`` as the variant chooser and today's
    reader, calibration and downstream settings, beside today's stored val row (revision 16's), and the verdict:
    (a) a lower identity median rank, (b) no bar figure down by more than 1 point."""
    reader, cal, val, judges = _setup(root, READER)
    base = cal["reader_comparison"]["candidate_row"]  # revision 16's val row, today's
    fitter = AvatarFitter(reader, cal, chooser=VariantChooser(hub.load_model(candidate), k=int(cal["choice_k"])))
    figs = am.face_avatar_metrics(parametric_outputs(fitter, val["A"], style), val, judges)
    drops, kept = attribute_drops(base, figs)
    verdict = {"a_identity": figs["id_median_rank"] < base["id_median_rank"], "b_no_bar_figure_down_1pt": kept}
    print_change(base, figs, style)
    return {"split": "val", "n": int(len(val["A"])), "style": style, "candidate": candidate, "today": CHOOSER,
            "today_row": base, "candidate_row": figs, "drops": drops, "verdict": verdict,
            "adopted": all(verdict.values())}


def geometry_comparison(style: str = "avataaars", root=None) -> dict:
    """Revision 21 (docs/avatars_selection.md): ``style``'s val figures (gallery = val) with f choosing the geometry
    after the seed, beside today's stored val row (revision 16's) and today's path recomputed from the same readings,
    the share of val faces each geometry is chosen for, and the verdict: (a) a lower identity median rank than the
    stored row, (b) no bar figure down by more than 1 point, (c) no geometry chosen for more than 60% of faces."""
    import dataclasses

    reader, cal, val, judges = _setup(root, READER)
    base = cal["reader_comparison"]["candidate_row"]  # revision 16's val row, today's
    fitter = AvatarFitter(reader, cal, chooser=VariantChooser(hub.load_model(CHOOSER), k=int(cal["choice_k"])),
                          geometry_styles=(style,))
    fitter.warm()
    readings = fitter.read(val["A"])
    params = {"today": [avatar_fit.params_for(dataclasses.replace(r, geometry_styles=()), style, 0,
                                              chooser=fitter.chooser) for r in readings],
              "geometry": [avatar_fit.params_for(r, style, 0, chooser=fitter.chooser) for r in readings]}
    figs = {}
    for label, ps in params.items():
        figs[label] = am.face_avatar_metrics(domains.to_tensor(np.stack([avatar_fit._render(p, 64) for p in ps])),
                                             val, judges)
        print_change(base, figs[label], style, label)
    chosen = [avatar_fit.geometry_of(p) for p in params["geometry"]]
    shares = {json.dumps(g): float(np.mean([c == g for c in chosen])) for g in avatar_fit.GEOMETRIES}
    drops, kept = attribute_drops(base, figs["geometry"])
    verdict = {"a_identity": figs["geometry"]["id_median_rank"] < base["id_median_rank"],
               "b_no_bar_figure_down_1pt": kept, "c_no_geometry_over_60pct": max(shares.values()) <= 0.6}
    print(json.dumps({"shares": shares, "verdict": verdict}, indent=1), flush=True)
    return {"split": "val", "n": int(len(val["A"])), "style": style, "revision_16_row": base, "today": figs["today"],
            "geometry": figs["geometry"], "drops": drops, "shares": shares, "verdict": verdict,
            "adopted": all(verdict.values())}


def pale_skin_auc(lightness, pale) -> float:
    """ROC AUC of the drawn colour's lightness for CelebA's ``Pale_Skin`` label (ties count half)."""
    from scipy.stats import mannwhitneyu

    x, y = np.asarray(lightness, np.float64), np.asarray(pale, bool)
    return float(mannwhitneyu(x[y], x[~y]).statistic / (y.sum() * (~y).sum()))


def skin_choice_comparison(style: str = "avataaars", root=None, panel: Path | None = SKIN_PANEL) -> dict:
    """Revision 13 (docs/avatars_selection.md): ``style``'s val figures with f choosing the skin colour between
    the two nearest, beside revision 10's stored val row (and today's path recomputed), the ``Pale_Skin`` AUC of
    the drawn colour's lightness, the palette shares, the moves per ITA band, and the verdict (the latency half,
    (d), is ``bench/bench_avatar.py``'s)."""
    import dataclasses

    reader, cal, val, judges = _setup(root)
    k = int(cal["choice_k"])
    base = cal["texture_guard_comparison"]["guarded"]
    fitter = AvatarFitter(reader, cal, chooser=VariantChooser(hub.load_model(REV6_CHOOSER), k=k), skin_choice_styles=(style,))
    fitter.warm()
    readings = fitter.read(val["A"])
    spec = avatars.get_spec(style)
    params = {"nearest": [avatar_fit.params_for(dataclasses.replace(r, skin_choice_styles=()), style, 0,
                                                chooser=fitter.chooser) for r in readings],
              "chosen": [avatar_fit.params_for(r, style, 0, chooser=fitter.chooser) for r in readings]}
    figs, colours = {}, {}
    pale = val["attrs_A"][:, sources.CELEBA_ATTRS.index("Pale_Skin")].numpy()
    for label, ps in params.items():
        out = domains.to_tensor(np.stack([avatar_fit._render(p, 64) for p in ps]))
        figs[label] = am.face_avatar_metrics(out, val, judges)
        colours[label] = [p.options[spec.skin_option][0] for p in ps]
        figs[label]["pale_skin_auc"] = pale_skin_auc([avatars.lightness(h) for h in colours[label]], pale)
        print(label, json.dumps({m: round(figs[label][m], 4) for m in (*CUE_BAR_FIGURES, "id_median_rank",
                                                                          "pale_skin_auc")}), flush=True)
    drops, kept = attribute_drops(base, figs["chosen"])
    verdict = {"a_identity_not_higher": figs["chosen"]["id_median_rank"] <= base["id_median_rank"],
               "b_no_bar_figure_down_1pt": kept,
               "c_pale_skin_auc_not_lower": figs["chosen"]["pale_skin_auc"] >= figs["nearest"]["pale_skin_auc"]}
    shares = {label: {h: float(np.mean([c == h for c in cs])) for h in spec.skin} for label, cs in colours.items()}
    order = list(spec.skin)  # light → dark
    itas = np.array([r.ita for r in readings])
    step = np.array([order.index(b) - order.index(a) for a, b in zip(colours["nearest"], colours["chosen"])])
    bands = {name: {"n": int(m.sum()), "lighter": float((step[m] < 0).mean()) if m.any() else 0.0,
                    "darker": float((step[m] > 0).mean()) if m.any() else 0.0}
             for lo, hi, name in ITA_BANDS for m in [(itas >= lo) & (itas < hi)]}
    if panel is not None:
        skin_panel(val["A"], params, itas, panel)
    print(json.dumps({"shares": shares, "bands": bands, "verdict": verdict}, indent=1), flush=True)
    return {"split": "val", "n": int(len(val["A"])), "style": style, "k": k, "revision_10": base,
            "nearest": figs["nearest"], "chosen": figs["chosen"], "drops": drops, "shares": shares, "bands": bands,
            "verdict_abc": verdict, "panel": str(panel.relative_to(ROOT)) if panel is not None else None}


def skin_panel(crops: torch.Tensor, params: dict, itas: np.ndarray, out: Path, n: int = 24, seed: int = 0) -> Path:
    """Revision 13's val panel: ``n`` val faces drawn by a fixed seed, sorted by ITA (lightest first), each as
    photo / nearest colour / f's choice, 8 triples a row."""
    from torchvision.utils import save_image

    idx = np.random.default_rng(seed).choice(len(crops), n, replace=False)
    idx = idx[np.argsort(-itas[idx])]
    tiles = []
    for i in idx:
        tiles += [crops[i]] + [domains.to_tensor(avatar_fit._render(params[k][i], 64)[None])[0] for k in ("nearest", "chosen")]
    save_image(torch.stack(tiles) * 0.5 + 0.5, out, nrow=12, padding=2, pad_value=1.0)
    return out


# ------------------------------------------------------------------------------ f on avatars
def read_avatars() -> dict:
    """Balanced accuracy of each f's CelebA attribute reading on rendered avatars (seed-1 val streams)."""
    data = [avatars.avatar_dataset(s, domains.AVATAR_SPLITS["val"], 4) for s in avatars.STYLES]
    x = domains.to_tensor(np.concatenate([d["images"] for d in data]))
    lab = {k: np.concatenate([d[k] for d in data]) for k in avatars.ATTRS}
    truth = {f"hair_{c}": lab["hair_color"] == avatars.GROUPS["hair_color"].index(c) for c in am.HAIR_COLOURS}
    truth |= {"eyeglasses": lab["glasses"] == 1, "facial_hair": lab["facial_hair"] == 1, "smiling": lab["smiling"] == 1}
    col = {f"hair_{c}": am.CELEBA_HAIR[c] for c in am.HAIR_COLOURS} | {"eyeglasses": "Eyeglasses", "smiling": "Smiling"}
    out = {}
    for name in READERS:
        m = hub.load_model(name)
        z = attribute_logits(m, x)
        row = {}
        for key, t in truth.items():
            logit = -z[:, sources.CELEBA_ATTRS.index("No_Beard")] if key == "facial_hair" else \
                z[:, sources.CELEBA_ATTRS.index(col[key])]
            row[key] = am.balanced_accuracy(logit.numpy() > 0, t)
        out[name] = row
    return {"n_avatars": int(len(x)), "styles": list(avatars.STYLES), "f": out}


# ------------------------------------------------------------------------------ eval
def parametric_outputs(fitter: AvatarFitter, crops: torch.Tensor, style: str, seed: int = 0) -> torch.Tensor:
    return avatar_fit.draw(fitter, crops, style, seed, size=64)


def evaluate(split: str, root=None, limit: int | None = None, only: list[str] | None = None) -> dict:
    """Every path (``only``: these row keys, e.g. ``dtn-faces-avatars``) under the same judges on ``split``."""
    data = faces(split, root)
    n = limit or len(data["A"])
    judges = load_judges(AVATAR_JUDGES)
    missing = [r for r, j in judges.items() if j is None]
    if missing:
        raise SystemExit(f"judges not available: {missing}")
    refs = {s: domains.to_tensor(avatars.avatar_dataset(s, domains.AVATAR_SPLITS["test"], 5)["images"])
            for s in avatars.STYLES}
    rows: dict = {}
    fitter = AvatarFitter.load(READER)
    for style in avatars.STYLES:
        if only and f"parametric:{style}" not in only:
            continue
        out = parametric_outputs(fitter, data["A"][:n], style)
        rows[f"parametric:{style}"] = am.face_avatar_metrics(out, data, judges, reference=refs[style])
        print(style, json.dumps({k: round(v, 3) for k, v in rows[f"parametric:{style}"].items()}), flush=True)
    for name in DTN_CHECKPOINTS:
        if only and name not in only:
            continue
        try:
            model = hub.load_model(name)
        except hub.CheckpointError:
            continue
        out = model.translate_batched(data["A"][:n])
        ref = refs.get(getattr(model.cfg, "avatar_style", ""), refs["avataaars"])
        rows[name] = am.face_avatar_metrics(out, data, judges, reference=ref)
        print(name, json.dumps({k: round(v, 3) for k, v in rows[name].items()}), flush=True)
    real = {"A": data["A"]}
    rows["real faces (sanity)"] = am.face_face_retrieval(judges["identity"], data | real)
    rows["real faces (sanity)"]["avatarness"] = float(
        (judged_logits(judges["avatarness"], data["A"][:n]).argmax(1) == 1).float().mean())
    judge_self = {r: j.stored_metrics | {"training_steps": j.stored_training.get("steps")} for r, j in judges.items()}
    return {"split": split, "n_faces": n, "gallery": len(data["A"]), "rows": rows, "judges": judge_self}


def store_in_checkpoints(rows: dict, only: list[str] | None = None) -> None:
    """Merge each committed DTN's test row (the figures of the face-emoji bar) into its checkpoint's metrics,
    keeping the metrics its own evaluation stored."""
    from xdomain import registry

    for name in DTN_CHECKPOINTS:
        folder = registry.CHECKPOINTS[name].local_dir if name in registry.CHECKPOINTS else None
        if name not in rows or (only and name not in only) or folder is None or not (folder / hub.CONFIG_NAME).is_file():
            continue
        hub.update_metrics(folder, hub.read_meta(folder).get("metrics", {}) | rows[name])
        print(f"stored the {name} row in {folder}")


# ------------------------------------------------------------------------------ DTN snapshot selection
def select(run: Path, root=None, evaluate: bool = True) -> dict:
    """The written rule (docs/avatars_selection.md): each snapshot's mean of the bar's figures on the first
    1,000 CelebA *val* faces, read by the avatar judge; the best (ties: later), then test for it and the last."""
    from experiments.snapshots import select_and_test

    val = faces("val", root)
    judge = load_judges({"avatar": AVATAR_JUDGES["avatar"]})

    def value(model) -> float:
        return float(np.mean(list(selection_figures(model, val, judge).values())))

    row, _ = select_and_test(run, "val_bar_mean", value, evaluate=evaluate)
    return row


def selection_figures(model, val: dict, judge: dict) -> dict[str, float]:
    """The figures the written rule averages (``SELECT_STEMS``): the bar's figures of ``model``'s outputs for the
    first 1,000 faces of ``val``, read by the avatar judge."""
    figs = am.face_avatar_metrics(model.translate_batched(val["A"][:1000]), val, judge)
    return {k: float(figs[k]) for k in SELECT_STEMS}


def snapshot_figures(runs: list[Path], root=None) -> dict:
    """Revision 20's diagnostic (val only, after the selection): each candidate's bar figures on the selection's
    1,000 CelebA val faces, per attribute (the selection stored only their mean) — which figure swings."""
    from experiments.snapshots import candidates
    from xdomain.train import load_run

    val = faces("val", root)
    judge = load_judges({"avatar": AVATAR_JUDGES["avatar"]})
    out = {}
    for run in runs:
        rows = []
        for c in candidates(run):
            model, step, _ = load_run(c)
            rows.append({"step": step} | {k: round(v, 5) for k, v in selection_figures(model, val, judge).items()})
        out[run.name] = rows
    return out


def snapshot_figures_table(res: dict) -> str:
    lines = ["Val figures of every candidate (the selection's 1,000 CelebA val faces; balanced accuracy %).", "",
             "| run | step | hair | glasses | facial hair | smiling | skin ρ | mean (the selection score) |",
             "|---|---|---|---|---|---|---|---|"]
    for run, rows in res.items():
        for r in rows:
            lines.append(f"| {RUN_LABELS.get(run, run)} | {r['step']:,} | " + " | ".join(
                f"{r[k]:.2f}" if k == "skin_spearman" else _p(r[k]) for k in SELECT_STEMS)
                + f" | {np.mean([r[k] for k in SELECT_STEMS]):.3f} |")
    return "\n".join(lines)


def dtn_readers(root=None, checkpoint: str = "dtn-faces-avatars", limit: int = 1000, figure: Path | None = None) -> dict:
    """Revision 18's diagnostic (val faces only): does G follow its teacher, read by the L_SEM reader s and by the
    avatar judge? Per attribute, the share of G(x) read "yes" among faces the teacher draws with / without it (for
    hair colour: the share read as the teacher's colour), by each reader, and the judge on the teacher's own avatars.
    ``figure``: photo / G(x) / teacher avatar for up to 12 faces the teacher draws without glasses and the judge
    reads glasses on G(x)."""
    model = hub.load_model(checkpoint)
    if not (model.cfg.epsilon and model.cfg.sem_reader):
        raise SystemExit(f"{checkpoint} was not trained with a teacher and an L_SEM reader")
    x = faces("val", root, limit)["A"]
    teacher = load_teacher(model.cfg.teacher)
    drawn, params = avatar_fit.draw(teacher, x, model.cfg.avatar_style, with_params=True)
    gx = model.translate_batched(x)
    readers = {"judge": load_judges({"avatar": AVATAR_JUDGES["avatar"]})["avatar"],
               "s": hub.load_model(model.cfg.sem_reader)}
    with torch.no_grad():
        read = {k: am.read_avatar(r.logits(gx)) for k, r in readers.items()}
        read["judge on the teacher's avatars"] = am.read_avatar(readers["judge"].logits(drawn))
    lab = [avatars.labels(p) for p in params]
    out: dict = {"checkpoint": checkpoint, "val_faces": len(x)}
    for a in avatars.BINARY:
        t = np.array([bool(d[a]) for d in lab])
        out[a] = {"teacher_share": float(t.mean())} | {
            f"{k}: yes | teacher yes / no": [float(r[a][t].mean()), float(r[a][~t].mean())] for k, r in read.items()}
    hc = np.array([d["hair_color"] for d in lab])
    has = hc != avatars.IGNORE
    names = np.array(avatars.GROUPS["hair_color"])[hc[has]]
    out["hair_color"] = {f"{k}: teacher's colour": float((r["hair_color"][has] == names).mean()) for k, r in read.items()}
    if figure is not None:
        from torchvision.utils import save_image

        t = np.array([bool(d["glasses"]) for d in lab])
        idx = np.nonzero(~t & read["judge"]["glasses"])[0][:12]
        save_image(torch.cat([x[idx], gx[idx], drawn[idx]]) * 0.5 + 0.5, figure, nrow=len(idx), padding=1)
    return out


# ------------------------------------------------------------------------------ tables (docs/avatars.md)
LABELS = {"parametric:avataaars": "parametric avatar, `avataaars`", "parametric:personas": "parametric avatar, `personas`",
          "parametric:micah": "parametric avatar, `micah`", "dtn-faces-emoji": "DTN, Twemoji (old checkpoint)",
          "dtn-faces-avatars": "DTN, `avataaars` (ε = 100 teacher flag + g reads the teacher's reader + ζ = 10 L_SEM with the blend-trained reader, step 1,000)"}


def _p(v) -> str:
    return "—" if v is None or v != v else f"{100 * v:.1f}"


def _figure_cells(r: dict) -> str:
    """One output's figures as table cells: hair | glasses | facial hair | smiling | skin ρ | identity | avatar-ness | diversity."""
    return (f"{_p(r.get('bal_acc_hair'))} | {_p(r.get('bal_acc_eyeglasses'))} | {_p(r.get('bal_acc_facial_hair'))} | "
            f"{_p(r.get('bal_acc_smiling'))} | {r.get('skin_spearman', 0):.2f} | {r.get('id_median_rank', 0):.0f} "
            f"({_p(r.get('id_median_rank_share'))}%) | {_p(r.get('avatarness'))} | {r.get('diversity', 0):.2f}")


def eval_table(res: dict) -> str:
    from xdomain.metrics import bars

    bar = bars.BARS["face-emoji"]
    lines = [f"Test identities: {res['n_faces']} faces, gallery {res['gallery']}. Balanced accuracy % (50 = no "
             "signal); hair = mean over blond / black / brown / grey.", "",
             "| output | hair | glasses | facial hair | smiling | skin ρ | identity median rank (share) | avatar-ness % "
             "| diversity | bar |", "|---|---|---|---|---|---|---|---|---|---|"]
    for key, r in res["rows"].items():
        if key.startswith("real"):
            continue
        ok = bars.check("face-emoji", r).passed
        lines.append(f"| {LABELS.get(key, key)} | {_figure_cells(r)} | {'meets' if ok else 'misses'} |")
    real = res["rows"].get("real faces (sanity)", {})
    lines.append(f"| *real faces (sanity: another photo of the person as query)* | | | | | | "
                 f"{real.get('face_id_median_rank', 0):.0f} ({_p(real.get('face_id_median_rank_share'))}%) | "
                 f"{_p(real.get('avatarness'))} | | |")
    lines += ["", f"Bar: {bar.about}. Per hair colour (blond / black / brown / grey):", ""]
    for key, r in res["rows"].items():
        if "bal_acc_hair_blond" in r:
            lines.append(f"- {LABELS.get(key, key)}: " + " / ".join(_p(r[f"bal_acc_hair_{c}"]) for c in am.HAIR_COLOURS))
    return "\n".join(lines)


RUN_LABELS = {"dtn-av-ref": "reference (paper losses)", "dtn-av-delta": "flag δ = 10 (L_ATTR)",
              "dtn-av-teacher": "flag ε = 10 (L_PAR, parametric teacher)",
              "dtn-av-eps30": "flag ε = 30 (L_PAR, revision 10's teacher)",
              "dtn-av-eps100": "flag ε = 100 (L_PAR, revision 10's teacher)",
              "dtn-av-eps100-long": "ε = 100 continued past the equal budget (revision 12; snapshots from 2,500)",
              "dtn-av-reader": "ε = 100 + g reads the teacher's reader (revision 14; two threads)",
              "dtn-av-frames": "revision 14 + the teacher's glasses frames dark (revision 15)",
              "dtn-av-reader-long": "revision 14 continued past the equal budget (revision 15; snapshots from 2,500)",
              "dtn-av-reader16": "revision 14 with revision 16's reader as teacher and g's reader input",
              "dtn-av-sem": "revision 14 + ζ = 10 L_SEM through the avatar reader (revision 18; two threads)",
              "dtn-av-blend": "revision 18 with the blend-trained L_SEM reader (revision 19; two threads)",
              "dtn-av-blend-s1": "revision 19, seed 1 (revision 20; one thread, beside the next run)",
              "dtn-av-ema": "revision 19 + g's weight average, β = 0.9975 (revision 20; one thread)",
              "dtn-av-dec": "revision 19 + g reads the teacher's decisions (revision 22; one thread)",
              "dtn-av-dec-r16": "revision 22 with revision 16's reader as teacher and g's reader input (one thread)"}


def dtn_runs_table(rows: list[dict]) -> str:
    """docs/avatars_dtn.json as a table: each run's validation scores per snapshot, its chosen and last step on test."""
    lines = ["Validation score = mean of the bar's figures (hair, glasses, facial hair, smiling balanced accuracy, skin ρ) "
             "on 1,000 CelebA val faces; test = 4,640 test faces. Balanced accuracy %. For the three runs of revision 3 "
             "the identity column was read by the first identity judge (v1, 3,000 steps, now retired): those runs were "
             "pruned before v2 existed, so only their committed pick (the ε = 10 run at 1,500 steps, in the table above) "
             "is re-read by v2. The runs of revisions 11, 12, 14–16 and 18–22 are read by v2.", "",
             "| run | val score per snapshot (500 / 1,000 / …) | train min | chosen step | test at | hair | glasses | facial hair | "
             "smiling | skin ρ | identity median rank (share) | avatar-ness % | diversity |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    order = list(RUN_LABELS)
    for row in sorted(rows, key=lambda r: order.index(r["run"]) if r["run"] in order else len(order)):
        vals = " / ".join(f"{c['val_bar_mean']:.3f}" for c in row["candidates"])
        for at, key in (("chosen", "test_chosen"), ("last", "test_last")):
            r = row.get(key)
            if not r or (at == "last" and row["chosen_step"] == row["last_step"]):
                continue
            step = row["chosen_step"] if at == "chosen" else row["last_step"]
            lines.append(f"| {RUN_LABELS.get(row['run'], row['run'])} | {vals if at == 'chosen' else ''} | "
                         f"{row.get('minutes', float('nan')) if at == 'chosen' else ''} | {row['chosen_step']:,} | "
                         f"{at} ({step:,}) | {_figure_cells(r)} |")
    return "\n".join(lines)


def reader_table(cal: dict, today: dict) -> str:
    """Revision 16's val figures (the new reader's stored calibration): its snapshots by revision 2's criterion, then
    `avataaars`' val row with today's reader (``today``: its calibration) and with it, and the verdict."""
    snaps = cal["reader_snapshots"]
    cmp_ = cal["reader_comparison"]
    out = ["CelebA val identities (4,535 faces; gallery = val). Reader snapshots, mean balanced accuracy over the used "
           "attributes (revision 2's criterion; `judge-celeba-attrs`: " + _p(today["mean_balanced_acc"]) + "): "
           + " / ".join(f"{c['step']:,}: {_p(c['val_mean_bal_acc'])}" for c in snaps["candidates"])
           + f" → pick {snaps['chosen_step']:,}.", "",
           "| `avataaars`, reader | hair | glasses | facial hair | smiling | skin ρ | identity median rank |",
           "|---|---|---|---|---|---|---|"]
    out += [_val_row(label, f) for label, f in (("`judge-celeba-attrs` (900 steps; revision 10's row)", cmp_["today_row"]),
                                                ("`reader-celeba-attrs` (12,000 steps; revision 16)", cmp_["candidate_row"]))]
    return "\n".join(out + ["", _verdict_line(cmp_)])


def chooser_table(cal: dict) -> str:
    """Revision 17's val figures (stored with today's reader): the chooser run's snapshots by the median rank of another
    photo of the same person under their own embedding, then `avataaars`' val row with today's chooser and with the
    pick, and the verdict."""
    snaps, cmp_ = cal["chooser_snapshots"], cal["chooser_comparison"]
    key = "val_photo_pair_median_rank"
    out = ["CelebA val identities (4,535 faces; gallery = val). Chooser snapshots, median rank of another photo of the "
           f"same person under the chooser's own embedding (`{cmp_['today']}`: {snaps['today']:.0f}): "
           + " / ".join(f"{c['step']:,}: {c[key]:.0f}" for c in snaps["candidates"]) + f" → pick {snaps['chosen_step']:,}.",
           "", "| `avataaars`, variant chooser | hair | glasses | facial hair | smiling | skin ρ | identity median rank |",
           "|---|---|---|---|---|---|---|",
           _val_row(f"`{cmp_['today']}` (3,000 steps; revision 16's row)", cmp_["today_row"]),
           _val_row(f"`{cmp_['candidate']}` ({snaps['chosen_step']:,} steps; revision 17)", cmp_["candidate_row"])]
    return "\n".join(out + ["", _verdict_line(cmp_)])


def geometry_table(cal: dict) -> str:
    """Revision 21's val figures (stored with today's reader): `avataaars`' val row without and with f's choice of
    geometry, the verdict, and how often each geometry was chosen."""
    res = cal["geometry_comparison"]
    out = [f"CelebA val identities ({res['n']:,} faces; gallery = val), `avataaars`.", "",
           "| `avataaars` | hair | glasses | facial hair | smiling | skin ρ | identity median rank |",
           "|---|---|---|---|---|---|---|",
           _val_row("seed chosen by f (revision 16's row)", res["revision_16_row"]),
           _val_row("the same, recomputed", res["today"]),
           _val_row("then f chooses the geometry (revision 21)", res["geometry"])]
    shares = {tuple(json.loads(k)): v for k, v in res["shares"].items()}
    scales = sorted({g[1] for g in avatar_fit.GEOMETRIES})

    def by_scale(axis: int) -> str:  # the share of faces drawn at each scale along one axis (1: width, 2: length)
        return (" / ".join(f"×{v:g}" for v in scales) + ": "
                + " / ".join(f"{100 * sum(s for g, s in shares.items() if g[axis] == v):.0f}%" for v in scales))

    mirrored = sum(s for (m, _, _), s in shares.items() if m)
    top = max(shares, key=shares.get)
    out += ["", _verdict_line(res), "",
            f"Chosen geometries: mirrored {100 * mirrored:.0f}%; width {by_scale(1)}; length {by_scale(2)}"
            + f"; the most frequent, {'mirrored, ' if top[0] else ''}width ×{top[1]:g}, length ×{top[2]:g}: "
            f"{100 * shares[top]:.0f}% of faces."]
    return "\n".join(out)


def _val_row(label: str, f: dict) -> str:
    """One `avataaars` val row of the revision tables: the bar figures and the identity median rank."""
    return (f"| {label} | {_p(f['bal_acc_hair'])} | {_p(f['bal_acc_eyeglasses'])} | {_p(f['bal_acc_facial_hair'])} | "
            f"{_p(f['bal_acc_smiling'])} | {f['skin_spearman']:.3f} | {f['id_median_rank']:.0f} "
            f"({100 * f['id_median_rank_share']:.1f}%) |")


def _verdict_line(cmp_: dict) -> str:
    return ("Verdict: " + ", ".join(f"{k.split('_', 1)[1].replace('_', ' ')} {'met' if ok else 'missed'}"
                                    for k, ok in cmp_["verdict"].items())
            + f" → {'adopted' if cmp_['adopted'] else 'not adopted'}.")


def skin_choice_table(res: dict) -> str:
    """Revision 13's val figures (the stored ``skin_choice_comparison``): the nearest colour against f's choice."""
    rows = [("nearest colour (revision 10)", res["nearest"]), ("f chooses of the two nearest (revision 13)", res["chosen"])]
    out = ["CelebA val identities (gallery = val), `avataaars`. Balanced accuracy %; *Pale_Skin AUC*: ROC AUC of the "
           "drawn colour's lightness for CelebA's `Pale_Skin` label.", "",
           "| skin colour | hair | glasses | facial hair | smiling | skin ρ | identity median rank | Pale_Skin AUC | "
           + " | ".join(f"`{h}`" for h in res["shares"]["nearest"]) + " |",
           "|---|---|---|---|---|---|---|---|" + "---|" * len(res["shares"]["nearest"])]
    for (label, f), key in zip(rows, ("nearest", "chosen")):
        out.append(f"| {label} | {_p(f['bal_acc_hair'])} | {_p(f['bal_acc_eyeglasses'])} | {_p(f['bal_acc_facial_hair'])} | "
                   f"{_p(f['bal_acc_smiling'])} | {f['skin_spearman']:.3f} | {f['id_median_rank']:.0f} | "
                   f"{f['pale_skin_auc']:.3f} | " + " | ".join(f"{100 * v:.1f}%" for v in res["shares"][key].values()) + " |")
    out += ["", "Moves from the nearest colour, per ITA band of the photo (Chardon's bands, degrees):", "",
            "| photo ITA | faces | drawn one step lighter | drawn one step darker |", "|---|---|---|---|"]
    out += [f"| {band} | {b['n']} | {100 * b['lighter']:.1f}% | {100 * b['darker']:.1f}% |" for band, b in res["bands"].items()]
    v = res["verdict_abc"]
    out += ["", "Verdict: (a) identity not higher " + ("met" if v["a_identity_not_higher"] else "missed")
            + "; (b) no bar figure down by more than 1 point " + ("met" if v["b_no_bar_figure_down_1pt"] else "missed")
            + "; (c) Pale_Skin AUC not lower " + ("met" if v["c_pale_skin_auc_not_lower"] else "missed")
            + (" → adopted if (d) latency holds." if all(v.values()) else " → **not adopted**.")]
    return "\n".join(out)


def f_table(res: dict) -> str:
    keys = [*(f"hair_{c}" for c in am.HAIR_COLOURS), "eyeglasses", "facial_hair", "smiling"]
    lines = [f"{res['n_avatars']} rendered avatars ({', '.join(res['styles'])}; the judges' seed-1 val streams), read by "
             "each f's CelebA attribute head at logit 0. Balanced accuracy %:", "",
             "| f | " + " | ".join(k.replace("_", " ") for k in keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, row in res["f"].items():
        lines.append(f"| `{name}` | " + " | ".join(_p(row[k]) for k in keys) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ gallery
def gallery_indices(data: dict[str, torch.Tensor], k: int = 32, seed: int = 0) -> np.ndarray:
    """k test faces, one identity each, drawn by a fixed seed across strata of skin tone (ITA tercile),
    eyeglasses, beard and hair colour, so the gallery is not mostly light-skinned, clean-shaven brunettes."""
    lab = am.face_labels(data["attrs_A"].numpy())
    skin = np.digitize(am.ita(data["A"]), np.percentile(am.ita(data["A"]), [33, 67]))
    hair = np.select([lab[f"hair_{c}"] for c in am.HAIR_COLOURS], range(4), 4)
    strata = skin * 100 + lab["eyeglasses"] * 10 + lab["facial_hair"] * 5 + hair
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(strata))
    picked, seen_ids, groups = [], set(), {}
    for i in order:
        groups.setdefault(int(strata[i]), []).append(int(i))
    keys = sorted(groups)
    while len(picked) < k:
        for key in keys:
            if groups[key] and len(picked) < k:
                i = groups[key].pop()
                if int(data["identity_A"][i]) not in seen_ids:
                    picked.append(i)
                    seen_ids.add(int(data["identity_A"][i]))
    return np.array(picked)


def gallery(root=None, out: Path = GALLERY) -> Path:
    from torchvision.utils import save_image

    data = faces("test", root)
    idx = gallery_indices(data)
    x = data["A"][idx]
    rows = [x]
    for name in DTN_CHECKPOINTS:
        try:
            rows.append(hub.load_model(name).translate_batched(x).clamp(-1, 1))
        except hub.CheckpointError:
            pass
    fitter = AvatarFitter.load(READER)
    rows.append(parametric_outputs(fitter, x, "avataaars"))
    grid = torch.stack(rows, 1).reshape(-1, *x.shape[1:])  # per face: photo, then each output
    save_image(grid * 0.5 + 0.5, out, nrow=len(rows) * 8, padding=1, pad_value=1.0)
    return out


# ------------------------------------------------------------------------------ identity-judge diagnostic
def identity_judge_diagnostic(runs: list[str], root=None) -> dict:
    """Another identity judge's states (``docs/avatars_selection.md``, "Identity-judge diagnostic"): each scored
    by photo-pair retrieval on CelebA *val* faces; the best and the last state then read on test — photo pairs
    and the parametric ``avataaars`` avatar's identity rank — beside the committed judge read the same way."""
    from xdomain.train import load_run

    val, test = faces("val", root), faces("test", root)
    states = []
    for r in runs:
        judge, step, _ = load_run(r)
        states.append({"run": r, "step": step, "val": am.face_face_retrieval(judge, val), "judge": judge})
        print(r, step, json.dumps(states[-1]["val"]), flush=True)
    best = min(states, key=lambda s: (s["val"]["face_id_median_rank_share"], -s["step"]))  # ties → later
    last = max(states, key=lambda s: s["step"])
    avatar = parametric_outputs(AvatarFitter.load(READER), test["A"], "avataaars")
    ids = test["identity_A"]

    def read(judge) -> dict:
        gallery = am.embed(judge, test["A"])  # once: the avatars' gallery and the photo-pair queries
        ranks = am.identity_ranks(am.embed(judge, avatar), gallery, ids, ids)
        return am.face_face_retrieval(judge, test, gallery) | {
            f"avataaars_{k}": v for k, v in am.retrieval_figures(ranks, len(ids)).items()}

    out = {"val": [{k: v for k, v in s.items() if k != "judge"} for s in states],
           "committed judge-celeba-identity": read(hub.load_model("judge-celeba-identity"))}
    for role, s in (("chosen on val", best), ("last", last)):
        out[f"{role}: {s['run']} @ {s['step']}"] = read(s["judge"])
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=("calibrate", "read-avatars", "eval", "gallery", "select",
                                      "identity-judge", "cues", "choice", "choice-k",
                                      "cues-off", "texture-guard", "skin-choice", "reader-snapshots",
                                      "reader", "chooser-snapshots", "chooser", "dtn-readers",
                                      "snapshot-figures", "geometry"))
    p.add_argument("runs", nargs="*", help="select, identity-judge, snapshot-figures: run folders")
    p.add_argument("--write", action="store_true")
    p.add_argument("--split", default="test", choices=("val", "test"))
    p.add_argument("--limit", type=int)
    p.add_argument("--only", nargs="+", help="eval: only these rows, merged into the stored file with --write")
    p.add_argument("--ks", nargs="+", type=int, default=[16, 32], help="choice-k: the K values (revision 7: 16 32)")
    p.add_argument("--against", default="revision-6", choices=("revision-6", "revision-8"),
                   help="choice-k: the stored val row to compare with (revision 9: revision-8, --ks 64 128)")
    p.add_argument("--candidate", default="reader-celeba-attrs", help="reader: the candidate reader (revision 16)")
    p.add_argument("--chooser", help="chooser: the candidate variant chooser, a checkpoint name or an exported folder "
                   "(revision 17: python -m xdomain export runs/chooser-id /tmp/chooser-celeba-id --ship-dtype float16)")
    p.add_argument("--checkpoint", default="dtn-faces-avatars",
                   help="dtn-readers: a DTN checkpoint name or folder (a finished run folder reads its last state)")
    p.add_argument("--data-root")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    if a.what == "calibrate":  # every candidate reader; the rule picks the higher mean (validation only)
        cals = {name: calibrate(name, a.data_root) for name in READERS}
        print(json.dumps({n: {k: v for k, v in c.items()} for n, c in cals.items()}, indent=1))
        best = max(READERS, key=lambda n: cals[n]["mean_balanced_acc"])
        print(f"reader by the rule: {best} (xdomain.avatar_fit.READER = {READER})")
        if a.write:
            for name, cal in cals.items():
                print(f"wrote the calibration into {store_calibration(name, cal)}")
    elif a.what == "read-avatars":
        res = read_avatars()
        print(json.dumps(res, indent=1))
        if a.write:
            F_READS.write_text(json.dumps(res, indent=1) + "\n")
    elif a.what == "eval":
        res = evaluate(a.split, a.data_root, a.limit, a.only)
        print(json.dumps(res, indent=1))
        if a.write and a.only and OUT.is_file():
            stored = json.loads(OUT.read_text())
            if (stored["split"], stored["n_faces"]) != (res["split"], res["n_faces"]):
                raise SystemExit("the stored rows come from another split or size: rerun without --only")
            res["rows"] = stored["rows"] | res["rows"]
        if a.write:
            OUT.write_text(json.dumps(res, indent=1) + "\n")
            print(f"wrote {OUT}")
            if res["split"] == "test":  # the Face tab's bar reads a checkpoint's own stored metrics
                store_in_checkpoints(res["rows"], a.only)
    elif a.what == "dtn-readers":  # revision 18's diagnostic; --write saves the ghost-glasses figure
        torch.set_num_threads(2)
        if a.write and a.checkpoint != "dtn-faces-avatars":
            raise SystemExit("--write saves the shipped DTN's figure: leave --checkpoint out")
        print(json.dumps(dtn_readers(a.data_root, a.checkpoint, figure=GHOSTS if a.write else None), indent=1))
    elif a.what == "snapshot-figures":  # revision 20's diagnostic; --write stores it for docs/avatars.md
        torch.set_num_threads(2)
        res = snapshot_figures([Path(r) for r in a.runs], a.data_root)
        print(snapshot_figures_table(res))
        if a.write:
            SNAPSHOT_FIGURES.write_text(json.dumps(res, indent=1) + "\n")
    elif a.what == "select":
        from experiments.snapshots import save_row

        for run in a.runs:
            row = select(Path(run), a.data_root)
            print(json.dumps(row, indent=1))
            save_row(DTN_RUNS, row)
    elif a.what in ("cues", "choice"):  # revisions 5 and 6: the verdicts per style, stored with the reader
        torch.set_num_threads(2)
        res = (cues_comparison if a.what == "cues" else choice_comparison)(a.data_root)
        print(json.dumps(res, indent=1))
        if a.write:
            prefix = "cue" if a.what == "cues" else "choice"
            upd = {k: res[k] for k in ("cue_thresholds",) if k in res} | {
                f"{prefix}_styles": res[f"{prefix}_styles"],
                f"{prefix}_comparison": {s: {k: v for k, v in r.items() if k != "drops"} for s, r in res["styles"].items()}}
            print(f"wrote {sorted(upd)} (adopted: {res[f'{prefix}_styles']}) into {store_calibration(REV2_READER, upd)}")
    elif a.what == "choice-k":
        torch.set_num_threads(2)
        res = choice_k_comparison(tuple(a.ks), root=a.data_root, against=a.against)
        print(json.dumps(res, indent=1))
        if a.write:
            key = "choice_k_comparison" if a.against == "revision-6" else "choice_k_cues_off_comparison"
            upd = {key: {k: {m: v for m, v in r.items() if m != "drops"} for k, r in res["k"].items()}}
            if res["chosen_k"] is not None:
                upd["choice_k"] = res["chosen_k"]
            print(f"chosen K: {res['chosen_k']} (None: stays {avatar_fit.CHOICE_K}); wrote {store_calibration(REV2_READER, upd)}")
    elif a.what in ("cues-off", "texture-guard"):  # revisions 8 and 10: one style against the stored val row
        torch.set_num_threads(2)
        res = (cues_off_comparison if a.what == "cues-off" else texture_guard_comparison)(root=a.data_root)
        upd = res.pop("calibration_update")
        print(json.dumps(res, indent=1))
        if a.write:
            print(f"adopted: {res.get('adopted', True)}; wrote {sorted(upd)} into {store_calibration(REV2_READER, upd)}")
    elif a.what == "skin-choice":  # revision 13: (a)-(c) here, (d) is bench/bench_avatar.py's
        torch.set_num_threads(2)
        res = skin_choice_comparison(root=a.data_root)
        print(json.dumps({k: v for k, v in res.items() if k not in ("revision_10",)}, indent=1))
        if a.write:
            ok = all(res["verdict_abc"].values())
            upd = {"skin_choice_comparison": {k: res[k] for k in ("nearest", "chosen", "shares", "bands", "verdict_abc")}}
            if ok:
                upd["skin_choice_styles"] = [res["style"]]
            print(f"(a)-(c) met: {ok}; wrote {sorted(upd)} into {store_calibration(REV2_READER, upd)}")
    elif a.what == "reader-snapshots":  # revision 16: the reader run's snapshots on val
        torch.set_num_threads(2)
        for run in a.runs:
            res = reader_snapshots(Path(run), a.data_root)
            print(json.dumps(res, indent=1))
            if a.write:  # beside the calibration of the reader the pick was exported as
                print(f"wrote {store_calibration(a.candidate, {'reader_snapshots': res})}")
    elif a.what == "reader":  # revision 16: the candidate reader's calibration, val figures and verdict
        torch.set_num_threads(2)
        res = reader_comparison(a.candidate, root=a.data_root)
        cal = res.pop("calibration")
        print(json.dumps(res, indent=1))
        if a.write:  # the calibration is stored with the candidate; READER is switched in the code if adopted
            print(f"adopted: {res['adopted']}; wrote the calibration into {store_calibration(a.candidate, cal)}")
    elif a.what in ("chooser-snapshots", "chooser"):  # revision 17, stored beside the reader's calibration
        torch.set_num_threads(2)
        if a.what == "chooser-snapshots":
            if len(a.runs) != 1:
                raise SystemExit("chooser-snapshots: name one run folder (its snapshots are found beside it)")
            res = {"chooser_snapshots": chooser_snapshots(Path(a.runs[0]), a.data_root)}
        else:
            if not a.chooser:
                raise SystemExit("chooser: name the candidate with --chooser")
            res = {"chooser_comparison": chooser_comparison(a.chooser, root=a.data_root)}
        print(json.dumps(res, indent=1))
        if a.write:
            print(f"wrote {sorted(res)} into {store_calibration(READER, res)}")
    elif a.what == "geometry":  # revision 21, stored beside the reader's calibration
        torch.set_num_threads(2)
        res = geometry_comparison(root=a.data_root)
        if a.write:
            upd = {"geometry_comparison": res} | ({"geometry_styles": [res["style"]]} if res["adopted"] else {})
            print(f"adopted: {res['adopted']}; wrote {sorted(upd)} into {store_calibration(READER, upd)}")
    elif a.what == "identity-judge":
        torch.set_num_threads(2)
        print(json.dumps(identity_judge_diagnostic(a.runs, a.data_root), indent=1))
    else:
        print(f"wrote {gallery(a.data_root)}")


if __name__ == "__main__":
    main()
