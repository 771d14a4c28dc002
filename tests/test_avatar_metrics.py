"""Issue 16's face → avatar pieces: the avatar judge's targets, the metrics on known inputs, f's identity +
attribute head and stylisation, DTN's attribute-consistency flag, and the parametric fitter."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from support import tiny_identity_config, tiny_identity_encoder
from xdomain.avatar_fit import AvatarFitter, FaceReading, params_for
from xdomain.data import avatars as av
from xdomain.methods.classifier import Classifier, ClassifierConfig, stylise
from xdomain.methods.dtn import DTN, attribute_consistency
from xdomain.metrics import avatars as am


# ------------------------------------------------------------------------------ judge targets
def test_judge_targets_encode_the_renderers_parameters():
    ps = [av.make_params("avataaars", 0, hair_color="blond", hair_style="long", glasses=True, facial_hair=False,
                         smiling=True, skin="dark"),
          av.make_params("micah", 1, hair_style="bald", glasses=False, facial_hair=True, smiling=False, skin="light")]
    labs = [av.labels(p) for p in ps]
    data = {a: np.array([lab[a] for lab in labs]) for a in av.ATTRS} | {"tone": np.array([p.tone for p in ps])}
    y = av.judge_targets(data)
    col = av.JUDGE_OUTPUTS.index
    assert y.shape == (2, len(av.JUDGE_OUTPUTS))
    assert y[0, col("hair_blond")] == 1 and y[0, 1:6].sum() == 1
    assert y[0, col("style_long")] == 1 and y[0, col("glasses")] == 1 and y[0, col("smiling")] == 1
    assert y[0, col("facial_hair")] == 0
    assert y[0, 0] > y[1, 0]  # dark skin reads darker than light
    assert 0 <= y[:, 0].min() and y[:, 0].max() <= 1
    hairless = labs[1]["hair_color"] == av.IGNORE
    assert (y[1, 1:6].sum() == 0) == hairless  # no hair colour target for a head with no readable hair
    assert y[1, col("style_bald")] == 1 and y[1, col("facial_hair")] == 1


def test_read_avatar_inverts_confident_targets():
    y = torch.zeros(3, len(av.JUDGE_OUTPUTS))
    y[0, av.JUDGE_OUTPUTS.index("hair_black")] = 1
    y[1, av.JUDGE_OUTPUTS.index("hair_grey")] = 1
    y[2, av.JUDGE_OUTPUTS.index("hair_blond")] = 1
    y[:, av.JUDGE_OUTPUTS.index("glasses")] = torch.tensor([1.0, 0.0, 1.0])
    logits = (y * 2 - 1) * 10
    r = am.read_avatar(logits)
    assert list(r["hair_color"]) == ["black", "grey", "blond"]
    assert list(r["glasses"]) == [True, False, True]
    m = am.judge_self_metrics(logits, y)
    assert m["acc_hair_color"] == 1 and m["acc_glasses"] == 1


# ------------------------------------------------------------------------------ metric functions
def test_balanced_accuracy_scores_a_constant_answer_at_one_half():
    label = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], bool)
    assert am.balanced_accuracy(np.zeros(10, bool), label) == 0.5  # "never blond" is 90% accurate, 50% balanced
    assert am.balanced_accuracy(label, label) == 1.0
    assert math.isnan(am.balanced_accuracy(label, np.ones(10, bool)))


def test_ita_orders_light_and_dark_patches():
    light, dark = am.hex_ita("ffdbb4"), am.hex_ita("614335")
    assert light > 41 and dark < -30  # "very light/light" and "dark" in Chardon's categories
    assert am.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)


def test_identity_ranks_on_known_embeddings():
    g = torch.eye(4)  # four gallery items, identities 0, 0, 1, 2
    gid = [0, 0, 1, 2]
    q = torch.tensor([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]])
    ranks = am.identity_ranks(q, g, [0, 1, 2], gid)
    assert list(ranks) == [1, 2, 2]  # same-person hit first; identity 1 is behind item 3; identity 2 behind item 0
    fig = am.retrieval_figures(ranks, 4)
    assert fig["id_median_rank"] == 2 and fig["id_median_rank_share"] == 0.5


def test_diversity_is_one_for_the_reference_and_zero_for_a_constant():
    x = torch.rand(50, 3, 8, 8)
    assert am.diversity(x, x) == pytest.approx(1.0)
    assert am.diversity(x[:1].expand(50, -1, -1, -1), x) == 0


# ------------------------------------------------------------------------------ f: identity + attributes
def tiny_encoder(**kw) -> Classifier:
    m = tiny_identity_encoder(batch_size=4, stylise=0.5, **kw)
    m.configure_optimizers()
    return m


def test_identity_attribute_encoder_takes_a_finite_step_on_both_heads():
    m = tiny_encoder()
    y = torch.cat([torch.tensor([[0.0], [1.0], [2.0], [4.0]]), (torch.rand(4, 40) > 0.5).float()], 1)
    w0 = m.net[-1].weight.clone()
    logs = m.g_step({"x": torch.rand(4, 3, 16, 16) * 2 - 1, "y": y}, 0)
    assert all(math.isfinite(v) for v in logs.values()) and {"ce", "bce"} <= set(logs)
    assert not torch.equal(w0, m.net[-1].weight)
    assert m.logits(torch.zeros(2, 3, 16, 16)).shape == (2, 45)
    assert m.aux_logits(torch.zeros(2, 3, 16, 16)).shape == (2, 40)
    assert m.predict(torch.zeros(2, 3, 16, 16)).max() < 5  # the class is read from the softmax part only


def test_stylise_touches_only_the_requested_share_and_flattens_colours():
    x = torch.rand(64, 3, 16, 16) * 2 - 1
    out = stylise(x, 0.5, torch.Generator().manual_seed(0))
    changed = (out != x).flatten(1).any(1)
    assert 16 < changed.sum() < 48
    assert out.min() >= -1 and out.max() <= 1
    assert out[changed].unique().numel() < x[changed].unique().numel() / 10  # posterised
    assert torch.equal(stylise(x, 0.0, torch.Generator()), x)


# ------------------------------------------------------------------------------ DTN's attribute-consistency flag
def test_dtn_attribute_flag_takes_a_finite_step_and_is_lowest_at_agreement():
    enc = tiny_identity_config(n_classes=3)
    torch.manual_seed(0)
    m = DTN(DTN.tiny_config().replace(encoder_config=enc.to_dict(), channels=3, delta=1.0))
    m.configure_optimizers()
    m.train()
    b = {"A": torch.rand(4, 3, 16, 16) * 2 - 1, "B": torch.rand(4, 3, 16, 16) * 2 - 1}
    logs = m.train_step(b, 0)
    assert "attr" in logs and all(math.isfinite(v) for v in logs.values())
    x = b["A"]
    with torch.no_grad():
        m.f.net[-1].weight.normal_(0, 5.0)  # an f with confident readings (a fresh one reads everything at 0.5)
    same, other = attribute_consistency(m.f, x, x), attribute_consistency(m.f, x, -x)
    assert same < other  # lowest when f reads the same attributes on G(x) as on x
    assert DTN.tiny_config().delta == 0  # the paper's model is the default


def test_dtn_teacher_flag_pulls_g_towards_the_parametric_avatar_of_the_face():
    """ε L_PAR: one finite step; the target is exactly the avatar the parametric path draws for the face."""
    from xdomain.avatar_fit import draw

    torch.manual_seed(0)
    reader = Classifier(ClassifierConfig(n_classes=40, multilabel=True, widths=(8,), image_size=16, channels=3,
                                         global_pool=True))
    fitter = AvatarFitter(reader)
    enc = ClassifierConfig(widths=(8, 8), image_size=16, channels=3, global_pool=True)
    m = DTN(DTN.tiny_config().replace(encoder_config=enc.to_dict(), channels=3, epsilon=1.0, teacher="a-reader"))
    m.configure_optimizers()
    m.train()
    b = {"A": torch.rand(4, 3, 16, 16) * 2 - 1, "B": torch.rand(4, 3, 16, 16) * 2 - 1}
    with pytest.raises(RuntimeError, match="load_pretrained"):
        m.train_step(b, 0)
    m.teacher = fitter
    logs = m.train_step(b, 0)
    assert "par" in logs and all(math.isfinite(v) for v in logs.values())
    t = draw(fitter, b["A"], "avataaars")
    readings = fitter.read(b["A"])
    drawn = np.stack([av.render("avataaars", params_for(r, "avataaars", 0), 16) for r in readings])
    assert t.shape == (4, 3, 16, 16) and torch.equal(t, torch.from_numpy(drawn).permute(0, 3, 1, 2).float() / 127.5 - 1)
    assert DTN.tiny_config().epsilon == 0 and DTN.preset("avatars").epsilon == 0  # the paper's model is the default


def test_dtn_reader_input_flag_feeds_g_the_readers_logits_takes_a_finite_step_and_ships_r(tmp_path):
    """reader_input: g reads r's 40 attribute logits beside f's features (r frozen, no gradient), one finite step,
    and save → load gives the same translation (r's config and weights travel in the DTN checkpoint)."""
    from xdomain import hub

    torch.manual_seed(0)
    reader = ClassifierConfig(n_classes=40, multilabel=True, widths=(8,), image_size=16, channels=3, global_pool=True)
    enc = ClassifierConfig(widths=(8, 8), image_size=16, channels=3, global_pool=True)
    plain = DTN(DTN.tiny_config().replace(encoder_config=enc.to_dict(), channels=3))
    m = DTN(DTN.tiny_config().replace(encoder_config=enc.to_dict(), channels=3, reader_input="a-reader",
                                      reader_config=reader.to_dict()))
    assert m.g[0][0].in_channels == plain.g[0][0].in_channels + 40
    assert plain.reading(torch.zeros(2, 3, 16, 16)) is None and not list(plain.r.parameters())
    m.configure_optimizers()
    m.train()
    b = {"A": torch.rand(4, 3, 16, 16) * 2 - 1, "B": torch.rand(4, 3, 16, 16) * 2 - 1}
    logs = m.train_step(b, 0)
    assert all(math.isfinite(v) for v in logs.values())
    assert all(p.grad is None for p in m.r.parameters()) and not any(p.requires_grad for p in m.r.parameters())
    x = b["A"]
    with torch.no_grad():  # g's output depends on r's reading: another reader, another avatar
        m.eval()
        before = m.translate(x)
        m.r.net[-1].bias.add_(3.0)
        assert not torch.allclose(m.translate(x), before)
        m.r.net[-1].bias.sub_(3.0)
    hub.save_checkpoint(tmp_path / "ck", m)
    m2 = hub.load_model(tmp_path / "ck")
    assert torch.equal(m.translate(x), m2.translate(x)) and m2.r.cfg == m.r.cfg
    assert DTN.tiny_config().reader_input == "" and DTN.preset("avatars").reader_input == ""  # the paper: g reads f


def test_dtn_decision_input_feeds_g_the_teachers_thresholded_decisions_and_ships_them(tmp_path):
    """Revision 22's decision_input: g also reads t(p̂(x)) thresholded from r with the teacher's calibration (the
    parametric path's own decisions, L_SEM's layout), one finite step, save → load gives the same translation (the
    thresholds travel in the config); other thresholds, other decisions, another avatar; reader_input = teacher."""
    from xdomain import hub

    torch.manual_seed(0)
    reader = ClassifierConfig(n_classes=40, multilabel=True, widths=(8,), image_size=16, channels=3, global_pool=True)
    enc = ClassifierConfig(widths=(8, 8), image_size=16, channels=3, global_pool=True)
    with pytest.raises(ValueError, match="reader_input = teacher"):
        DTN.tiny_config().replace(decision_input=True, reader_input="a-reader", teacher="another")
    forced = {"Eyeglasses": {"threshold": -1e9}, "No_Beard": {"threshold": 1e9}, "Smiling": {"threshold": 1e9}}
    kw = dict(encoder_config=enc.to_dict(), channels=3, reader_input="a-reader", teacher="a-reader",
              reader_config=reader.to_dict())
    plain = DTN(DTN.tiny_config().replace(**kw))
    m = DTN(DTN.tiny_config().replace(**kw, decision_input=True, decision_calibration=forced))
    assert m.g[0][0].in_channels == plain.g[0][0].in_channels + len(av.JUDGE_OUTPUTS)
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    t = m.decisions(x)
    expect = av.params_targets([params_for(r, "avataaars", 0) for r in AvatarFitter(m.r, forced).read(x)])
    assert torch.equal(t, torch.from_numpy(expect)) and plain.decisions(x) is None
    col = {name: i for i, name in enumerate(av.JUDGE_OUTPUTS)}
    assert (t[:, col["glasses"]] == 1).all() and (t[:, col["facial_hair"]] == 1).all() and (t[:, col["smiling"]] == 0).all()
    m.configure_optimizers()
    m.train()
    logs = m.train_step({"A": x, "B": torch.rand(4, 3, 16, 16) * 2 - 1}, 0)
    assert all(math.isfinite(v) for v in logs.values())
    m.eval()
    hub.save_checkpoint(tmp_path / "ck", m)
    m2 = hub.load_model(tmp_path / "ck")
    assert torch.equal(m.translate(x), m2.translate(x)) and m2.cfg.decision_calibration == forced
    other = {**forced, "Eyeglasses": {"threshold": 1e9}}  # no glasses decided: another avatar
    object.__setattr__(m2, "_decider", AvatarFitter(m2.r, other))
    assert not torch.allclose(m.translate(x), m2.translate(x))
    assert DTN.preset("avatars").decision_input is False  # the paper: g reads f


def test_contrast_frames_recolour_only_the_glasses_of_the_teachers_avatar(monkeypatch):
    """Revision 15's teacher option: frames in the darker colour of highest contrast to the skin (near-black on light
    skin, grey on the darkest), every other option unchanged; no glasses → unchanged; a bad value is a clear error;
    the DTN passes its ``teacher_frames`` to the teacher's draw."""
    from xdomain import avatar_fit

    spec = av.get_spec("avataaars")
    light, darkest = list(spec.skin)[0], list(spec.skin)[-1]
    assert avatar_fit.frame_colour("avataaars", light) == "262e33"
    assert avatar_fit.frame_colour("avataaars", darkest) == "929598"
    p = av.make_params("avataaars", 3, glasses=True, skin="light")
    q = avatar_fit.contrast_frames(p)
    assert q.options["accessoriesColor"] == [avatar_fit.frame_colour("avataaars", p.options["skinColor"][0])]
    assert {k: v for k, v in q.options.items() if k != "accessoriesColor"} == p.options and av.labels(q) == av.labels(p)
    assert not np.array_equal(av.render("avataaars", q, 32), av.render("avataaars", p, 32))
    bare = av.make_params("avataaars", 3, glasses=False)
    assert avatar_fit.contrast_frames(bare) is bare
    with pytest.raises(ValueError, match="no recolourable glasses frames"):
        avatar_fit.frame_colour("personas", light)
    with pytest.raises(ValueError, match="frames must be one of"):
        avatar_fit.draw(None, torch.zeros(1, 3, 16, 16), "avataaars", frames="pastel")
    with pytest.raises(ValueError, match="teacher_frames must be one of"):
        DTN.tiny_config().replace(teacher_frames="pastel")
    assert DTN.tiny_config().teacher_frames == ""  # the parametric path's own frames by default
    seen = []
    monkeypatch.setattr(avatar_fit, "draw", lambda fitter, xs, style, frames="", with_params=False: (seen.append(frames) or torch.zeros_like(xs), []))
    enc = ClassifierConfig(widths=(8, 8), image_size=16, channels=3, global_pool=True)
    m = DTN(DTN.tiny_config().replace(encoder_config=enc.to_dict(), channels=3, epsilon=1.0, teacher="a-reader",
                                      teacher_frames="contrast"))
    m.configure_optimizers()
    m.train()
    m.teacher = object()
    logs = m.train_step({"A": torch.rand(4, 3, 16, 16) * 2 - 1, "B": torch.rand(4, 3, 16, 16) * 2 - 1}, 0)
    assert seen == ["contrast"] and all(math.isfinite(v) for v in logs.values())


def test_dtn_semantic_flag_reads_g_against_the_teachers_parameters():
    """ζ L_SEM (revision 18): one finite step; the target is the judge-layout target of the parameters the teacher
    drew; s is frozen and not part of the checkpoint; it needs the teacher; a judge is refused as s."""
    from xdomain import avatar_fit

    torch.manual_seed(0)
    reader = Classifier(ClassifierConfig(n_classes=40, multilabel=True, widths=(8,), image_size=16, channels=3,
                                         global_pool=True))
    fitter = AvatarFitter(reader)
    sem = Classifier(ClassifierConfig(n_classes=len(av.JUDGE_OUTPUTS), multilabel=True, widths=(8,), image_size=16,
                                      channels=3, global_pool=True))
    enc = ClassifierConfig(widths=(8, 8), image_size=16, channels=3, global_pool=True)
    cfg = DTN.tiny_config().replace(encoder_config=enc.to_dict(), channels=3, epsilon=1.0, teacher="a-reader",
                                    zeta=1.0, sem_reader="an-avatar-reader")
    m = DTN(cfg)
    m.configure_optimizers()
    m.train()
    m.teacher = fitter
    b = {"A": torch.rand(4, 3, 16, 16) * 2 - 1, "B": torch.rand(4, 3, 16, 16) * 2 - 1}
    with pytest.raises(RuntimeError, match="load_pretrained"):
        m.train_step(b, 0)
    m.set_sem_reader(sem)
    logs = m.train_step(b, 0)
    assert "sem" in logs and "par" in logs and all(math.isfinite(v) for v in logs.values())
    assert all(p.grad is None for p in sem.parameters()) and not any(p.requires_grad for p in sem.parameters())
    assert not any(k.startswith("_sem") for k in m.state_dict())
    _, params = avatar_fit.draw(fitter, b["A"], "avataaars", with_params=True)
    t = av.params_targets(params)
    assert t.shape == (4, len(av.JUDGE_OUTPUTS)) and np.array_equal(t, av.judge_targets(
        {"tone": [p.tone for p in params], **{a: [av.labels(p)[a] for p in params] for a in av.ATTRS}}))
    with pytest.raises(ValueError, match="needs the teacher flag"):
        DTN.tiny_config().replace(zeta=1.0, sem_reader="an-avatar-reader")
    from xdomain.methods.dtn import AVATAR_JUDGES

    with pytest.raises(ValueError, match="is an avatar judge"):
        cfg.replace(sem_reader=AVATAR_JUDGES["avatar"])
    assert DTN.tiny_config().zeta == 0 and DTN.preset("avatars").zeta == 0  # the paper's model is the default


def test_params_targets_match_the_judges_dataset_targets():
    d = av.generate("avataaars", 6, seed=5, size=16)
    params = [av.item_params("avataaars", 5, i) for i in range(6)]
    assert np.array_equal(av.params_targets(params), av.judge_targets(d))


def test_dtn_teacher_draws_once_per_batch(monkeypatch):
    """The G-steps of one iteration share the teacher's avatars; a new batch draws again."""
    from xdomain import avatar_fit

    calls = []
    monkeypatch.setattr(avatar_fit, "draw", lambda fitter, xs, style, frames="", with_params=False: (calls.append(len(xs)) or torch.zeros_like(xs), []))
    enc = ClassifierConfig(widths=(8, 8), image_size=16, channels=3, global_pool=True)
    m = DTN(DTN.tiny_config().replace(encoder_config=enc.to_dict(), channels=3, epsilon=1.0, teacher="a-reader",
                                      g_steps=2))
    m.configure_optimizers()
    m.train()
    m.teacher = object()
    for step in range(2):
        m.train_step({"A": torch.rand(4, 3, 16, 16) * 2 - 1, "B": torch.rand(4, 3, 16, 16) * 2 - 1}, step)
    assert calls == [4, 4]


def test_avatars_preset_is_the_faces_losses_with_the_identity_encoder():
    a, f = DTN.preset("avatars"), DTN.preset("faces")
    assert (a.alpha, a.beta, a.gamma, a.delta) == (f.alpha, f.beta, f.gamma, 0.0)
    assert a.encoder == "encoder-celeba-id" and a.dataset == "celeba_avatars"


# ------------------------------------------------------------------------------ the parametric fitter
def test_fitter_reads_margins_against_thresholds_and_draws_the_reading():
    enc = tiny_encoder()
    enc.cfg.image_size = 16
    fitter = AvatarFitter(enc, {"Eyeglasses": {"threshold": -1e9}, "Smiling": {"threshold": 1e9}})
    r = fitter.read(torch.rand(2, 3, 16, 16) * 2 - 1)
    assert all(x.glasses and not x.smiling for x in r)  # thresholds decide, not logit 0
    for style in av.STYLES:
        p = params_for(r[0], style, seed=3)
        assert p.glasses and not p.smiling and p.options[av.get_spec(style).skin_option] == [r[0].skin_hex(style)]
        assert params_for(r[0], style, seed=3) == p  # deterministic
        assert not params_for(r[0], style, seed=3, glasses=False).glasses  # overrides win


def test_fitter_refuses_an_encoder_without_an_attribute_head():
    with pytest.raises(ValueError, match="attribute head"):
        AvatarFitter(Classifier(ClassifierConfig(widths=(8,), image_size=8)))


def test_skin_hex_is_the_nearest_palette_colour_in_ita():
    dark = FaceReading(ita=-60.0, hair_color="black", hair_style="short", glasses=False, facial_hair=False, smiling=False)
    light = FaceReading(ita=70.0, hair_color="black", hair_style="short", glasses=False, facial_hair=False, smiling=False)
    for style, spec in av.STYLES.items():
        assert spec.skin[dark.skin_hex(style)] == "dark" and spec.skin[light.skin_hex(style)] == "light"


# ------------------------------------------------------------------------------ photo cues (revision 5)
def test_variants_narrow_the_draw_inside_the_group_and_move_no_other_option():
    base = av.make_params("avataaars", 5, hair_style="long", facial_hair=True, smiling=True)
    p = av.make_params("avataaars", 5, hair_style="long", facial_hair=True, smiling=True,
                       variants={"hair_style": ("miaWallace",), "facial_hair": ("moustacheMagnum",), "smiling": ("smile",)})
    assert (p.options["topVariant"], p.options["facialHairVariant"], p.options["mouthVariant"]) == (
        "miaWallace", "moustacheMagnum", "smile")
    assert av.labels(p) == av.labels(base)  # groups, hence labels, are unchanged
    assert {k: v for k, v in p.options.items() if k not in ("topVariant", "facialHairVariant", "mouthVariant")} == \
        {k: v for k, v in base.options.items() if k not in ("topVariant", "facialHairVariant", "mouthVariant")}
    with pytest.raises(ValueError, match="not in the decided group"):  # a long-hair variant for a short head
        av.make_params("avataaars", 5, hair_style="short", variants={"hair_style": ("miaWallace",)})
    with pytest.raises(ValueError, match="can narrow"):
        av.make_params("avataaars", 5, variants={"skin": ("dark",)})


def test_every_cue_table_variant_belongs_to_its_group():
    from xdomain.avatar_fit import CUE_ATTRS, CUE_VARIANTS

    for style, table in CUE_VARIANTS.items():
        spec = av.get_spec(style)
        members = {"hair_style": lambda g: {k for k, v in spec.hair_style.items() if v == g},
                   "facial_hair": lambda g: set(spec.facial_hair[1]) if g == "yes" else set(),
                   "smiling": lambda g: {k for k, v in spec.mouth.items() if v == g}}
        for attr, by_group in table.items():
            for g, rules in by_group.items():
                assert rules[-1][0] == (), (style, attr, g)  # a fallback always holds
                for cond, variants in rules:
                    assert set(variants) <= members[attr](g), (style, attr, g, variants)
                    assert all(c.lstrip("!") in CUE_ATTRS for c in cond)


def test_cues_pick_variants_only_for_adopted_styles():
    from xdomain.avatar_fit import cue_variants

    groups = {"hair_style": "short", "facial_hair": True, "smiling": False}
    assert cue_variants("avataaars", ("Mustache",), groups)["facial_hair"] == ("moustacheMagnum",)
    assert cue_variants("avataaars", ("Mustache", "Goatee"), groups)["facial_hair"] == ("beardMedium",)
    assert cue_variants("avataaars", ("Wavy_Hair", "Straight_Hair"), groups)["hair_style"] == ("shortWaved", "shortCurly")
    assert cue_variants("avataaars", (), groups)["smiling"] == ("serious",)
    assert cue_variants("micah", ("Mustache",), groups) == {}
    read = dict(ita=40.0, hair_color="brown", hair_style="long", glasses=False, facial_hair=False, smiling=False)
    plain = params_for(FaceReading(**read), "avataaars", 0)
    cued = FaceReading(**read, cues=("Bangs",), cue_styles=("avataaars",))
    assert params_for(cued, "avataaars", 0).options["topVariant"] == "miaWallace"
    assert params_for(FaceReading(**read, cues=("Bangs",)), "avataaars", 0) == plain  # not adopted: unchanged
    enc = tiny_encoder()
    enc.cfg.image_size = 16
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    off = AvatarFitter(enc, {}).read(x)
    assert all(r.cues == () and r.cue_styles == () for r in off)  # no thresholds stored: no cues
    on = AvatarFitter(enc, {"cue_thresholds": {"Bangs": {"threshold": -1e9}, "Goatee": {"threshold": 1e9}},
                            "cue_styles": ["avataaars"]}).read(x)
    assert all(r.cues == ("Bangs",) and r.cue_styles == ("avataaars",) for r in on)



# ------------------------------------------------------------------------------ f chooses the variant (revision 6)
def test_chooser_picks_the_candidate_f_sees_closest_and_keeps_groups_cues_and_skin():
    from xdomain.avatar_fit import CHOICE_K, VariantChooser, reference_skin
    from xdomain.data.domains import to_tensor

    f = tiny_identity_encoder(n_classes=4, image_size=64).eval()
    chooser = VariantChooser(f)
    read = dict(ita=10.0, hair_color="black", hair_style="short", glasses=True, facial_hair=True, smiling=True)
    base = FaceReading(**read, cues=("Wavy_Hair",), cue_styles=("avataaars",), choice_styles=("avataaars",))
    cands = chooser.candidates(base, "avataaars", 2)
    assert len(cands) == CHOICE_K == 8
    ref = reference_skin("avataaars")
    assert len({c.to_json() for c in cands}) > 1
    spec = av.get_spec("avataaars")
    for j, c in enumerate(cands):  # seed 2 = seeds 16 … 23, drawn with the photo's skin, shown with the reference
        photo = params_for(base, "avataaars", 16 + j)
        assert {**photo.options, spec.skin_option: [ref]} == c.options
    for j in (0, 5):  # the photo embedded exactly as candidate j's reference rendering → candidate j
        e = chooser.embed(to_tensor(av.render("avataaars", cands[j], 64)[None]))[0]
        reading = FaceReading(**read, cues=("Wavy_Hair",), cue_styles=("avataaars",), embedding=tuple(e.tolist()),
                              choice_styles=("avataaars",))
        _, sim = chooser.scores(reading, "avataaars", 2)
        assert int(torch.argmax(sim)) == j and sim[j] == pytest.approx(1.0, abs=1e-5)
        chosen = params_for(reading, "avataaars", 2, chooser=chooser)
        assert chosen == params_for(reading, "avataaars", 16 + j) == params_for(reading, "avataaars", 2, chooser=chooser)
        assert (chosen.hair_color, chosen.hair_style, chosen.glasses, chosen.facial_hair, chosen.smiling) == \
            ("black", "short", True, True, True)
        assert chosen.options["topVariant"] in ("shortWaved", "shortCurly")  # the cue still narrows
        assert chosen.options["skinColor"] == [reading.skin_hex("avataaars")]  # drawn with the photo's skin
        # without a chooser, or for a style not adopted, the seed is the draw itself
        assert params_for(reading, "avataaars", 2) == params_for(base, "avataaars", 2)
        assert params_for(reading, "personas", 2, chooser=chooser) == params_for(base, "personas", 2)
        # an override re-chooses inside the new group
        assert params_for(reading, "avataaars", 2, chooser=chooser, glasses=False).glasses is False
    # forget(): the next choice starts cold (memo, and with bank=True the embeddings) and chooses the same
    before = params_for(reading, "avataaars", 2, chooser=chooser)
    chooser.forget()
    assert not chooser._memo and chooser._bank
    chooser.forget(bank=True)
    assert not chooser._memo and not chooser._bank
    assert params_for(reading, "avataaars", 2, chooser=chooser) == before and chooser._bank


def test_skin_choice_picks_one_of_the_two_nearest_colours_and_a_picked_colour_only_recolours():
    """Revision 13: f chooses the skin colour between the two palette colours nearest in ITA (the one whose
    recolouring f sees as closer to the photo); the variant is the one chosen at the nearest colour; a colour the
    user picks is never overridden and changes nothing but the colour; styles not adopted keep the nearest."""
    import dataclasses

    from xdomain.avatar_fit import VariantChooser, recolour
    from xdomain.data.domains import to_tensor
    from xdomain.metrics.avatars import hex_ita

    f = tiny_identity_encoder(n_classes=4, image_size=64).eval()
    chooser = VariantChooser(f)
    read = dict(hair_color="brown", hair_style="short", glasses=False, facial_hair=False, smiling=True)
    ita = (hex_ita("edb98a") + 2 * hex_ita("d08b5b")) / 3  # nearer d08b5b, edb98a second
    dim = chooser.embed(torch.zeros(1, 3, 64, 64)).shape[1]
    base = FaceReading(ita=ita, **read, choice_styles=("avataaars",), embedding=tuple([1.0] + [0.0] * (dim - 1)))
    assert base.skin_hexes("avataaars") == ["d08b5b", "edb98a"] and base.skin_hex("avataaars") == "d08b5b"
    nearest = params_for(base, "avataaars", 1, chooser=chooser)  # not adopted: the nearest colour
    assert nearest.options["skinColor"] == ["d08b5b"]
    for target in ("edb98a", "d08b5b"):  # the photo embedded exactly as the chosen avatar in `target` → target
        e = chooser.embed(to_tensor(av.render("avataaars", recolour("avataaars", nearest, target), 64)[None]))[0]
        r = dataclasses.replace(base, embedding=tuple(e.tolist()))
        plain = params_for(r, "avataaars", 1, chooser=chooser)
        chosen = params_for(dataclasses.replace(r, skin_choice_styles=("avataaars",)), "avataaars", 1, chooser=chooser)
        assert chosen == recolour("avataaars", plain, target)  # same draws, only the colour
        assert chosen.options["skinColor"] == [target]
    r = dataclasses.replace(r, skin_choice_styles=("avataaars",))
    # a picked colour is kept, whatever f prefers, and only recolours (the draws stay the nearest colour's)
    for picked in ("614335", "ffdbb4", "#EDB98A"):
        q = params_for(r, "avataaars", 1, chooser=chooser, skin_hex=picked)
        assert q == recolour("avataaars", params_for(r, "avataaars", 1, chooser=chooser), picked.lstrip("#").lower())
    with pytest.raises(ValueError, match="not in the avataaars palette"):
        params_for(r, "avataaars", 1, chooser=chooser, skin_hex="123456")
    # personas (not adopted) keeps the nearest colour even with the flag on another style
    assert params_for(r, "personas", 1, chooser=chooser).options["skinColor"] == [r.skin_hex("personas")]


def test_geometry_images_match_the_exact_renders_and_the_chooser_applies_fs_pick():
    """Revision 21: the resampled stand-ins are close to the exactly drawn geometries (much closer than the
    unchanged avatar is); the photo embedded as one geometry of the chosen candidate gets that geometry, drawn
    exactly; a style without the flag, or one without an eye line, is not touched."""
    import dataclasses

    from xdomain.avatar_fit import GEOMETRIES, VariantChooser, geometry_images, geometry_of, reference_skin, \
        with_geometry
    from xdomain.data.domains import to_tensor

    assert GEOMETRIES[0] == (False, 1.0, 1.0) and len(set(GEOMETRIES)) == 18
    p = av.make_params("avataaars", 7)
    img = to_tensor(av.render("avataaars", p, 64)[None])[0]
    stand_ins = geometry_images(img, "avataaars")
    assert torch.allclose(stand_ins[0], img, atol=1e-5)  # the unchanged geometry resamples to itself
    for g, s in zip(GEOMETRIES[1:], stand_ins[1:]):
        q = with_geometry(p, *g)
        assert geometry_of(q) == g and with_geometry(q, False) == p
        exact = to_tensor(av.render("avataaars", q, 64)[None])[0]
        assert (s - exact).abs().mean() < 0.5 * (img - exact).abs().mean(), g

    f = tiny_identity_encoder(n_classes=4, image_size=64).eval()
    chooser = VariantChooser(f)
    read = dict(ita=30.0, hair_color="brown", hair_style="long", glasses=False, facial_hair=False, smiling=True)
    dim = chooser.embed(torch.zeros(1, 3, 64, 64)).shape[1]
    base = FaceReading(**read, choice_styles=("avataaars",), embedding=tuple([1.0] + [0.0] * (dim - 1)))
    plain = params_for(base, "avataaars", 0, chooser=chooser)
    ref = to_tensor(av.render("avataaars", av.params_from_options(
        "avataaars", {**plain.options, "skinColor": [reference_skin("avataaars")]}), 64)[None])[0]
    for k in (4, 13):  # the photo embedded exactly as geometry k's stand-in → geometry k
        e = chooser.embed(geometry_images(ref, "avataaars")[k:k + 1])[0]
        r = dataclasses.replace(base, embedding=tuple(e.tolist()))
        without = params_for(r, "avataaars", 0, chooser=chooser)
        chosen = params_for(dataclasses.replace(r, geometry_styles=("avataaars",)), "avataaars", 0, chooser=chooser)
        assert chosen == with_geometry(without, *GEOMETRIES[k]) and geometry_of(chosen) == GEOMETRIES[k]
        assert (chosen.hair_color, chosen.hair_style, chosen.glasses, chosen.smiling) == ("brown", "long", False, True)
        assert av.render_svg("avataaars", chosen) != av.render_svg("avataaars", without)
    assert geometry_of(params_for(dataclasses.replace(r, geometry_styles=("avataaars",)), "personas", 0,
                                  chooser=chooser)) == GEOMETRIES[0]
    fitter = AvatarFitter(tiny_identity_encoder(n_classes=4, image_size=64).eval(),
                          {"choice_styles": ["avataaars", "micah"], "geometry_styles": ["avataaars", "micah"]},
                          chooser=chooser)
    assert fitter.read(torch.zeros(1, 3, 64, 64))[0].geometry_styles == ("avataaars",)  # micah has no eye line


def test_texture_guard_keeps_textured_haircuts_for_photos_read_as_wavy():
    """Revision 10: without Wavy_Hair read, no dreads / frizzle / curls, whatever the seed (or f) picks; with it,
    they are candidates again; styles without a table and groups without textured members are untouched."""
    from xdomain.avatar_fit import TEXTURED, VariantChooser, texture_guard

    textured = TEXTURED["avataaars"]
    read = dict(ita=30.0, hair_color="black", glasses=False, facial_hair=False, smiling=False)
    for hs in ("short", "long"):
        allowed = texture_guard("avataaars", (), hs)
        assert allowed and not set(allowed) & textured
        assert texture_guard("avataaars", ("Wavy_Hair",), hs) is None
        plain = FaceReading(hair_style=hs, guard_styles=("avataaars",), **read)
        drawn = {params_for(plain, "avataaars", s).options["topVariant"] for s in range(300)}
        assert drawn == set(allowed)  # every allowed haircut occurs, no textured one
        wavy = FaceReading(hair_style=hs, cues=("Wavy_Hair",), guard_styles=("avataaars",), **read)
        assert {params_for(wavy, "avataaars", s).options["topVariant"] for s in range(300)} & textured
        assert params_for(FaceReading(hair_style=hs, **read), "avataaars", 5) == \
            params_for(FaceReading(hair_style=hs, cues=("Wavy_Hair",), **read), "avataaars", 5)  # not guarded
    assert texture_guard("avataaars", (), "bald") is None and texture_guard("personas", (), "short") is None
    f = tiny_identity_encoder(n_classes=4, image_size=64).eval()
    readings = VariantChooser(f).readings("avataaars", (), ("avataaars",))
    assert len(readings) == 200 and {r.cues for r in readings} == {(), ("Wavy_Hair",)}  # both sides in the bank

def test_fitter_embeds_the_photo_only_when_f_chooses_for_some_style():
    from xdomain.avatar_fit import VariantChooser

    enc = tiny_encoder()
    f = tiny_identity_encoder(n_classes=4, image_size=64).eval()
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    enc.cfg.image_size = 64
    off = AvatarFitter(enc, {}, chooser=VariantChooser(f)).read(x)
    assert all(r.embedding is None and r.choice_styles == () for r in off)
    on = AvatarFitter(enc, {"choice_styles": ["avataaars"]}, chooser=VariantChooser(f)).read(x)
    assert all(r.choice_styles == ("avataaars",) and len(r.embedding) == f.features(x[:1]).shape[1] for r in on)
    assert np.allclose(np.linalg.norm(np.asarray(on[0].embedding)), 1.0, atol=1e-5)
    no_f = AvatarFitter(enc, {"choice_styles": ["avataaars"]}).read(x)  # f unavailable: nothing chooses
    assert all(r.embedding is None and r.choice_styles == () for r in no_f)
    with pytest.raises(ValueError, match="features"):
        VariantChooser(object())


# ------------------------------------------------------------------------------ independence of the judges
def test_avatar_judges_are_not_referenced_by_any_training_code_path():
    """The judges' names appear in the package only where metrics name their judges (and the registry);
    the DTN's f is a different checkpoint, and training a DTN never loads a judge."""
    from pathlib import Path

    from xdomain.methods.dtn import AVATAR_JUDGES

    pkg = Path(__file__).resolve().parents[1] / "xdomain"
    # data/info.py: the dataset card names its judge; cogan.py: CoGAN's face metrics name their identity judge
    allowed = {"registry.py", "dtn.py", "info.py", "cogan.py"}
    for path in pkg.rglob("*.py"):
        text = path.read_text()
        for name in AVATAR_JUDGES.values():
            if name in text:
                assert path.name in allowed, f"{name} is referenced by {path}"
    dtn_src = (pkg / "methods" / "dtn.py").read_text()
    for name in AVATAR_JUDGES.values():
        assert dtn_src.count(f'"{name}"') == 1  # only in the AVATAR_JUDGES table
    assert DTN.preset("avatars").encoder not in AVATAR_JUDGES.values()
    # in cogan.py the identity judge is a config default read by the metrics' judge_names() and nowhere else
    import ast

    tree = ast.parse((pkg / "methods" / "cogan.py").read_text())
    readers = {fn.name for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
               for node in ast.walk(fn) if isinstance(node, ast.Attribute) and node.attr == "identity_judge"}
    assert readers == {"judge_names"}


def test_training_a_dtn_step_never_loads_a_judge(monkeypatch):
    from xdomain import hub, judges

    def refuse(*a, **k):
        raise AssertionError("a judge was loaded during training")

    monkeypatch.setattr(judges, "load_judge", refuse)
    monkeypatch.setattr(hub, "load_model", refuse)
    enc = tiny_identity_config(n_classes=3)
    m = DTN(DTN.tiny_config().replace(encoder_config=enc.to_dict(), channels=3, delta=1.0))
    m.configure_optimizers()
    m.train_step({"A": torch.rand(4, 3, 16, 16) * 2 - 1, "B": torch.rand(4, 3, 16, 16) * 2 - 1}, 0)


def test_bar_maximum_is_a_ceiling():
    from xdomain.metrics import bars

    good = {"bal_acc_hair": 0.9, "bal_acc_eyeglasses": 0.9, "bal_acc_facial_hair": 0.9, "bal_acc_smiling": 0.9,
            "skin_spearman": 0.7, "id_median_rank_share": 0.01}
    assert bars.check("face-emoji", good).passed
    v = bars.check("face-emoji", good | {"id_median_rank_share": 0.2})
    assert not v.passed and "id_median_rank_share = 0.200 > 0.05" in v.misses
    assert "(bar ≤ 5%)" in v.summary(bars.BARS["face-emoji"])


def test_export_can_ship_float16_and_loads_back_the_same_rounded_weights(tmp_path, monkeypatch):
    from safetensors.torch import load_file

    from xdomain import hub, train
    from xdomain.methods import classifier as C

    rng = np.random.default_rng(0)
    monkeypatch.setitem(C.LABELLED, "tiny-random", lambda root, split: (
        rng.integers(0, 255, (32, 16, 16), dtype=np.uint8), np.arange(32) % 3))
    cfg = ClassifierConfig(dataset="tiny-random", widths=(8,), image_size=16, n_classes=3, steps=2, batch_size=8,
                           eval_limit=32, shift=0)
    run = train.train("classifier", cfg, tmp_path / "run", evaluate=False, progress=False)
    out = train.export_state(run, tmp_path / "ck", ship_dtype="float16")
    stored = load_file(out / "model.safetensors")
    assert all(v.dtype == torch.float16 for v in stored.values() if v.is_floating_point())
    loaded = hub.load_model(str(out))
    assert loaded.cfg.ship_dtype == "float16"
    for k, v in loaded.inference_state_dict().items():
        assert v.dtype == stored[k].dtype or v.is_floating_point()
        assert torch.equal(v.float(), stored[k].float()), k


def test_the_committed_avatar_judges_load_and_read_what_they_were_trained_for():
    from xdomain.judges import load_judges
    from xdomain.methods.dtn import AVATAR_JUDGES

    judges = load_judges(AVATAR_JUDGES)
    if any(j is None for j in judges.values()):
        pytest.skip("an avatar judge has not landed")
    assert judges["avatar"].cfg.dataset == "avatar_attrs" and judges["avatar"].cfg.n_classes == len(av.JUDGE_OUTPUTS)
    assert judges["identity"].cfg.dataset == "celeba_identity"
    assert judges["avatarness"].cfg.dataset == "face_vs_avatar"
    # the avatar judge reads rendered avatars it never saw (a fresh seed) correctly
    ps = [av.make_params("avataaars", s, glasses=s % 2 == 0, smiling=s % 3 == 0, hair_color="black" if s % 2 else "blond")
          for s in range(12)]
    x = torch.from_numpy(np.stack([av.render("avataaars", p) for p in ps])).permute(0, 3, 1, 2).float() / 127.5 - 1
    r = am.read_avatar(judges["avatar"].logits(x))
    assert (r["glasses"] == np.array([p.glasses for p in ps])).mean() >= 0.9
    assert (r["hair_color"] == np.array([p.hair_color for p in ps])).mean() >= 0.9
    assert (judges["avatarness"].predict(x) == 1).float().mean() >= 0.9


def test_pair_identity_distance_is_zero_for_identical_pairs_and_scaled_by_random_pairs():
    """CoGAN face pairs (issue 15): d(x, x) = 0 under the identity judge; random pairs set the scale."""
    from xdomain import hub
    from xdomain.metrics.avatars import pair_identity_distance

    judge = hub.load_model("judge-celeba-identity")
    x = torch.rand(6, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    perm = torch.tensor([1, 2, 3, 4, 5, 0])
    same = pair_identity_distance(judge, x, x, perm)
    assert same["pair_id_distance"] < 1e-5 and same["pair_id_distance_shuffled"] > 1e-4 and same["pair_id_ratio"] < 0.01
    other = pair_identity_distance(judge, x, x[perm], perm)
    assert other["pair_id_distance"] > 1e-4


def test_dtn_readers_diagnostic_needs_a_dtn_trained_with_a_teacher_and_an_l_sem_reader():
    from experiments.avatars import dtn_readers

    with pytest.raises(SystemExit, match="not trained with a teacher and an L_SEM reader"):
        dtn_readers(checkpoint="dtn-faces-emoji")


@pytest.mark.parametrize("attr", av.FLIPPABLE)
def test_flipped_changes_one_attribute_and_keeps_every_other_option(attr):
    rng = np.random.default_rng(0)
    for i in range(12):
        p = av.item_params("avataaars", 0, i)
        q = av.flipped(p, attr, rng)
        lp, lq = av.labels(p), av.labels(q)
        assert lq[attr] != lp[attr] and {k: v for k, v in lq.items() if k != attr} == {k: v for k, v in lp.items() if k != attr}
        changed = {k for k in set(p.options) | set(q.options) if p.options.get(k) != q.options.get(k)}
        assert changed and all(k.startswith(("accessories", "facialHair", "mouth", "hairColor")) for k in changed)
    with pytest.raises(ValueError, match="attr must be one of"):
        av.flipped(av.item_params("avataaars", 0, 0), "skin", rng)


def test_avatar_blends_hold_the_crisp_set_then_one_attribute_blends(monkeypatch):
    from xdomain.methods import classifier as C

    n, size = 8, 16
    crisp = np.stack([av.render("avataaars", av.item_params("avataaars", 0, i), size) for i in range(n)])
    targets = av.params_targets([av.item_params("avataaars", 0, i) for i in range(n)])
    monkeypatch.setattr(C, "avatar_attrs_dtn", lambda root, split: (crisp, targets))
    x, y = C.avatar_blends_dtn(None, "train")
    assert x.shape == (2 * n, size, size, 3) and y.shape == (2 * n, len(av.JUDGE_OUTPUTS))
    assert np.array_equal(x[:n], crisp) and np.array_equal(y[:n], targets)
    cols = {"glasses": [av.JUDGE_OUTPUTS.index("glasses")], "facial_hair": [av.JUDGE_OUTPUTS.index("facial_hair")],
            "smiling": [av.JUDGE_OUTPUTS.index("smiling")],
            "hair_color": [j for j, o in enumerate(av.JUDGE_OUTPUTS) if o.startswith("hair_")]}
    for i in range(n):
        moved = set(np.nonzero(~np.isclose(y[n + i], targets[i]))[0])
        assert moved <= set(cols[av.FLIPPABLE[i % 4]])  # only the flipped attribute's targets move
        assert ((y[n + i] >= 0) & (y[n + i] <= 1)).all()
    assert not np.array_equal(x[n:], crisp)
    x_val, _ = C.avatar_blends_dtn(None, "val")
    assert np.array_equal(x_val, crisp)  # val / test stay crisp
