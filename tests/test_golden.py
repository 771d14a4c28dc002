"""Refactors change nothing a user sees: every committed checkpoint, on fixed inputs and seeds, gives
the same output bytes as recorded before the two-domain core was introduced
(``tests/golden/make_golden.py`` wrote ``tests/golden/outputs.json`` from the code of that time).

Judges are compared on their logits, translators on ``translate`` in every direction they have.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from golden.make_golden import digest, fixed_input
from xdomain import hub, registry

GOLDEN = json.loads((Path(__file__).parent / "golden" / "outputs.json").read_text())


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # the recording ran on one thread: the same kernels, the same bytes
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_outputs_unchanged(name: str):
    spec = registry.get_checkpoint(name)
    m = hub.load_model(name)
    want = GOLDEN[name]
    if registry.get_method_spec(spec.method).kind == "judge":
        x = fixed_input("image", m.cfg.image_size, m.cfg.channels)
        with torch.no_grad():
            assert digest(m(x)) == want["logits"]
        return
    x = fixed_input(m.input_kind, m.image_size, m.channels)
    assert set(m.directions) == set(want), "the directions a model offers changed"
    for d in m.directions:
        assert digest(m.translate(x, d, seed=0)) == want[d], f"{name} {d}: output bytes changed"


def test_every_committed_checkpoint_is_covered():
    committed = {c.name for c in registry.CHECKPOINTS.values() if (c.local_dir / "model.safetensors").is_file()}
    assert committed - {"toy2d-runs"} <= set(GOLDEN)
