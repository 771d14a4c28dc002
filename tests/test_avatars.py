"""Parametric avatars (xdomain.data.avatars): tables, sampling, rendering, labels, the cached dataset."""
from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pytest

from xdomain.data import avatars as av

STYLES = list(av.STYLES)


def draws(style: str, n: int, seed: int = 0) -> list[av.AvatarParams]:
    rng = np.random.default_rng(seed)
    return [av.sample_params(style, rng) for _ in range(n)]


# ------------------------------------------------------------------------------ tables
@pytest.mark.parametrize("style", STYLES)
def test_tables_name_real_options_and_variants(style):
    """Every raw value in the tables exists in the installed style (DiceBear drops unknown variants silently)."""
    spec = av.STYLES[style]
    known = av._known_options(style)
    for key in (spec.skin_option, *spec.hair_color_options, f"{spec.hair_component}Variant",
                f"{spec.mouth_component}Variant", *(k for k in spec.nuisance)):
        assert key in known, key
    assert set(spec.hair_style) <= set(known[f"{spec.hair_component}Variant"]["values"])
    assert set(spec.hairless) <= set(spec.hair_style)
    assert set(spec.mouth) <= set(known[f"{spec.mouth_component}Variant"]["values"])
    for attr in ("glasses", "facial_hair"):
        comp, yes, no = spec.binary(attr)
        assert yes and set(yes) | set(no) <= set(known[f"{comp}Variant"]["values"])
        assert not set(yes) & set(no)
    for table, attr in ((spec.skin, "skin"), (spec.hair_color, "hair_color"), (spec.hair_style, "hair_style")):
        assert set(table.values()) <= set(av.GROUPS[attr])
    assert set(spec.mouth.values()) == {"yes", "no"}


@pytest.mark.parametrize("style", STYLES)
def test_skin_table_is_ordered_light_to_dark(style):
    spec = av.STYLES[style]
    tones = [av.tone(h) for h in spec.skin]
    assert tones == sorted(tones) and len(set(tones)) == len(tones)
    ranks = [av.GROUPS["skin"].index(g) for g in spec.skin.values()]
    assert ranks == sorted(ranks)
    assert set(spec.skin.values()) == set(av.GROUPS["skin"])


def test_tone_is_cielab_darkness():
    assert av.tone("ffffff") == pytest.approx(0.0, abs=1e-3)
    assert av.tone("000000") == pytest.approx(1.0, abs=1e-3)
    assert av.lightness("777777") == pytest.approx(50.0, abs=0.5)


@pytest.mark.parametrize("style", STYLES)
def test_licenses_are_the_styles_own(style):
    meta = av.style_meta(style)
    assert av.STYLE_LICENSES[style] == f"{meta['license']} ({meta['license_url']})"
    assert av.STYLE_CREATORS[style] == meta["creator"]


# ------------------------------------------------------------------------------ params ↔ options ↔ labels
@pytest.mark.parametrize("style", STYLES)
def test_options_map_back_to_the_params_that_made_them(style):
    for p in draws(style, 200, seed=3):
        assert av.params_from_options(style, p.options) == p
        assert av.labels(av.params_from_options(style, json.loads(p.to_json()))) == av.labels(p)


@pytest.mark.parametrize("style", STYLES)
def test_each_table_entry_round_trips(style):
    """group → options (make_params) → group (params_from_options), for every raw value of every table."""
    spec = av.STYLES[style]
    base = av.make_params(style, 0)

    def with_(**changes):
        return av.params_from_options(style, {**base.options, **changes})

    for hex_, group in spec.skin.items():
        p = with_(**{spec.skin_option: [hex_]})
        assert (p.skin, p.tone) == (group, av.tone(hex_))
    for hex_, group in spec.hair_color.items():
        assert with_(**{o: [hex_] for o in spec.hair_color_options}).hair_color == group
    for variant, group in spec.hair_style.items():
        p = with_(**{f"{spec.hair_component}Variant": variant})
        assert p.hair_style == group
        assert (av.labels(p)["hair_color"] == av.IGNORE) == (variant in spec.hairless)
    for variant, group in spec.mouth.items():
        assert with_(**{f"{spec.mouth_component}Variant": variant}).smiling == (group == "yes")
    for attr in ("glasses", "facial_hair"):
        comp, yes, no = spec.binary(attr)
        for v in yes:
            assert getattr(with_(**{f"{comp}Variant": v, f"{comp}Probability": 100}), attr) is True
        for v in no:
            assert getattr(with_(**{f"{comp}Variant": v, f"{comp}Probability": 100}), attr) is False
        if not no:
            assert getattr(with_(**{f"{comp}Probability": 0}), attr) is False
    # and a value outside the tables is refused, not guessed
    with pytest.raises(ValueError, match="not in the"):
        with_(**{spec.skin_option: ["123456"]})


@pytest.mark.parametrize("style", STYLES)
def test_requested_groups_produce_matching_options(style):
    spec = av.STYLES[style]
    rng = np.random.default_rng(7)
    for _ in range(20):
        for attr in ("glasses", "facial_hair"):
            comp, yes, no = spec.binary(attr)
            p = av.make_params(style, rng, **{attr: True})
            assert p.options[f"{comp}Probability"] == 100 and p.options[f"{comp}Variant"] in yes
            q = av.make_params(style, rng, **{attr: "no"})
            if no:
                assert q.options[f"{comp}Probability"] == 100 and q.options[f"{comp}Variant"] in no
            else:
                assert q.options[f"{comp}Probability"] == 0
            assert av.labels(p)[attr] == 1 and av.labels(q)[attr] == 0
        for g in av.GROUPS["hair_color"]:
            p = av.make_params(style, rng, hair_color=g)
            assert {spec.hair_color[p.options[o][0]] for o in spec.hair_color_options} == {g}
        for g in ("yes", "no"):
            p = av.make_params(style, rng, smiling=g)
            assert spec.mouth[p.options[f"{spec.mouth_component}Variant"]] == g
            assert av.labels(p)["smiling"] == (g == "yes")


def test_avataaars_glasses_are_accessories_at_probability_100():
    rng = np.random.default_rng(0)
    p = av.make_params("avataaars", rng, glasses=True)
    assert p.options["accessoriesProbability"] == 100
    assert p.options["accessoriesVariant"] in {"kurt", "prescription01", "prescription02", "round", "sunglasses",
                                               "wayfarers"}
    assert av.make_params("avataaars", rng, glasses=False).options["accessoriesProbability"] == 0
    p = av.make_params("avataaars", rng, facial_hair=True, hair_color="grey")
    assert p.options["facialHairProbability"] == 100 and p.options["facialHairColor"] == p.options["hairColor"] == ["e8e1e1"]


def test_unavailable_group_is_refused():
    with pytest.raises(ValueError, match="not available"):
        av.make_params("avataaars", 0, hair_color="purple")
    with pytest.raises(ValueError, match="yes"):
        av.make_params("avataaars", 0, glasses="maybe")


@pytest.mark.parametrize("style", STYLES)
def test_every_group_and_raw_value_is_reachable(style):
    spec = av.STYLES[style]
    seen = defaultdict(set)
    raw = defaultdict(set)
    for p in draws(style, 400, seed=11):
        for a in av.GROUPS:
            seen[a].add(p.skin if a == "skin" else getattr(p, a) if a not in av.BINARY
                        else ("yes" if getattr(p, a) else "no"))
        raw["skin"].add(p.options[spec.skin_option][0])
        raw["hair_color"].add(p.options["hairColor"][0])
        raw["hair_style"].add(p.options[f"{spec.hair_component}Variant"])
        raw["mouth"].add(p.options[f"{spec.mouth_component}Variant"])
    for a, groups in av.GROUPS.items():
        assert seen[a] == set(groups), a
    assert raw["skin"] == set(spec.skin) and raw["hair_color"] == set(spec.hair_color)
    assert raw["hair_style"] == set(spec.hair_style) and raw["mouth"] == set(spec.mouth)


# ------------------------------------------------------------------------------ rendering
@pytest.mark.parametrize("style", STYLES)
def test_render_is_deterministic(style):
    p = av.sample_params(style, np.random.default_rng(5))
    q = av.sample_params(style, np.random.default_rng(5))
    assert p == q
    a, b = av.render(style, p), av.render(style, q)
    assert a.dtype == np.uint8 and a.shape == (64, 64, 3)
    assert a.tobytes() == b.tobytes()
    assert av.render_svg(style, p) == av.render_svg(style, q)
    assert av.render(style, p, size=32).shape == (32, 32, 3)
    assert (a[0, 0] == 255).all()  # white background


@pytest.mark.parametrize("style", STYLES)
def test_bundled_style_passes_dicebears_schema_and_draws_as_the_validated_style(style):
    """The app loads the pinned styles without DiceBear's JSON-schema check (~2 s at every start); the real
    check runs here, and the unchecked Style draws exactly what the checked one draws."""
    from dicebear import Avatar, Style
    from dicebear.validator import StyleValidator

    data = av.style_definition(style)
    StyleValidator.validate(data)  # raises StyleValidationError on a definition the schema refuses
    checked = Style(data)
    import dicebear.style._style as style_module

    assert style_module.StyleValidator is StyleValidator  # _style() restored the real validator
    for p in draws(style, 4, seed=7):
        assert Avatar(checked, dict(p.options)).to_string() == av.render_svg(style, p)


@pytest.mark.parametrize("style", STYLES)
def test_different_params_give_different_images(style):
    imgs = [av.render(style, p, 32).tobytes() for p in draws(style, 8, seed=2)]
    assert len(set(imgs)) == len(imgs)
    # one attribute changed, everything else equal
    spec = av.STYLES[style]
    p = av.make_params(style, 4, glasses=False)
    comp, yes, _ = spec.binary("glasses")
    q = av.params_from_options(style, {**p.options, f"{comp}Variant": yes[0], f"{comp}Probability": 100})
    assert q.glasses and not p.glasses
    assert av.render(style, p).tobytes() != av.render(style, q).tobytes()


def test_render_refuses_unknown_options_and_variants():
    p = av.make_params("avataaars", 0)
    with pytest.raises(ValueError, match="no variant"):
        av.render("avataaars", av.AvatarParams(**{**p.__dict__, "options": {**p.options, "topVariant": "nope"}}))
    with pytest.raises(ValueError, match="no option"):
        av.render("avataaars", av.AvatarParams(**{**p.__dict__, "options": {**p.options, "glassesVariant": "x"}}))
    with pytest.raises(ValueError, match="for style"):
        av.render("micah", p)


def test_stretch_scales_about_the_eye_line_and_bad_stretches_are_refused():
    """Revision 21's own option: the same avatar drawn wider / longer about its eye line, deterministic, kept by
    params_from_options; out of range, malformed or on a style without an eye line it is a clear error."""
    p = av.make_params("avataaars", 3)
    wide = av.params_from_options("avataaars", {**p.options, av.STRETCH_OPTION: [1.08, 1.0]})
    assert wide.options[av.STRETCH_OPTION] == [1.08, 1.0] and av.stretch_of(wide.options) == (1.08, 1.0)
    assert av.stretch_of(p.options) == (1.0, 1.0)
    a, b = av.render("avataaars", p, 128), av.render("avataaars", wide, 128)
    assert a.tobytes() != b.tobytes() and b.tobytes() == av.render("avataaars", wide, 128).tobytes()
    cols = np.abs(a.astype(int) - b.astype(int)).mean(axis=(0, 2))
    assert cols[62:66].mean() < 0.25 * cols[20:40].mean()  # wider: the middle column stays, the sides move
    tall = av.params_from_options("avataaars", {**p.options, av.STRETCH_OPTION: [1.0, 1.08]})
    rows = np.abs(a.astype(int) - av.render("avataaars", tall, 128).astype(int)).mean(axis=(1, 2))
    y = int(round(av.EYE_LINE["avataaars"][1] / 280 * 128))  # longer: the eye line stays, the chin moves
    assert rows[y - 1:y + 2].mean() < 0.25 * rows[y + 20:y + 40].mean()
    ink = lambda im: (im.min(axis=2) < 250).any(axis=0).sum()  # noqa: E731 — columns with ink
    assert ink(b) > ink(a)
    assert "matrix(1.08 0 0 1 " in av.render_svg("avataaars", wide)
    for bad in ([1.5, 1.0], [1.0], "wide", [1.0, None]):
        with pytest.raises(ValueError, match="stretch must be two numbers"):
            av.render("avataaars", av.AvatarParams(**{**p.__dict__, "options": {**p.options, av.STRETCH_OPTION: bad}}))
    q = av.make_params("micah", 0)
    with pytest.raises(ValueError, match="cannot be stretched"):
        av.render("micah", av.AvatarParams(**{**q.__dict__, "options": {**q.options, av.STRETCH_OPTION: [1.0, 1.0]}}))


def test_bad_style_name_is_a_clear_error(tmp_path):
    for call in (lambda: av.sample_params("emoji", 0), lambda: av.render("emoji", av.make_params("micah", 0)),
                 lambda: av.avatar_dataset("emoji", 2, 0, cache_dir=tmp_path), lambda: av.get_spec("Avataaars")):
        with pytest.raises(ValueError, match=r"unknown avatar style .*known styles: avataaars, personas, micah"):
            call()
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------------------ cached dataset
def test_dataset_is_cached_keyed_and_reloaded_identically(tmp_path, monkeypatch):
    d = av.avatar_dataset("personas", 6, seed=1, size=32, cache_dir=tmp_path)
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1 and files[0].name.startswith("personas_n6_seed1_s32_")
    assert d["images"].shape == (6, 32, 32, 3) and d["images"].dtype == np.uint8
    assert set(d) == {"images", "tone", "options", *av.GROUPS}
    for i in range(6):
        p = av.params_from_options("personas", json.loads(str(d["options"][i])))
        assert p == av.item_params("personas", 1, i)
        assert {a: int(d[a][i]) for a in av.GROUPS} == av.labels(p)
        assert d["tone"][i] == np.float32(p.tone)
        assert d["images"][i].tobytes() == av.render("personas", p, 32).tobytes()

    def no_render(*a, **k):
        raise AssertionError("re-rendered instead of loading the cache")

    monkeypatch.setattr(av, "generate", no_render)
    again = av.avatar_dataset("personas", 6, seed=1, size=32, cache_dir=tmp_path)
    assert set(again) == set(d)
    for k in d:
        assert np.array_equal(again[k], d[k]), k
    monkeypatch.undo()

    other_seed = av.avatar_dataset("personas", 6, seed=2, size=32, cache_dir=tmp_path)
    assert not np.array_equal(other_seed["images"], d["images"])
    smaller = av.avatar_dataset("personas", 4, seed=1, size=32, cache_dir=tmp_path)
    assert np.array_equal(smaller["images"], d["images"][:4])  # each avatar has its own stream
    av.avatar_dataset("personas", 4, seed=1, size=24, cache_dir=tmp_path)
    av.avatar_dataset("micah", 4, seed=1, size=24, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 5
    assert not list(tmp_path.glob(".*tmp*"))


def test_registered_avatar_domain(tmp_path, monkeypatch):
    from xdomain.data import domains

    monkeypatch.setenv("XDOMAIN_CACHE", str(tmp_path))
    monkeypatch.setattr(domains, "AVATAR_SPLITS", {"train": 5, "val": 3, "test": 2})
    d = domains.get_domains("avatars_micah", None, "val", seed=0)
    assert d["B"].shape == (3, 3, 64, 64) and -1.0 <= d["B"].min() and d["B"].max() <= 1.0
    assert set(d["labels_B"]) == set(av.GROUPS) and d["labels_B"]["glasses"].shape == (3,)
    assert d["tone_B"].shape == (3,)
    assert list((tmp_path / "avatars").glob("micah_n3_seed1_s64_*.npz"))  # val of seed 0 = avatar seed 1
    assert domains.dataset_info("avatars_micah").size == 64


def test_cache_key_is_stable_across_processes():
    """The file name must not depend on Python's per-process string hashing (set order)."""
    import os
    import subprocess
    import sys

    code = "from xdomain.data import avatars as a; print(a.dataset_path('micah', 5, 0, 64, '/x').name)"
    names = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONHASHSEED": str(h), "OMP_NUM_THREADS": "1"}).stdout
             for h in (1, 2)}
    assert len(names) == 1 and names.pop().strip() == av.dataset_path("micah", 5, 0, 64, "/x").name


def test_hair_decision_is_the_old_rule_at_zero_offsets_and_the_search_only_improves():
    from xdomain import avatar_fit

    rng = np.random.default_rng(0)
    labels = np.eye(4, dtype=bool)[rng.integers(0, 4, 400)]
    margins = rng.normal(-1.0, 1.0, (400, 4)) + 1.5 * labels
    margins[:, 2] -= 1.0  # brown under-read: the search should raise its offset
    old = np.where(margins.max(1) > 0, margins.argmax(1), 2)
    assert (avatar_fit.hair_decision(margins) == old).all()
    start = avatar_fit.hair_score(margins, labels)
    offsets, score = avatar_fit.joint_hair_offsets(margins, labels, step=0.25, passes=2)
    assert score == pytest.approx(avatar_fit.hair_score(margins, labels, offsets)) and score > start + 0.01
    assert offsets[2] > 0
