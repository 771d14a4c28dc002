"""The Face tab's editable avatar panel (ui/tabs/face_avatar.py) with a tiny random encoder in place of
the attribute reader (``xdomain.avatar_fit.READER``): every style gives an SVG and a PNG; each control changes the drawing and nothing
else decides it (same inputs → same bytes); bad values and a missing or corrupt encoder give messages,
and the Face tab's own path still works without the encoder."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from support import tiny_identity_encoder
from ui import common
from ui.tabs import face_avatar as panel
from xdomain import avatar_fit, hub
from xdomain.avatar_fit import AvatarFitter
from xdomain.data import avatars
from xdomain.methods.classifier import Classifier, ClassifierConfig

EXAMPLE = Path(__file__).resolve().parents[1] / "ui" / "examples" / "astronaut.jpg"
# thresholds that make the reading known whatever the random weights: black short hair, glasses, a beard,
# not smiling (a margin is logit − threshold)
FORCED = {"Black_Hair": -1e9, "Blond_Hair": 1e9, "Brown_Hair": 1e9, "Gray_Hair": 1e9, "Eyeglasses": -1e9,
          "No_Beard": 1e9, "Smiling": 1e9, "Male": -1e9, "Bald": 1e9}


def tiny_encoder() -> Classifier:
    return tiny_identity_encoder(n_classes=4, image_size=64).eval()


@pytest.fixture
def forced(monkeypatch):
    fitter = AvatarFitter(tiny_encoder(), {a: {"threshold": t} for a, t in FORCED.items()})
    monkeypatch.setattr(panel, "fitter", lambda: fitter)
    return fitter


@pytest.fixture
def crop() -> np.ndarray:
    """A face-coloured 64×64 crop shown ×4 with square pixels, as the Face tab shows it."""
    rng = np.random.default_rng(0)
    small = np.clip(rng.normal((200, 150, 120), 20, (64, 64, 3)), 0, 255).astype(np.uint8)
    return np.asarray(Image.fromarray(small).resize((256, 256), Image.NEAREST))


def controls(out: tuple) -> list:
    """The control values avatar_read set: skin, hair colour, hair style, glasses, facial hair, smiling, mirrored,
    width, length."""
    return [c["value"] if isinstance(c, dict) else c for c in out[1:1 + panel.N_CONTROLS]]


def read(crop, style="avataaars", seed=0) -> tuple:
    out = panel.avatar_read(crop, style, seed)
    assert out[0] is not None, out[-1]
    return out


def drawn(reading, style, values, seed=0) -> tuple[bytes, bytes]:
    """(SVG bytes, PNG bytes) of the avatar the controls describe."""
    svg, svg_file, message = panel.avatar_render(reading, style, *values, seed)
    assert svg == svg_file and not message, message
    png = panel.avatar_png(reading, style, *values, seed)
    return Path(svg).read_bytes(), Path(png).read_bytes()


@pytest.mark.parametrize("style", list(avatars.STYLES))
def test_each_style_gives_an_svg_and_a_png_with_its_credit(forced, crop, style):
    out = read(crop, style)
    reading, (image, svg, line, credit, message) = out[0], out[10:]
    assert image == svg and Path(svg).suffix == ".svg" and not message
    text = Path(svg).read_text()
    assert text.lstrip().startswith("<svg") and "</svg>" in text
    assert Path(svg).parent == common.FILE_DIR and Path(svg).name.startswith(f"avatar-{style}-")
    png = panel.avatar_png(reading, style, *controls(out), 0)
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size == (panel.PNG_SIZE, panel.PNG_SIZE)
        assert np.asarray(im.convert("RGB")).std() > 10  # a drawing, not a blank square
    assert avatars.STYLE_CREATORS[style] in credit and avatars.STYLE_LICENSES[style] in credit
    assert line.startswith("read: black hair (margin +") and "glasses" in line and "no glasses" not in line


def test_the_controls_show_what_was_read(forced, crop):
    out = read(crop)
    skin, hair_color, hair_style, glasses, facial_hair, smiling, mirrored, width, length = controls(out)
    reading = out[0]
    assert (hair_color, hair_style, glasses, facial_hair, smiling) == ("black", "short", True, True, False)
    assert (mirrored, width, length) == (False, 1.0, 1.0)  # no chooser here: f picks no geometry
    assert skin == reading.skin_hex("avataaars")
    assert [v for _, v in out[1]["choices"]] == list(avatars.get_spec("avataaars").skin)
    assert out[1]["choices"][0][0] == "light · ffdbb4"
    p = avatar_fit.params_for(reading, "avataaars", 0)
    assert drawn(reading, "avataaars", controls(out)) == drawn(reading, "avataaars", [
        p.options["skinColor"][0], p.hair_color, p.hair_style, p.glasses, p.facial_hair, p.smiling, False, 1.0, 1.0])


@pytest.mark.parametrize("style", list(avatars.STYLES))
def test_every_control_changes_the_avatar(forced, crop, style):
    out = read(crop, style)
    reading, base = out[0], controls(out)
    ref = drawn(reading, style, base)
    other_skin = next(h for h in avatars.get_spec(style).skin if h != base[0])
    changes = {"skin": (0, other_skin), "hair colour": (1, "blond"), "hair style": (2, "long"),
               "glasses": (3, False), "facial hair": (4, False), "smiling": (5, True), "mirrored": (6, True),
               "width": (7, 1.1), "length": (8, 0.9)}
    stretchable = style in avatars.EYE_LINE
    for name, (i, value) in changes.items():
        values = list(base)
        values[i] = value
        svg, png = drawn(reading, style, values)
        if name in ("width", "length") and not stretchable:  # ignored where the style cannot be stretched
            assert (svg, png) == ref, f"{name} changed the {style} avatar"
            continue
        assert svg != ref[0] and png != ref[1], f"{name} did not change the {style} avatar"
    assert drawn(reading, style, base, seed=1) != ref


def test_where_f_chooses_the_read_and_the_redraw_draw_the_same_chosen_avatar(monkeypatch, crop, tmp_path):
    """Revision 6 wiring: the first drawing and a redraw from the same controls both go through the chooser
    (one path without it would draw seed 0's candidate instead), and the bank the warm-up saves is reused."""
    f = tiny_encoder()
    chooser = avatar_fit.VariantChooser(f)
    fitter = AvatarFitter(tiny_encoder(), {a: {"threshold": t} for a, t in FORCED.items()} | {
        "choice_styles": ["avataaars"], "geometry_styles": ["avataaars"]}, chooser=chooser)
    monkeypatch.setattr(panel, "fitter", lambda: fitter)
    out = read(crop)
    reading, svg, line = out[0], out[11], out[12]
    assert reading.embedding is not None and line.endswith(
        "the closest of 8 to the photo under f, then its geometry (mirror, width, length) the same way")
    chosen = chooser.choose(reading, "avataaars", 0)
    assert controls(out)[6:] == list(avatar_fit.geometry_of(chosen))  # f's geometry fills the controls (revision 21)
    assert drawn(reading, "avataaars", controls(out))[0] == Path(svg).read_bytes() == \
        avatars.render_svg("avataaars", chosen).encode()
    assert "under f" not in read(crop, "micah")[12]  # not adopted for micah: the seed decides
    path = tmp_path / "bank.npz"
    n = chooser.warm("avataaars", (), path)
    assert n >= 96 and path.is_file()  # every group combination at seed 0 (no cues here)
    again = avatar_fit.VariantChooser(f)
    assert again.warm("avataaars", (), path) == n  # loaded from the file
    built = []
    monkeypatch.setattr(again, "candidates", lambda *a, **kw: built.append(a) or avatar_fit.VariantChooser.candidates(
        again, *a, **kw))
    assert again.choose(reading, "avataaars", 0) == chosen and not built  # the warm-up met the set: no K parameter sets
    cands, bank = again.bank_for(reading, "avataaars", 0)
    assert len(built) == 1 and torch.equal(bank, chooser.bank_for(reading, "avataaars", 0)[1])  # float32 on disk:
    #   warm chooses as cold
    path.write_bytes(b"not an npz")  # a corrupt cache is rebuilt, not a crash
    assert avatar_fit.VariantChooser(f).warm("avataaars", (), path) == n and path.is_file()


def test_same_inputs_give_the_same_files(forced, crop):
    a, b = read(crop, "micah", 7), read(crop, "micah", 7)
    assert a[0] == b[0] and a[10] == b[10]  # same reading, same (content-addressed) SVG file
    values = controls(a)
    assert panel.avatar_png(a[0], "micah", *values, 7) == panel.avatar_png(b[0], "micah", *values, 7)
    assert drawn(a[0], "micah", values, 7) == drawn(b[0], "micah", values, 7)


def test_a_new_style_keeps_the_controls_in_its_palette(forced, crop):
    out = read(crop)
    reading, values = out[0], controls(out)
    skin, hair_style, width, length, svg, _, line, credit, message = panel.avatar_style(reading, "personas", *values, 0)
    assert width["interactive"] is False and length["interactive"] is False  # personas cannot be stretched
    assert not message and Path(svg).name.startswith("avatar-personas-")
    assert skin["value"] == reading.skin_hex("personas")  # the photo's colour in the new palette
    assert [v for _, v in skin["choices"]] == list(avatars.get_spec("personas").skin)
    assert "Draftbit" in credit
    values[0] = "614335"  # the user picked avataaars' darkest colour: personas' darkest follows
    skin, *_ = panel.avatar_style(reading, "personas", *values, 0)
    assert avatars.get_spec("personas").skin[skin["value"]] == "dark"


@pytest.mark.parametrize("change, expected", [
    ({"style": "lorelei"}, "unknown avatar style"),
    ({"hair_style": "mohawk"}, "hair_style='mohawk' is not available"),
    ({"hair_color": "green"}, "hair_color='green' is not available"),
    ({"skin": "00ff00"}, "not in the avataaars palette"),
    ({"glasses": "perhaps"}, "glasses must be"),
    ({"seed": "abc"}, "whole number"),
    ({"seed": None}, "whole number"),
    ({"seed": 1.5}, "whole number"),
    ({"seed": -3}, "whole number"),
    ({"seed": float("nan")}, "whole number"),
    ({"reading": None}, "No face has been read"),
    ({"mirrored": "perhaps"}, "Mirrored must be"),
    ({"width": 2.0}, "width must be a number"),
    ({"length": "long"}, "length must be a number"),
    ({"length": float("nan")}, "length must be a number"),
])
def test_bad_values_give_a_message(forced, crop, change, expected):
    out = read(crop)
    args = dict(zip(["reading", "style", "skin", "hair_color", "hair_style", "glasses", "facial_hair", "smiling",
                     "mirrored", "width", "length", "seed"], [out[0], "avataaars", *controls(out), 0]))
    args.update(change)
    svg, svg_file, message = panel.avatar_render(*args.values())
    assert svg is None and svg_file is None and expected in message and "cannot be drawn" in message
    assert panel.avatar_png(*args.values()) is None
    assert expected in panel.avatar_style(*args.values())[-1]


def test_bad_read_inputs_give_a_message(forced, crop):
    for args, expected in [((None, "avataaars", 0), "No face crop"), ((crop, "toon-head", 0), "unknown avatar style"),
                           ((crop, "avataaars", "x"), "whole number"),
                           ((np.zeros((2, 3, 4, 5), np.uint8), "avataaars", 0), "image array")]:
        out = panel.avatar_read(*args)
        assert out[0] is None and out[10] is None and expected in out[-1], (args[1:], out[-1])


def test_params_for_pins_an_exact_skin_colour():
    reading = avatar_fit.FaceReading(40.0, "brown", "long", False, False, True)
    for style, spec in avatars.STYLES.items():
        for hex_, group in spec.skin.items():
            p = avatar_fit.params_for(reading, style, 3, skin_hex="#" + hex_.upper())
            assert p.options[spec.skin_option] == [hex_] and p.skin == group
        with pytest.raises(ValueError, match="palette"):
            avatar_fit.params_for(reading, style, 3, skin_hex="123456")
        with pytest.raises(ValueError, match="not available"):  # an explicit override is never replaced
            avatar_fit.params_for(reading, style, 3, hair_style="mohawk")


def test_read_line_names_the_cues_only_for_a_style_that_uses_them():
    reading = avatar_fit.FaceReading(40.0, "brown", "long", False, True, True, {}, ("Bangs", "Mustache"), ("avataaars",))
    assert panel.read_line(reading, "avataaars").endswith("; cues: bangs, moustache")
    assert "cues" not in panel.read_line(reading, "micah")
    # the user's overrides keep the cues inside the new group: a long-haired reading turned short has no bangs
    p = avatar_fit.params_for(reading, "avataaars", 0, hair_style="short")
    assert p.hair_style == "short" and p.options["topVariant"] in ("shortRound", "theCaesar")


# ----------------------------------------------------------------------------- the real loader
def save_reader(folder: Path, calibration: dict | None = None) -> Path:
    hub.save_checkpoint(folder, tiny_encoder())
    if calibration is not None:
        meta = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps({**meta, avatar_fit.CALIBRATION_KEY: calibration}))
    return folder


@pytest.fixture
def reader_at(monkeypatch):
    """Point the panel's loader at a folder (or name), with a clean cache before and after."""
    def point(where) -> None:
        monkeypatch.setattr(panel, "READER", str(where))
        common._models.pop(f"avatar-fitter:{where}", None)

    yield point
    common._models.pop(f"avatar-fitter:{panel.READER}", None)


def test_the_reader_loads_once_with_its_calibration(tmp_path, reader_at, crop):
    folder = save_reader(tmp_path / "enc", {a: {"threshold": t} for a, t in FORCED.items()})
    reader_at(folder)
    first = panel.fitter()
    assert panel.fitter() is first and first.thresholds["Eyeglasses"] == -1e9
    assert controls(read(crop))[3:6] == [True, True, False]


@pytest.mark.parametrize("chooser", ["missing", "corrupt weights", "present"])
def test_a_missing_or_broken_variant_chooser_leaves_the_avatar_drawn_from_the_seed(tmp_path, reader_at, crop,
                                                                                   monkeypatch, chooser):
    """Revision 6's f is a second checkpoint: without it the reader still draws (variants from the seed alone)."""
    folder = save_reader(tmp_path / "enc", {a: {"threshold": t} for a, t in FORCED.items()} | {
        "choice_styles": ["avataaars"], "choice_k": 4})
    f = hub.save_checkpoint(tmp_path / "f", tiny_encoder()) or tmp_path / "f"
    if chooser == "corrupt weights":
        (f / "model.safetensors").write_bytes(b"not a safetensors file")
    monkeypatch.setattr(avatar_fit, "CHOOSER", str(f if chooser != "missing" else tmp_path / "never-trained"))
    reader_at(folder)
    out = read(crop)
    assert not out[-1]  # no message: the avatar is drawn either way
    if chooser == "present":
        assert panel.fitter().chooser.k == 4 and out[0].embedding is not None and "of 4 to the photo under f" in out[12]
    else:
        assert panel.fitter().chooser is None and out[0].embedding is None and "under f" not in out[12]
        assert Path(out[11]).read_bytes() == avatars.render_svg(
            "avataaars", avatar_fit.params_for(out[0], "avataaars", 0)).encode()


@pytest.mark.parametrize("damage", ["missing", "corrupt weights", "wrong head"])
def test_a_missing_or_broken_reader_is_a_message_and_the_face_tab_still_works(tmp_path, reader_at, damage):
    from ui.tabs import face as tab

    if damage == "missing":
        reader_at("reader-that-was-never-trained")
    elif damage == "corrupt weights":
        folder = save_reader(tmp_path / "enc")
        (folder / "model.safetensors").write_bytes(b"not a safetensors file")
        reader_at(folder)
    else:  # a face encoder without the 40-attribute head
        folder = tmp_path / "plain"
        hub.save_checkpoint(folder, Classifier(ClassifierConfig(widths=(8,), image_size=8)))
        reader_at(folder)
    target = tab.target_choices()[0][0][1]
    photo, crop, output, message, *_ = tab.face_run(target, str(EXAMPLE), False)
    assert "Found 1 face" in message and crop is not None and output is not None
    out = panel.avatar_read(crop, "avataaars", 0)
    assert out[0] is None and out[10] is None
    assert "not available here" in out[-1] and "rest of the Face tab works" in out[-1]
