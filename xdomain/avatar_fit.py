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
4. Photo cues (``docs/avatars_selection.md``, revision 5): the reader's :data:`CUE_ATTRS` (wavy / straight
   hair, bangs, moustache, goatee, sideburns, stubble, open mouth), each at its validation threshold
   (``"cue_thresholds"``), narrow the variant *inside* the decided group by :data:`CUE_VARIANTS`, for the
   styles whose val comparison adopted them (``"cue_styles"``; none when absent). Groups, hence labels,
   are unchanged.

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
# Revision 5: attributes that only pick the variant inside a group (never a group, never a label).
CUE_ATTRS = ("Wavy_Hair", "Straight_Hair", "Bangs", "Mustache", "Goatee", "Sideburns", "5_o_Clock_Shadow",
             "Mouth_Slightly_Open")
# style → group attribute → ordered (condition, variants): the first condition the reading meets wins;
# a condition is a tuple of cue names that must all be present, with "!Name" for "absent"; () always holds.
CUE_VARIANTS: dict[str, dict[str, dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]]]] = {
    "avataaars": {
        "hair_style": {
            "short": ((("Wavy_Hair",), ("shortWaved", "shortCurly")),
                      (("Straight_Hair",), ("shortFlat", "theCaesarAndSidePart")),
                      ((), ("shortRound", "theCaesar"))),
            "long": ((("Bangs",), ("miaWallace",)),
                     (("Wavy_Hair",), ("curvy", "curly")),
                     (("Straight_Hair",), ("straight01", "straight02")),
                     ((), ("longButNotTooLong", "bob"))),
        },
        "facial_hair": {"yes": ((("Mustache", "!Goatee", "!Sideburns"), ("moustacheMagnum",)),
                                (("Goatee",), ("beardMedium",)), (("Sideburns",), ("beardMedium",)),
                                ((), ("beardLight",)))},
        "smiling": {"yes": ((("Mouth_Slightly_Open",), ("smile",)), ((), ("twinkle",))),
                    "no": (((), ("serious",)),)},
    },
    "personas": {
        "hair_style": {
            "short": ((("Wavy_Hair",), ("curlyHighTop",)), (("Straight_Hair",), ("shortCombover",)),
                      ((), ("buzzcut", "fade"))),
            "long": ((("Bangs",), ("bobBangs",)), (("Straight_Hair",), ("long", "extraLong")), ((), ("bobCut",))),
        },
        "facial_hair": {"yes": ((("Mustache", "!Goatee", "!Sideburns"), ("walrus",)), (("Goatee",), ("goatee",)),
                                (("Sideburns",), ("beardMustache",)),
                                (("5_o_Clock_Shadow", "!Mustache"), ("shadow",)), ((), ("beardMustache",)))},
        "smiling": {"yes": ((("Mouth_Slightly_Open",), ("bigSmile",)), ((), ("smile",))),
                    "no": (((), ("lips",)),)},
    },
}


def cue_variants(style: str, cues, groups: dict) -> dict[str, tuple[str, ...]]:
    """The variants :data:`CUE_VARIANTS` allows for ``style`` given the present ``cues`` and the decided
    ``groups`` (hair_style group name; facial_hair / smiling as booleans) — ``{}`` for a style without a table."""
    table = CUE_VARIANTS.get(style, {})
    present = set(cues)
    out: dict[str, tuple[str, ...]] = {}
    for attr, by_group in table.items():
        g = groups.get(attr)
        g = ("yes" if g else "no") if isinstance(g, (bool, np.bool_)) else g
        for cond, variants in by_group.get(g, ()):
            if all((c[1:] not in present) if c.startswith("!") else (c in present) for c in cond):
                out[attr] = variants
                break
    return out


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
    cues: tuple[str, ...] = ()  # CUE_ATTRS above their thresholds (revision 5)
    cue_styles: tuple[str, ...] = ()  # the styles whose avatars use the cues (adopted on val)

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
    variants = cue_variants(style, reading.cues, groups) if style in reading.cue_styles else None
    p = avatars.make_params(style, np.random.default_rng(seed), skin=skin, variants=variants, **groups)
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

    def __init__(self, encoder, calibration: dict | None = None, cue_styles: tuple[str, ...] | None = None):
        if attribute_logits(encoder, None) is None:
            raise ValueError("the avatar fitter needs a network with the 40 CelebA attributes (a multi-label "
                             "attribute classifier, or an attribute head: aux_outputs = 40)")
        self.encoder = encoder.eval()
        cal = calibration or {}
        self.thresholds = {a: float(cal.get(a, {}).get("threshold", 0.0)) for a in USED_ATTRS}
        self.hair_offsets = np.asarray([float(cal.get("hair_offsets", {}).get(c, 0.0)) for c in HAIR_COLOURS])
        cue_cal = cal.get("cue_thresholds", {})
        self.cue_thresholds = {a: float(cue_cal[a]["threshold"]) for a in CUE_ATTRS if a in cue_cal}
        # revision 5: the styles adopted on val (``cue_styles`` overrides, e.g. to compare with and without)
        self.cue_styles = tuple(cal.get("cue_styles", ()) if cue_styles is None else cue_styles)

    @classmethod
    def load(cls, name: str = READER, *, allow_download: bool = False) -> "AvatarFitter":
        from xdomain import hub

        model = hub.load_model(name, allow_download=allow_download)
        return cls(model, hub.read_meta(model.checkpoint_dir).get(CALIBRATION_KEY, {}))

    @torch.no_grad()
    def margins(self, crops: torch.Tensor, logits: torch.Tensor | None = None) -> dict[str, np.ndarray]:
        """Logit − threshold per used attribute, for crops [N, 3, 64, 64] in [-1, 1] (or their ``logits``)."""
        z = attribute_logits(self.encoder, crops) if logits is None else logits
        return {a: (z[:, sources.CELEBA_ATTRS.index(a)] - self.thresholds[a]).numpy() for a in USED_ATTRS}

    @torch.no_grad()
    def cues(self, crops: torch.Tensor, logits: torch.Tensor | None = None) -> list[tuple[str, ...]]:
        """Per crop, the :data:`CUE_ATTRS` whose logit clears its validation threshold (none without thresholds)."""
        if not self.cue_thresholds:
            return [() for _ in range(len(crops))]
        z = attribute_logits(self.encoder, crops) if logits is None else logits
        on = {a: (z[:, sources.CELEBA_ATTRS.index(a)] > t).numpy() for a, t in self.cue_thresholds.items()}
        return [tuple(a for a in on if on[a][i]) for i in range(len(crops))]

    @torch.no_grad()
    def read(self, crops: torch.Tensor) -> list[FaceReading]:
        z = attribute_logits(self.encoder, crops)  # one pass of the reader for the groups and the cues
        m = self.margins(crops, z)
        cues = self.cues(crops, z)
        skin = ita(crops)
        hair = hair_decision(np.stack([m[CELEBA_HAIR[c]] for c in HAIR_COLOURS], 1), self.hair_offsets)
        out = []
        for i in range(len(crops)):
            colour = HAIR_COLOURS[int(hair[i])]
            style = "bald" if m["Bald"][i] > 0 else ("short" if m["Male"][i] > 0 else "long")
            out.append(FaceReading(float(skin[i]), colour, style, bool(m["Eyeglasses"][i] > 0),
                                   bool(m["No_Beard"][i] <= 0), bool(m["Smiling"][i] > 0),
                                   {a: float(m[a][i]) for a in USED_ATTRS}, cues[i], self.cue_styles))
        return out
