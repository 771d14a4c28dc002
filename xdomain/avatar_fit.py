"""Face → editable parametric avatar (issue 16, beyond the DTN paper): read what a photo shows and set the
DiceBear options that draw it, so the avatar is a crisp vector image the user can edit and download.

Pipeline for a 64×64 face crop x (the crop every face model here uses, :func:`xdomain.face.face_crop`):

1. A CelebA attribute network (the *reader*: :data:`READER`, chosen on validation identities between
   ``encoder-celeba-id`` — the avatar DTN's identity-aware f — and ``judge-celeba-attrs`` — the Twemoji DTN's
   f —, both trained on CelebA *train* identities only) gives attribute logits a(x). Each decision uses the
   logit threshold that maximises balanced accuracy on CelebA *validation* identities (stored in the
   reader's ``config.json`` under ``"avatar_calibration"`` by ``python -m experiments.avatars calibrate
   --write``; logit 0 when absent):
   glasses ← ``Eyeglasses``; facial hair ← not ``No_Beard``; smiling ← ``Smiling``; hair colour ← the hair
   colour attribute (blond / black / brown / grey) whose margin plus its joint offset is the largest, brown
   when none is above 0 (:func:`hair_decision`; the four offsets are chosen together on validation
   identities by :func:`joint_hair_offsets`, stored as ``"hair_offsets"``, 0 when absent); hair style ←
   bald if ``Bald``, else short if ``Male``, else long.
2. Skin: the ITA of the crop's central patch (:func:`xdomain.metrics.avatars.ita`) picks the style's skin
   colour with the nearest ITA (the palette colour's own ITA, as a flat patch) — a physical match, no
   learning.
3. :func:`xdomain.data.avatars.make_params` turns the groups into options; the raw variant inside each
   group and the nuisance options (eyebrows, clothes) come from ``seed`` (the same face and seed give
   the same avatar).

The figures of this path (balanced accuracy of the *avatar judge's* reading of the rendered avatar against
the face's CelebA labels, identity retrieval, ...) are computed by ``python -m experiments.avatars eval``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch

from xdomain.data import avatars, sources
from xdomain.metrics.avatars import CELEBA_HAIR, HAIR_COLOURS, balanced_accuracy, hex_ita, ita

READERS = ("encoder-celeba-id", "judge-celeba-attrs")  # the candidates (docs/avatars_selection.md, revision 2)
READER = "judge-celeba-attrs"  # the higher mean validation balanced accuracy over USED_ATTRS (docs/avatars.md)
CALIBRATION_KEY = "avatar_calibration"
USED_ATTRS = ("Blond_Hair", "Black_Hair", "Brown_Hair", "Gray_Hair", "Eyeglasses", "No_Beard", "Smiling", "Male", "Bald")


def hair_decision(margins: np.ndarray, offsets=(0.0, 0.0, 0.0, 0.0)) -> np.ndarray:
    """Hair colour index into :data:`HAIR_COLOURS` per row of ``margins`` [N, 4] (logit − threshold, in that
    order): the largest ``margin + offset``, or brown when that largest value is ≤ 0."""
    m = np.asarray(margins, np.float64) + np.asarray(offsets, np.float64)
    return np.where(m.max(1) > 0, m.argmax(1), HAIR_COLOURS.index("brown"))


def hair_score(margins: np.ndarray, labels: np.ndarray, offsets=(0.0, 0.0, 0.0, 0.0)) -> float:
    """Mean over the four colours of the balanced accuracy of "decision = c" against boolean ``labels`` [N, 4]
    (the avatar metric's definition, applied to the decision itself)."""
    d = hair_decision(margins, offsets)
    return float(np.mean([balanced_accuracy(d == k, labels[:, k]) for k in range(len(HAIR_COLOURS))]))


def joint_hair_offsets(margins: np.ndarray, labels: np.ndarray, span: float = 2.0, step: float = 0.05,
                       passes: int = 3) -> tuple[np.ndarray, float]:
    """Coordinate ascent on :func:`hair_score` over the four offsets (grid −span … +span, from 0; ties keep
    the current value): the offsets and their score. Meant for *validation* faces only."""
    grid = np.round(np.arange(-span, span + step / 2, step), 6)
    o = np.zeros(len(HAIR_COLOURS))
    best = hair_score(margins, labels, o)
    for _ in range(passes):
        for k in range(len(o)):
            for v in grid:
                trial = o.copy()
                trial[k] = v
                score = hair_score(margins, labels, trial)
                if score > best + 1e-12:
                    o, best = trial, score
    return o, best


@dataclass(frozen=True)
class FaceReading:
    """What f reads on one face, as avatar groups, with the margins (logit − threshold) behind them."""

    ita: float
    hair_color: str
    hair_style: str
    glasses: bool
    facial_hair: bool
    smiling: bool
    margins: dict[str, float] = field(hash=False, compare=False, default_factory=dict)

    def skin_hex(self, style: str) -> str:
        """The style's skin colour nearest in ITA to the photo's."""
        spec = avatars.get_spec(style)
        return min(spec.skin, key=lambda h: abs(hex_ita(h) - self.ita))


def params_for(reading: FaceReading, style: str, seed: int = 0, *, skin_hex: str | None = None,
               **overrides) -> avatars.AvatarParams:
    """DiceBear parameters of ``style`` for a reading; ``overrides`` (group names / booleans, as
    :func:`xdomain.data.avatars.make_params` takes them) replace what was read, and one the style does not
    have raises ``ValueError`` (only a *read* hair style the style lacks falls back to short).

    Skin: ``skin_hex`` pins one colour of the style's palette (a key of its ``skin`` table, e.g. "edb98a"),
    else ``skin`` a group (a colour of that group drawn from ``seed``), else the palette colour nearest in
    ITA to the photo's."""
    spec = avatars.get_spec(style)
    groups = {"hair_color": reading.hair_color, "hair_style": reading.hair_style, "glasses": reading.glasses,
              "facial_hair": reading.facial_hair, "smiling": reading.smiling}
    if groups["hair_style"] not in spec.hair_style.values():  # e.g. a style without "bald"
        groups["hair_style"] = "short"
    groups.update({k: v for k, v in overrides.items() if v is not None and k != "skin"})
    if skin_hex is not None:
        skin_hex = str(skin_hex).lstrip("#").lower()
        if skin_hex not in spec.skin:
            raise ValueError(f"skin colour {skin_hex!r} is not in the {style} palette; "
                             f"choose from {', '.join(spec.skin)}")
    elif overrides.get("skin") is None:
        skin_hex = reading.skin_hex(style)
    skin = spec.skin[skin_hex] if skin_hex is not None else overrides["skin"]
    p = avatars.make_params(style, np.random.default_rng(seed), skin=skin, **groups)
    if skin_hex is not None:  # the exact colour, not just a colour of its group
        opts = dict(p.options)
        opts[spec.skin_option] = [skin_hex]
        p = avatars.params_from_options(style, opts)
    return p


def draw(fitter: "AvatarFitter", crops: torch.Tensor, style: str, seed: int = 0, size: int | None = None) -> torch.Tensor:
    """The parametric avatars of ``crops`` [B, 3, S, S]: each read by ``fitter``, given ``params_for`` (variant
    ``seed``) and rendered at ``size`` (default S) → [B, 3, size, size] in [-1, 1], on the crops' device."""
    from xdomain.data import domains

    readings = fitter.read(crops.detach().float().cpu())
    imgs = np.stack([_render(params_for(r, style, seed), size or crops.shape[-1]) for r in readings])
    return domains.to_tensor(imgs).to(crops.device)


@lru_cache(maxsize=4096)
def _render(params: avatars.AvatarParams, size: int) -> np.ndarray:
    """One render per distinct parameter set (a few hundred occur over a training run or a test set):
    rendering is the costly part, and the same parameters give the same bytes."""
    img = avatars.render(params.style, params, size)
    img.setflags(write=False)
    return img


def attribute_logits(model, crops: torch.Tensor | None):
    """The 40 CelebA attribute logits [N, 40] of a reader (``crops=None``: ``None`` if it has none, else ``True``)."""
    cfg = model.cfg
    if getattr(cfg, "aux_outputs", 0) == len(sources.CELEBA_ATTRS):
        return True if crops is None else model.aux_logits(crops)
    if getattr(cfg, "multilabel", False) and cfg.n_classes == len(sources.CELEBA_ATTRS):
        return True if crops is None else model.logits(crops)
    return None


class AvatarFitter:
    """A CelebA attribute network + its validation thresholds → :class:`FaceReading` for face crops."""

    def __init__(self, encoder, calibration: dict | None = None):
        if attribute_logits(encoder, None) is None:
            raise ValueError("the avatar fitter needs a network with the 40 CelebA attributes (a multi-label "
                             "attribute classifier, or an attribute head: aux_outputs = 40)")
        self.encoder = encoder.eval()
        cal = calibration or {}
        self.thresholds = {a: float(cal.get(a, {}).get("threshold", 0.0)) for a in USED_ATTRS}
        self.hair_offsets = np.asarray([float(cal.get("hair_offsets", {}).get(c, 0.0)) for c in HAIR_COLOURS])

    @classmethod
    def load(cls, name: str = READER, *, allow_download: bool = False) -> "AvatarFitter":
        from xdomain import hub

        model = hub.load_model(name, allow_download=allow_download)
        return cls(model, hub.read_meta(model.checkpoint_dir).get(CALIBRATION_KEY, {}))

    @torch.no_grad()
    def margins(self, crops: torch.Tensor) -> dict[str, np.ndarray]:
        """Logit − threshold per used attribute, for crops [N, 3, 64, 64] in [-1, 1]."""
        z = attribute_logits(self.encoder, crops)
        return {a: (z[:, sources.CELEBA_ATTRS.index(a)] - self.thresholds[a]).numpy() for a in USED_ATTRS}

    def read(self, crops: torch.Tensor) -> list[FaceReading]:
        m = self.margins(crops)
        skin = ita(crops)
        hair = hair_decision(np.stack([m[CELEBA_HAIR[c]] for c in HAIR_COLOURS], 1), self.hair_offsets)
        out = []
        for i in range(len(crops)):
            colour = HAIR_COLOURS[int(hair[i])]
            style = "bald" if m["Bald"][i] > 0 else ("short" if m["Male"][i] > 0 else "long")
            out.append(FaceReading(float(skin[i]), colour, style, bool(m["Eyeglasses"][i] > 0),
                                   bool(m["No_Beard"][i] <= 0), bool(m["Smiling"][i] > 0),
                                   {a: float(m[a][i]) for a in USED_ATTRS}))
        return out
