"""Typed configs: JSON round-trip for every registered method, ``--set`` parsing, clear errors."""
from __future__ import annotations

import json
from dataclasses import dataclass, fields

import pytest
from support import importable_methods

from xdomain import registry
from xdomain.config import BaseConfig, apply_overrides, load_config_file


@dataclass
class Sample(BaseConfig):
    dataset: str = "x"
    flag: bool = False
    ratio: float = 0.5
    widths: tuple[int, ...] = (8, 16)
    pair: tuple[float, float] = (1.0, 2.0)
    nested: tuple[tuple[float, float], ...] = ()
    name: str | None = None


@pytest.mark.parametrize("method", importable_methods())
@pytest.mark.parametrize("which", ["default", "tiny"])
def test_every_method_config_round_trips_json(method: str, which: str):
    cls = registry.get_method(method)
    cfg = cls.Config() if which == "default" else cls.tiny_config()
    assert isinstance(cfg, cls.Config) and isinstance(cfg, BaseConfig)
    text = json.dumps(cfg.to_dict())  # must be plain JSON (no tuples-of-objects, no pickles)
    back = cls.Config.from_dict(json.loads(text))
    assert back == cfg
    assert json.dumps(back.to_dict()) == text


def test_round_trip_restores_declared_types():
    cfg = Sample(ratio=2.0, widths=(1, 2, 3), nested=((0.0, 1.0), (2.0, 3.0)), name="n")
    back = Sample.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back == cfg
    assert isinstance(back.widths, tuple) and isinstance(back.nested[0], tuple)
    assert type(Sample.from_dict({"ratio": 3}).ratio) is float  # JSON ints become declared floats


def test_from_dict_rejects_unknown_fields():
    with pytest.raises(ValueError, match="unknown Sample field.*bogus"):
        Sample.from_dict({"bogus": 1, "ratio": 0.1})


@pytest.mark.parametrize("item, field, value", [
    ("steps=12", "steps", 12),
    ("steps=2e3", "steps", 2000),
    ("lr=3e-4", "lr", 3e-4),
    ("ratio=1", "ratio", 1.0),
    ("flag=true", "flag", True),
    ("flag=Yes", "flag", True),
    ("flag=0", "flag", False),
    ("flag=off", "flag", False),
    ("widths=[4,8,16]", "widths", (4, 8, 16)),
    ("pair=[3, 4]", "pair", (3.0, 4.0)),
    ("nested=[[1,2],[3,4]]", "nested", ((1.0, 2.0), (3.0, 4.0))),
    ("dataset=celeba_Male", "dataset", "celeba_Male"),
    ("dataset=a=b", "dataset", "a=b"),  # only the first '=' splits
    ("name=null", "name", None),
])
def test_set_overrides_parse_by_declared_type(item: str, field: str, value):
    cfg = apply_overrides(Sample(), [item])
    got = getattr(cfg, field)
    assert got == value and type(got) is type(value)
    untouched = {f.name for f in fields(Sample)} - {field}
    assert all(getattr(cfg, f) == getattr(Sample(), f) for f in untouched)


@pytest.mark.parametrize("item, match", [
    ("nosuchkey=1", "unknown config key 'nosuchkey' for Sample; valid keys: dataset, steps"),
    ("steps", "expects key=value"),
    ("flag=maybe", "expected a boolean"),
    ("steps=ten", "bad value for config key 'steps': expected an integer, got 'ten'"),
    ("lr=fast", "bad value for config key 'lr': expected a number, got 'fast'"),
    ("widths=[1,2", "expected a JSON value"),
])
def test_bad_overrides_are_clear_errors(item: str, match: str):
    with pytest.raises(ValueError, match=match):
        apply_overrides(Sample(), [item])


def test_no_overrides_returns_same_config():
    cfg = Sample()
    assert apply_overrides(cfg, None) is cfg and apply_overrides(cfg, []) is cfg


def test_config_file_bare_or_from_checkpoint(tmp_path):
    cfg = Sample(steps=7, widths=(2,))
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(cfg.to_dict()))
    ckpt = tmp_path / "config.json"
    ckpt.write_text(json.dumps({"method": "x", "config": cfg.to_dict(), "metrics": {}}))
    assert load_config_file(Sample, bare) == cfg
    assert load_config_file(Sample, ckpt) == cfg
