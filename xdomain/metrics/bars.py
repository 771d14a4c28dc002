"""Quality bars: the stored figures a model must reach, per direction, before the app offers it.

A checkpoint names its bar in the registry (``CheckpointSpec.bar``); :func:`check` reads the metrics
stored in its ``config.json`` (computed by ``python -m xdomain eval --write``, never typed in) and says,
per direction, whether every figure clears its minimum. A direction that misses — or whose figure was
never measured — is not offered as a normal choice: the app lists it under "experimental" with the
figures beside it. The same rule holds for every future target (UNIT, CoGAN, avatars).

Bars (from the issues that define them):

* ``face-attribute`` — a CelebA attribute pair (DiscoGAN, and UNIT / CoGAN face pairs later), read by
  the robust judge on test identities: target flipped ≥ 80%, the other listed attributes kept ≥ 85% on
  average (Male included where it is not the pair), output diversity ≥ 0.9.
* ``face-emoji`` — faces → avatar: balanced accuracy of the avatar judge's reading ≥ 85% for hair colour,
  eyeglasses and facial hair, ≥ 80% for smiling; skin-tone Spearman ≥ 0.6; identity median rank ≤ 5% of
  the test gallery (issue 16; :mod:`xdomain.metrics.avatars`).
* ``face-pair`` — a CoGAN face pair (one z, two generators), read by the robust judge over 2,000 reported
  draws: the pair differs in the pair's attribute ≥ 80%, agrees on the other attributes ≥ 85% on average,
  and its identity distance is ≤ 0.80 of random pairs' (issue 15; written before the blond run,
  docs/cogan_selection.md).
* ``digit-adaptation-m2u`` / ``digit-adaptation-u2m`` — a UNIT digit-adaptation checkpoint: the shared
  classifier's accuracy on the target's test digits ≥ 0.93 (MNIST → USPS) / ≥ 0.90 (USPS → MNIST), issue 14's
  thresholds (there on the last-step mean over three seeds; here on the committed checkpoint itself).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Bar:
    name: str
    minimum: Mapping[str, float]  # metric stem → minimum; "_{direction}" is appended when per_direction
    per_direction: bool = True
    maximum: Mapping[str, float] = field(default_factory=dict)  # metric stem → maximum (e.g. a median rank)
    about: str = ""


    def limits(self) -> list[tuple[str, float, int]]:
        """(stem, limit, +1 for a minimum / −1 for a maximum), minimums first."""
        return [(k, v, 1) for k, v in self.minimum.items()] + [(k, v, -1) for k, v in self.maximum.items()]


@dataclass
class Verdict:
    passed: bool
    figures: dict[str, float | None] = field(default_factory=dict)  # stem → stored value (None: not measured)
    misses: list[str] = field(default_factory=list)  # human-readable reasons

    def summary(self, bar: Bar) -> str:
        """e.g. "flipped 98.0%, kept 84.4% (bar 85%), diversity 0.99"."""
        parts = []
        for stem, lo, sign in bar.limits():
            v = self.figures.get(stem)
            share = stem.startswith(_SHARES)  # a share of faces, shown as a percentage
            bar_txt = ("≤ " if sign < 0 else "") + (f"{lo:.0%}" if share else f"{lo:g}")
            miss = v is None or sign * v < sign * lo
            shown = "not measured" if v is None else figure_text(v, lo, share, sign)
            parts.append(f"{_NAMES.get(stem, stem)} {shown}" + (f" (bar {bar_txt})" if miss else ""))
        return ", ".join(parts)


def figure_text(v: float, limit: float, share: bool = True, sign: int = 1) -> str:
    """``v`` as the bar labels show it: a percentage with one decimal (``share``) or a number with two, and more
    decimals when a miss would otherwise round onto ``limit`` (0.8497 against 85% shows "84.97%", not "85.0%");
    ``sign`` +1: ``limit`` is a minimum, −1: a maximum."""
    miss = sign * v < sign * limit
    for digits in range(1 if share else 2, 5):
        text = f"{v:.{digits}%}" if share else f"{v:.{digits}f}"
        rounded = float(text.rstrip("%")) / (100 if share else 1)
        if not miss or sign * rounded < sign * limit:
            return text
    return text


_NAMES = {"flipped": "flipped", "kept_mean": "kept", "diversity": "diversity", "bal_acc_hair": "hair",
          "bal_acc_eyeglasses": "glasses", "bal_acc_facial_hair": "facial hair", "bal_acc_smiling": "smiling",
          "skin_spearman": "skin ρ", "id_median_rank_share": "identity median rank",
          "pair_attr_differs": "pair differs", "pair_id_ratio": "identity ratio", "acc_target_test": "target accuracy"}
_SHARES = ("flipped", "kept", "bal_acc", "id_median_rank_share", "pair_attr_differs", "acc_")

BARS: dict[str, Bar] = {
    "face-attribute": Bar("face-attribute", {"flipped": 0.80, "kept_mean": 0.85, "diversity": 0.90},
                          about="flipped ≥ 80%, kept ≥ 85% on average, diversity ≥ 0.9 (robust judge, test identities)"),
    "face-emoji": Bar("face-emoji", {"bal_acc_hair": 0.85, "bal_acc_eyeglasses": 0.85, "bal_acc_facial_hair": 0.85,
                                     "bal_acc_smiling": 0.80, "skin_spearman": 0.60}, per_direction=False,
                      maximum={"id_median_rank_share": 0.05},
                      about="avatar-judge balanced accuracy ≥ 85% (hair, glasses, facial hair), ≥ 80% (smiling), "
                            "skin-tone Spearman ≥ 0.6, identity median rank ≤ 5% of the test gallery"),
    "face-pair": Bar("face-pair", {"pair_attr_differs": 0.80, "kept_mean": 0.85}, per_direction=False,
                     maximum={"pair_id_ratio": 0.80},
                     about="the pair differs in its attribute ≥ 80%, agrees on the others ≥ 85% on average, "
                           "identity distance ≤ 0.80 of random pairs' (robust and identity judges, 2,000 draws)"),
    **{f"digit-adaptation-{d}": Bar(f"digit-adaptation-{d}", {"acc_target_test": lo}, per_direction=False,
                                    about=f"target-test accuracy of the shared classifier ≥ {lo:.0%} ({name})")
       for d, lo, name in (("m2u", 0.93, "MNIST → USPS"), ("u2m", 0.90, "USPS → MNIST"))},
}


def check(bar_name: str, metrics: Mapping[str, float], direction: str = "a2b") -> Verdict:
    """Whether the stored ``metrics`` clear bar ``bar_name`` in ``direction`` (no bar named: passes)."""
    if not bar_name:
        return Verdict(True)
    if bar_name not in BARS:
        raise KeyError(f"unknown bar {bar_name!r}; known: {', '.join(BARS)}")
    bar = BARS[bar_name]
    v = Verdict(True)
    for stem, limit, sign in bar.limits():
        key = f"{stem}_{direction}" if bar.per_direction else stem
        val = metrics.get(key)
        v.figures[stem] = None if val is None else float(val)
        if val is None:
            v.passed = False
            v.misses.append(f"{key} not measured")
        elif sign * float(val) < sign * limit:
            v.passed = False
            v.misses.append(f"{key} = {float(val):.3f} {'<' if sign > 0 else '>'} {limit:g}")
    return v
