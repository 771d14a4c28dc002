"""Parametric avatars: a target domain for face → emoji whose labels are the renderer's own options.

DiceBear (``dicebear-core`` + ``dicebear-styles``) draws an avatar as SVG from a style and a dict of
options; ``resvg-py`` rasterises it. This module describes, per style, the options a *photo* can show
and groups their raw values into shared attributes:

===============  ========================================  ============================================
attribute        groups (label = index)                    from
===============  ========================================  ============================================
``skin``         light / medium / dark                     the skin colour (+ ``tone``, float, below)
``hair_color``   blond / black / brown / grey / other      the hair colour (facial hair gets the same)
``hair_style``   short / long / bald                       the hair variant
``glasses``      no / yes                                  the glasses variant (or none)
``facial_hair``  no / yes                                  the beard / moustache variant (or none)
``smiling``      no / yes                                  the mouth variant
===============  ========================================  ============================================

Options no photo shows (vomit mouth, heart eyes, hats, hijabs, pastel hair, yellow skin, pacifiers...)
are left out of the tables, so a sampled avatar never uses them. ``tone`` is the skin colour's darkness
``(100 - L*) / 100`` (CIELAB lightness of its hex), ordered light → dark, for rank correlations.
``hair_color`` is ``IGNORE`` (-1) in :func:`labels` when the hair variant shows no readable hair
(micah's ``mrClean`` / ``dougFunny``, personas' ``bald``).

Styles (licence strings from each style's ``meta``, see :data:`STYLE_LICENSES`):

* ``avataaars`` (Pablo Stanley; free for personal and commercial use) — the richest option set;
* ``personas`` (Draftbit; CC BY 4.0) — 7 skin tones, bald/balding hair, glasses (as an eyes variant),
  six kinds of facial hair, smiling and neutral mouths;
* ``micah`` (Micah Lanier; CC BY 4.0) — 3 skin tones, glasses, beard/scruff, bold outlines.

Other styles were checked and left out: ``lorelei`` / ``notionists`` are black-and-white line art (no
skin or hair colour), ``toon-head`` has no glasses, ``adventurer`` has only a moustache for facial hair
and numbered mouths, ``open-peeps`` draws most hair in ink black.

DiceBear silently drops variant names a style does not define (the component then vanishes), so
:func:`render_svg` checks every option key and variant against the style first.

Nothing here needs torch or gradio; :func:`avatar_dataset` caches renders as ``.npz`` under
``xdomain.data.sources.cache_dir() / "avatars"`` (outside the repo).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib.metadata import version as _pkg_version
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from xdomain.data import sources

IGNORE = -1  # label of an attribute the avatar does not show (hair colour of a hairless head)

GROUPS: dict[str, tuple[str, ...]] = {
    "skin": ("light", "medium", "dark"),
    "hair_color": ("blond", "black", "brown", "grey", "other"),
    "hair_style": ("short", "long", "bald"),
    "glasses": ("no", "yes"),
    "facial_hair": ("no", "yes"),
    "smiling": ("no", "yes"),
}
BINARY = ("glasses", "facial_hair", "smiling")

# Group weights for sample_params (balanced, except that bald heads are rarer).
WEIGHTS: dict[str, dict[str, float]] = {
    "skin": {"light": 1, "medium": 1, "dark": 1},
    "hair_color": {"blond": 1, "black": 1, "brown": 1, "grey": 1, "other": 1},
    "hair_style": {"short": 2, "long": 2, "bald": 1},
    "glasses": {"no": 1, "yes": 1},
    "facial_hair": {"no": 1, "yes": 1},
    "smiling": {"no": 1, "yes": 1},
}

BACKGROUND = "ffffff"

# Realistic hair colours (avataaars' palette without its pastel pink); personas and micah use them too:
# their own palettes are pastel (micah) or have no blond (personas). Hex without '#'.
_HAIR_COLOURS = {
    "d6b370": "blond", "ecdcbf": "blond",  # blond, platinum
    "2c1b18": "black",
    "4a312c": "brown", "724133": "brown", "b58143": "brown",  # dark, mid, light brown
    "e8e1e1": "grey",
    "a55728": "other", "c93305": "other",  # auburn, red
}


@dataclass(frozen=True)
class StyleSpec:
    """How one DiceBear style shows each attribute: explicit raw value → group tables.

    Binary attributes are ``(component, yes_variants, no_variants)``: *yes* pins ``{component}Variant``
    to one of ``yes_variants`` at probability 100; *no* picks one of ``no_variants`` (probability 100)
    or, when that is empty, sets ``{component}Probability`` to 0.
    """

    name: str
    skin_option: str  # e.g. "skinColor"
    skin: dict[str, str]  # hex → skin group, ordered light → dark
    hair_color_options: tuple[str, ...]  # colour options that take the hair colour
    hair_color: dict[str, str]  # hex → hair colour group
    hair_component: str  # "top" / "hair"
    hair_style: dict[str, str]  # variant → hair style group
    hairless: frozenset[str]  # hair variants showing no readable hair (hair_color label IGNORE)
    glasses: tuple[str, tuple[str, ...], tuple[str, ...]]
    facial_hair: tuple[str, tuple[str, ...], tuple[str, ...]]
    mouth_component: str
    mouth: dict[str, str]  # variant → smiling group ("yes"/"no")
    nuisance: dict[str, Any] = field(default_factory=dict)  # fixed options; lists = seed picks one
    per_skin: dict[str, dict[str, Any]] = field(default_factory=dict)  # skin group → more nuisance options

    def binary(self, attr: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        if attr == "glasses":
            return self.glasses
        if attr == "facial_hair":
            return self.facial_hair
        raise KeyError(attr)


AVATAARS = StyleSpec(
    name="avataaars",
    skin_option="skinColor",
    # '#fd9841' (orange) and '#f8d25c' (yellow) are left out: no photo shows them.
    skin={"ffdbb4": "light", "edb98a": "light", "d08b5b": "medium", "ae5d29": "medium", "614335": "dark"},
    hair_color_options=("hairColor", "facialHairColor"),
    hair_color=dict(_HAIR_COLOURS),
    hair_component="top",
    # Left out: hats, hijab, turban, froBand, frida (flowers), and the ambiguous bun / fro / shaggyMullet /
    # shavedSides. "sides" (bald on top, hair at the sides) is the only bald look that keeps hair colour.
    hair_style={
        "dreads01": "short", "dreads02": "short", "frizzle": "short", "shaggy": "short",
        "shortCurly": "short", "shortFlat": "short", "shortRound": "short", "shortWaved": "short",
        "theCaesar": "short", "theCaesarAndSidePart": "short",
        "bigHair": "long", "bob": "long", "curly": "long", "curvy": "long", "dreads": "long",
        "longButNotTooLong": "long", "miaWallace": "long", "straight01": "long", "straight02": "long",
        "straightAndStrand": "long",
        "sides": "bald",
    },
    hairless=frozenset(),
    # eyepatch is left out
    glasses=("accessories", ("kurt", "prescription01", "prescription02", "round", "sunglasses", "wayfarers"), ()),
    # moustacheFancy (curled handlebar) is left out
    facial_hair=("facialHair", ("beardLight", "beardMedium", "beardMajestic", "moustacheMagnum"), ()),
    mouth_component="mouth",
    # Left out: default (ambiguous half-smile), eating, grimace, screamOpen, tongue, vomit.
    mouth={"smile": "yes", "twinkle": "yes", "serious": "no", "sad": "no", "concerned": "no", "disbelief": "no"},
    nuisance={
        "scale": 1.5, "translateY": 12,  # zoom on the head: it fills the frame like the CelebA crop
        "topProbability": 100,
        "eyesVariant": ["default", "happy", "side", "squint", "surprised"],
        "eyebrowsVariant": ["default", "defaultNatural", "flatNatural", "frownNatural", "raisedExcited",
                            "raisedExcitedNatural", "sadConcerned", "sadConcernedNatural", "upDown",
                            "upDownNatural", "unibrowNatural"],
    },
)

PERSONAS = StyleSpec(
    name="personas",
    skin_option="skinColor",
    skin={"eeb4a4": "light", "e7a391": "light", "e5a07e": "light", "d78774": "medium", "b16a5b": "medium",
          "92594b": "dark", "623d36": "dark"},
    hair_color_options=("hairColor", "facialHairColor"),
    hair_color=dict(_HAIR_COLOURS),
    hair_component="hair",
    # Left out: beanie, cap (hats), pigtails, curlyBun / straightBun / bunUndercut (tied up), curly and
    # sideShave (ambiguous length).
    hair_style={
        "buzzcut": "short", "fade": "short", "shortCombover": "short", "shortComboverChops": "short",
        "mohawk": "short", "curlyHighTop": "short",
        "long": "long", "extraLong": "long", "bobBangs": "long", "bobCut": "long",
        "bald": "bald", "balding": "bald",
    },
    hairless=frozenset({"bald"}),
    # Glasses are eye variants here; "no" keeps open / happy eyes (sleep and wink are left out).
    glasses=("eyes", ("glasses", "sunglasses"), ("open", "happy")),
    facial_hair=("facialHair", ("beardMustache", "goatee", "pyramid", "shadow", "soulPatch", "walrus"), ()),
    mouth_component="mouth",
    # Left out: pacifier, smirk (ambiguous).
    mouth={"smile": "yes", "bigSmile": "yes", "frown": "no", "lips": "no", "surprise": "no"},
    nuisance={"hairProbability": 100, "scale": 1.4, "translateY": 10},
)

MICAH = StyleSpec(
    name="micah",
    skin_option="baseColor",
    skin={"f9c9b6": "light", "ac6651": "medium", "77311d": "dark"},
    hair_color_options=("hairColor", "facialHairColor"),
    hair_color=dict(_HAIR_COLOURS),
    hair_component="hair",
    # Left out: turban, pixie (named short but drawn as a chin-length bob).
    # dougFunny is a few strands on a bald head: bald, and its hair colour is not readable.
    hair_style={"dannyPhantom": "short", "fonze": "short", "mrT": "short",
                "full": "long", "dougFunny": "bald", "mrClean": "bald"},
    hairless=frozenset({"mrClean", "dougFunny"}),
    glasses=("glasses", ("round", "square"), ()),
    facial_hair=("facialHair", ("beard", "scruff"), ()),
    mouth_component="mouth",
    # Left out: nervous (grimace), pucker, smirk (ambiguous).
    mouth={"smile": "yes", "laughing": "yes", "frown": "no", "sad": "no", "surprised": "no"},
    nuisance={
        "hairProbability": 100, "scale": 1.3, "translateY": 8,
        "eyesVariant": ["eyes", "eyesShadow", "round"],  # "smiling" eyes are left out
    },
    # Frames that stand out from the skin (the palette's white / pastel frames vanish on light skin).
    per_skin={"light": {"glassesColor": ["000000", "25557c"]}, "medium": {"glassesColor": ["000000", "25557c"]},
              "dark": {"glassesColor": ["ffffff", "f4d150"]}},
)

STYLES: dict[str, StyleSpec] = {s.name: s for s in (AVATAARS, PERSONAS, MICAH)}

# ``meta.license`` of each style definition (name, url); checked against the installed JSON by the tests.
STYLE_LICENSES: dict[str, str] = {
    "avataaars": "Free for personal and commercial use (https://avataaars.com/)",
    "personas": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
    "micah": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
}
STYLE_CREATORS: dict[str, str] = {"avataaars": "Pablo Stanley", "personas": "Draftbit - draftbit.com",
                                  "micah": "Micah Lanier"}


def get_spec(style: str) -> StyleSpec:
    if style not in STYLES:
        raise ValueError(f"unknown avatar style {style!r}; known styles: {', '.join(STYLES)}")
    return STYLES[style]


# ------------------------------------------------------------------------------ skin tone
def luminance(hex_colour: str) -> float:
    """Relative luminance Y (0 black … 1 white; WCAG's, CIE Y) of an sRGB hex colour."""
    h = hex_colour.lstrip("#")
    rgb = np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)], dtype=np.float64) / 255.0
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(lin @ np.array([0.2126, 0.7152, 0.0722]))


def lightness(hex_colour: str) -> float:
    """CIELAB L* (0 black … 100 white) of an sRGB hex colour."""
    y = luminance(hex_colour)
    return 116.0 * (y ** (1 / 3) if y > (6 / 29) ** 3 else y / (3 * (6 / 29) ** 2) + 4 / 29) - 16.0


def tone(hex_colour: str) -> float:
    """Skin darkness in [0, 1]: ``(100 - L*) / 100`` rounded to 4 places (higher = darker)."""
    return round((100.0 - lightness(hex_colour)) / 100.0, 4)


# ------------------------------------------------------------------------------ parameters
@dataclass(frozen=True)
class AvatarParams:
    """What an avatar shows (the groups) and the raw DiceBear options that draw it."""

    style: str
    skin: str
    tone: float
    hair_color: str
    hair_style: str
    glasses: bool
    facial_hair: bool
    smiling: bool
    options: dict[str, Any] = field(hash=False, compare=True)  # raw style options, seed included

    def to_json(self) -> str:
        return json.dumps(self.options, sort_keys=True)


def _pick(rng: np.random.Generator, values) -> Any:
    values = list(values)
    return values[int(rng.integers(len(values)))]


def _pick_group(rng: np.random.Generator, attr: str, available: set[str]) -> str:
    names = [g for g in GROUPS[attr] if g in available]
    w = np.array([WEIGHTS[attr][g] for g in names], dtype=np.float64)
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def _members(table: Mapping[str, str], group: str) -> list[str]:
    return [k for k, g in table.items() if g == group]


def _as_bool(attr: str, v: bool | str) -> bool:
    if isinstance(v, str):
        if v not in ("yes", "no"):
            raise ValueError(f"{attr} must be True/False or 'yes'/'no', got {v!r}")
        return v == "yes"
    return bool(v)


def make_params(style: str, rng: np.random.Generator | int | None = None, *, skin: str | None = None,
                hair_color: str | None = None, hair_style: str | None = None, glasses: bool | str | None = None,
                facial_hair: bool | str | None = None, smiling: bool | str | None = None,
                variants: Mapping[str, tuple[str, ...]] | None = None) -> AvatarParams:
    """Parameters with the given groups; the ones left ``None`` (and the raw value inside each group,
    and the DiceBear seed for the nuisance options: clothes, eyebrows, ...) are drawn from ``rng``.

    ``variants`` narrows the raw value inside a group (keys ``hair_style``, ``facial_hair`` — used when
    facial hair is drawn —, ``smiling`` — the mouth): ``rng`` then picks among those, which must belong to
    the decided group (the photo cues of :mod:`xdomain.avatar_fit`). The number of draws is the same
    either way, so the other options do not move."""
    spec = get_spec(style)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    variants = dict(variants or {})
    unknown = set(variants) - {"hair_style", "facial_hair", "smiling"}
    if unknown:
        raise ValueError(f"variants can narrow hair_style, facial_hair or smiling, not {sorted(unknown)}")

    def pick(attr: str, members) -> str:
        """One draw over the whole group either way (so later draws do not move); with ``variants``, the
        draw's index picks among those instead."""
        members = list(members)
        want = variants.get(attr)
        if want:
            bad = [v for v in want if v not in members]
            if bad:
                raise ValueError(f"{attr} variants {bad} are not in the decided group of style {style!r} ({members})")
        i = int(rng.integers(len(members)))
        return want[i % len(want)] if want else members[i]

    def group(attr: str, given, table: Mapping[str, str] | None) -> str:
        available = set(table.values()) if table is not None else set(GROUPS[attr])
        if given is None:
            return _pick_group(rng, attr, available)
        if given not in available:
            raise ValueError(f"{attr}={given!r} is not available in style {style!r}; "
                             f"choose from {[g for g in GROUPS[attr] if g in available]}")
        return given

    skin_g = group("skin", skin, spec.skin)
    hair_c = group("hair_color", hair_color, spec.hair_color)
    hair_s = group("hair_style", hair_style, spec.hair_style)
    flags = {}
    for attr, given in (("glasses", glasses), ("facial_hair", facial_hair), ("smiling", smiling)):
        flags[attr] = group(attr, None, None) == "yes" if given is None else _as_bool(attr, given)

    skin_hex = _pick(rng, _members(spec.skin, skin_g))
    hair_hex = _pick(rng, _members(spec.hair_color, hair_c))
    opts: dict[str, Any] = {"seed": f"{int(rng.integers(2 ** 31)):010d}", "backgroundColor": [BACKGROUND]}
    opts.update(spec.nuisance)
    opts.update(spec.per_skin.get(skin_g, {}))
    opts[spec.skin_option] = [skin_hex]
    for o in spec.hair_color_options:
        opts[o] = [hair_hex]
    opts[f"{spec.hair_component}Variant"] = pick("hair_style", _members(spec.hair_style, hair_s))
    opts[f"{spec.hair_component}Probability"] = 100
    for attr in ("glasses", "facial_hair"):
        comp, yes, no = spec.binary(attr)
        if flags[attr]:
            opts[f"{comp}Variant"], opts[f"{comp}Probability"] = pick(attr, yes), 100
        elif no:
            opts[f"{comp}Variant"], opts[f"{comp}Probability"] = _pick(rng, no), 100
        else:
            opts[f"{comp}Probability"] = 0
    opts[f"{spec.mouth_component}Variant"] = pick("smiling", _members(spec.mouth, "yes" if flags["smiling"] else "no"))
    return AvatarParams(style, skin_g, tone(skin_hex), hair_c, hair_s, flags["glasses"], flags["facial_hair"],
                        flags["smiling"], opts)


def sample_params(style: str, rng: np.random.Generator | int | None = None) -> AvatarParams:
    """Balanced-ish random parameters (every group equally likely, bald heads half as likely)."""
    return make_params(style, rng)


def _single(options: Mapping[str, Any], key: str) -> Any:
    v = options.get(key)
    if isinstance(v, list):
        if len(v) != 1:
            raise ValueError(f"option {key}={v!r} is not a single value")
        v = v[0]
    return v.lstrip("#").lower() if isinstance(v, str) and key.endswith("Color") else v


def params_from_options(style: str, options: Mapping[str, Any]) -> AvatarParams:
    """The inverse of :func:`make_params`: read the groups back from raw options (the tables the other
    way round). Raises ``ValueError`` for an option value outside the tables."""
    spec = get_spec(style)

    def lookup(attr: str, key: str, table: Mapping[str, str]) -> str:
        v = _single(options, key)
        if v not in table:
            raise ValueError(f"{key}={v!r} is not in the {attr} table of style {style!r}")
        return table[v]

    def flag(attr: str) -> bool:
        comp, yes, no = spec.binary(attr)
        if options.get(f"{comp}Probability") == 0:
            if no:
                raise ValueError(f"style {style!r} always shows {comp}; {comp}Probability must be 100")
            return False
        if options.get(f"{comp}Probability") != 100:
            raise ValueError(f"{comp}Probability must be 0 or 100, got {options.get(f'{comp}Probability')!r}")
        v = _single(options, f"{comp}Variant")
        if v in yes:
            return True
        if v in no:
            return False
        raise ValueError(f"{comp}Variant={v!r} is not in the {attr} table of style {style!r}")

    skin_hex = _single(options, spec.skin_option)
    skin_g = lookup("skin", spec.skin_option, spec.skin)
    hair_cs = {lookup("hair_color", o, spec.hair_color) for o in spec.hair_color_options}
    if len(hair_cs) != 1:
        raise ValueError(f"{spec.hair_color_options} disagree: {hair_cs}")
    if options.get(f"{spec.hair_component}Probability") != 100:
        raise ValueError(f"{spec.hair_component}Probability must be 100")
    hair_s = lookup("hair_style", f"{spec.hair_component}Variant", spec.hair_style)
    smiling = lookup("smiling", f"{spec.mouth_component}Variant", spec.mouth) == "yes"
    return AvatarParams(style, skin_g, tone(skin_hex), hair_cs.pop(), hair_s, flag("glasses"),
                        flag("facial_hair"), smiling, dict(options))


FLIPPABLE = ("glasses", "facial_hair", "smiling", "hair_color")  # what :func:`flipped` can change


def flipped(params: AvatarParams, attr: str, rng: np.random.Generator) -> AvatarParams:
    """``params`` with one attribute (:data:`FLIPPABLE`) changed and every other option kept: glasses, facial hair
    or smiling to the other value (its variant drawn from the style's tables by ``rng``), or the hair colour to a
    colour of another group (revision 19's blends)."""
    spec = get_spec(params.style)
    opts = dict(params.options)
    if attr in ("glasses", "facial_hair"):
        comp, yes, no = spec.binary(attr)
        if not getattr(params, attr):
            opts[f"{comp}Variant"], opts[f"{comp}Probability"] = _pick(rng, yes), 100
        elif no:
            opts[f"{comp}Variant"], opts[f"{comp}Probability"] = _pick(rng, no), 100
        else:
            opts[f"{comp}Probability"] = 0
    elif attr == "smiling":
        opts[f"{spec.mouth_component}Variant"] = _pick(rng, _members(spec.mouth, "no" if params.smiling else "yes"))
    elif attr == "hair_color":
        hex_ = _pick(rng, [h for h, g in spec.hair_color.items() if g != params.hair_color])
        opts.update({o: [hex_] for o in spec.hair_color_options})
    else:
        raise ValueError(f"attr must be one of {FLIPPABLE}, got {attr!r}")
    return params_from_options(params.style, opts)


def labels(params: AvatarParams) -> dict[str, int]:
    """Group indices (see :data:`GROUPS`); ``hair_color`` is :data:`IGNORE` for a hairless head."""
    spec = get_spec(params.style)
    out = {a: GROUPS[a].index(getattr(params, a)) for a in ("skin", "hair_color", "hair_style")}
    out.update({a: int(getattr(params, a)) for a in BINARY})
    if params.options.get(f"{spec.hair_component}Variant") in spec.hairless:
        out["hair_color"] = IGNORE
    return out


# ------------------------------------------------------------------------------ rendering
_STYLE_LOCK = threading.Lock()


class _BundledDefinition:
    """Stands in for DiceBear's ``StyleValidator`` while :func:`_style` loads a definition of the pinned
    ``dicebear-styles`` package: checking the package's own file against the JSON schema costs ~2 s for
    avataaars on this CPU at every start of the app (the Face tab's first avatar waited for it), and the
    same file is checked once by the real validator in ``tests/test_avatars.py``."""

    @staticmethod
    def validate(data: Any) -> None:  # noqa: ARG004 - the validator's signature
        return None


def style_definition(style: str) -> dict:
    """The installed ``dicebear-styles`` definition of ``style`` (decoded JSON)."""
    from importlib.resources import files

    get_spec(style)
    return json.loads(files("dicebear_styles").joinpath(f"{style}.json").read_text("utf-8"))


@lru_cache(maxsize=None)
def _style(style: str):
    """DiceBear's ``Style`` for one of :data:`STYLES`, built without the schema check (see
    :class:`_BundledDefinition`); everything else in ``Style.__init__`` (the copy, alias checks) runs."""
    import dicebear.style._style as style_module
    from dicebear import Style

    data = style_definition(style)
    with _STYLE_LOCK:
        real = style_module.StyleValidator
        style_module.StyleValidator = _BundledDefinition
        try:
            return Style(data)
        finally:
            style_module.StyleValidator = real


@lru_cache(maxsize=None)
def _known_options(style: str) -> dict[str, dict]:
    from dicebear import OptionsDescriptor

    return OptionsDescriptor(_style(style)).to_json()


def style_meta(style: str) -> dict[str, str | None]:
    """Licence name / url and creator of a style, read from its installed definition."""
    m = _style(style).meta()
    return {"license": m.license().name(), "license_url": m.license().url(), "creator": m.creator().name()}


# Revision 21 (docs/avatars_selection.md): xdomain's own option, not DiceBear's: [s_x, s_y], the avatar stretched
# about the centre of its eye line (view-box units, after the style's zoom), for the styles listed here.
STRETCH_OPTION = "stretch"
EYE_LINE: dict[str, tuple[float, float]] = {"avataaars": (140.0, 129.0)}
STRETCH_RANGE = (0.8, 1.25)


def stretch_of(options: Mapping[str, Any]) -> tuple[float, float]:
    """The (s_x, s_y) of ``options`` ((1, 1) without the option)."""
    sx, sy = options.get(STRETCH_OPTION, (1.0, 1.0))
    return float(sx), float(sy)


def _check_stretch(style: str, value) -> None:
    if style not in EYE_LINE:
        raise ValueError(f"style {style!r} cannot be stretched; styles that can: {sorted(EYE_LINE)}")
    lo, hi = STRETCH_RANGE
    try:
        ok = len(value) == 2 and all(lo <= float(v) <= hi for v in value)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{STRETCH_OPTION} must be two numbers (width, length) in [{lo}, {hi}], got {value!r}")


def stretch_svg(svg: str, sx: float, sy: float, centre: tuple[float, float]) -> str:
    """``svg`` (DiceBear's markup) with its content scaled by (``sx``, ``sy``) about ``centre`` (view-box units)."""
    if (sx, sy) == (1.0, 1.0):
        return svg
    head, tail = svg.index(">", svg.index("<svg")) + 1, svg.rindex("</svg>")
    cx, cy = centre
    g = f'<g transform="matrix({sx:g} 0 0 {sy:g} {cx * (1 - sx):g} {cy * (1 - sy):g})">'
    return svg[:head] + g + svg[head:tail] + "</g>" + svg[tail:]


def check_options(style: str, options: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` for an option the style does not have or a variant it does not define
    (DiceBear itself would silently drop such a variant and draw the component without it)."""
    known = _known_options(style)
    for key, value in options.items():
        if key == STRETCH_OPTION:
            _check_stretch(style, value)
            continue
        if key not in known:
            raise ValueError(f"style {style!r} has no option {key!r}")
        if key.endswith("Variant") and known[key]["type"] == "enum":
            names = value if isinstance(value, (list, tuple)) else list(value) if isinstance(value, dict) else [value]
            bad = [v for v in names if v not in known[key]["values"]]
            if bad:
                raise ValueError(f"style {style!r}: {key} has no variant(s) {bad}; known: {known[key]['values']}")


def render_svg(style: str, params: AvatarParams) -> str:
    """The avatar as SVG markup (white background; DiceBear embeds the style's licence metadata)."""
    get_spec(style)
    if params.style != style:
        raise ValueError(f"parameters are for style {params.style!r}, not {style!r}")
    from dicebear import Avatar

    check_options(style, params.options)
    options = dict(params.options)
    sx, sy = stretch_of(options)
    options.pop(STRETCH_OPTION, None)
    return stretch_svg(Avatar(_style(style), options).to_string(), sx, sy, EYE_LINE.get(style, (0.0, 0.0)))


def rasterize(svg: str, size: int = 64) -> np.ndarray:
    """SVG → uint8 [size, size, 3] on white (resvg, no system fonts)."""
    import resvg_py
    from PIL import Image

    png = resvg_py.svg_to_bytes(svg_string=svg, width=size, height=size, background="white",
                                skip_system_fonts=True)
    with Image.open(io.BytesIO(bytes(png))) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def render(style: str, params: AvatarParams, size: int = 64) -> np.ndarray:
    """uint8 [size, size, 3], white background; the same params give the same bytes."""
    return rasterize(render_svg(style, params), size)


# ------------------------------------------------------------------------------ dataset
ATTRS = tuple(GROUPS)


def _digest(style: str) -> str:
    """Changes when the tables or the renderer change, so stale caches are not reused."""
    spec = get_spec(style)
    canonical = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in asdict(spec).items()}
    blob = json.dumps({"spec": canonical, "weights": WEIGHTS, "bg": BACKGROUND,
                       "versions": [_pkg_version(p) for p in ("dicebear-core", "dicebear-styles", "resvg-py")]},
                      sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:10]


def dataset_path(style: str, n: int, seed: int, size: int = 64, cache_dir: str | os.PathLike | None = None) -> Path:
    root = Path(cache_dir) if cache_dir is not None else sources.cache_dir() / "avatars"
    return root / f"{style}_n{n}_seed{seed}_s{size}_{_digest(style)}.npz"


def item_params(style: str, seed: int, i: int) -> AvatarParams:
    """The parameters of avatar ``i`` of dataset ``seed`` (its own stream: a dataset of n is a prefix
    of a larger one with the same seed)."""
    return sample_params(style, np.random.default_rng([seed, i]))


def generate(style: str, n: int, seed: int, size: int = 64) -> dict[str, np.ndarray]:
    get_spec(style)
    images = np.empty((n, size, size, 3), np.uint8)
    labs = {a: np.empty(n, np.int8) for a in ATTRS}
    tones = np.empty(n, np.float32)
    opts = []
    for i in range(n):
        p = item_params(style, seed, i)
        images[i] = render(style, p, size)
        for a, v in labels(p).items():
            labs[a][i] = v
        tones[i] = p.tone
        opts.append(p.to_json())
    return {"images": images, **labs, "tone": tones, "options": np.array(opts, dtype=np.str_)}


def avatar_dataset(style: str, n: int, seed: int = 0, size: int = 64,
                   cache_dir: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """``n`` rendered avatars of ``style`` with their labels, generated on first use and cached.

    Returns ``images`` uint8 [n, size, size, 3], one int8 [n] array per attribute of :data:`GROUPS`
    (group index; ``hair_color`` may be :data:`IGNORE`), ``tone`` float32 [n] and ``options`` (the raw
    options of each avatar as JSON, for :func:`render_svg` via :func:`params_from_options`). The cache
    file is keyed by (style, n, seed, size) and a digest of the tables and package versions.
    """
    path = dataset_path(style, n, seed, size, cache_dir)
    if path.is_file():
        with np.load(path, allow_pickle=False) as d:
            return {k: d[k] for k in d.files}
    data = generate(style, n, seed, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **data)
    os.replace(tmp, path)
    return data


def to_tensors(data: Mapping[str, np.ndarray]) -> dict:
    """images → float [N, 3, H, W] in [-1, 1]; each label → int64 [N]; tone → float32 [N]."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(data["images"])).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
    out = {"images": x.contiguous(), "tone": torch.from_numpy(np.asarray(data["tone"], np.float32))}
    out.update({a: torch.from_numpy(np.asarray(data[a], np.int64)) for a in ATTRS})
    return out


# ------------------------------------------------------------------------------ the avatar judge's outputs
def _tone_range() -> tuple[float, float]:
    ts = [tone(h) for s in STYLES.values() for h in s.skin]
    return min(ts), max(ts)


TONE_RANGE = _tone_range()  # darkness of the lightest and darkest skin colour any style uses
JUDGE_OUTPUTS: tuple[str, ...] = (
    "tone",  # skin darkness rescaled to [0, 1] over TONE_RANGE (a soft target)
    *(f"hair_{g}" for g in GROUPS["hair_color"]),  # one-hot hair colour (all 0 for a hairless head)
    *(f"style_{g}" for g in GROUPS["hair_style"]),  # one-hot hair style
    *BINARY,  # glasses, facial_hair, smiling
)


def params_targets(params: "list[AvatarParams]") -> np.ndarray:
    """float32 [N, len(JUDGE_OUTPUTS)] targets of rendered ``params`` (:func:`judge_targets` of their labels)."""
    lab = [labels(p) for p in params]
    return judge_targets({"tone": np.array([p.tone for p in params], np.float32),
                          **{a: np.array([d[a] for d in lab], np.int64) for a in ATTRS}})


def judge_targets(data: Mapping[str, np.ndarray]) -> np.ndarray:
    """float32 [N, len(JUDGE_OUTPUTS)] targets of the avatar attribute judge from a dataset's labels."""
    lo, hi = TONE_RANGE
    n = len(data["tone"])
    out = np.zeros((n, len(JUDGE_OUTPUTS)), np.float32)
    out[:, 0] = np.clip((np.asarray(data["tone"], np.float32) - lo) / (hi - lo), 0, 1)
    hc = np.asarray(data["hair_color"])
    has = hc != IGNORE
    out[np.nonzero(has)[0], 1 + hc[has]] = 1
    k = 1 + len(GROUPS["hair_color"])
    out[np.arange(n), k + np.asarray(data["hair_style"])] = 1
    k += len(GROUPS["hair_style"])
    for j, a in enumerate(BINARY):
        out[:, k + j] = np.asarray(data[a])
    return out
