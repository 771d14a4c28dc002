"""Refactors change nothing a user sees: every committed checkpoint, on fixed inputs and seeds, gives
the outputs recorded in ``tests/golden/outputs.json`` (``tests/golden/make_golden.py``; first written before
the two-domain core was introduced, re-recorded on 2026-12-04 with unchanged model code on an AVX2 machine,
whose kernels round differently from the first recording's, and on 2026-12-06 on an AMD EPYC — after every output
had passed the tolerance check against the previous recording — because that CPU reports the same capability
as the Intel recording machine (AVX512) yet rounds differently: the CPU's model name is now part of ``_meta``).

Judges are compared on their logits, translators on ``translate`` in every direction they have: byte for
byte on a machine with the recording's CPU kernels (``_meta``), otherwise within a tolerance on the stored
summary (shape, mean, 64 evenly spaced values). Translation by inversion (CoGAN: hundreds of optimiser steps
on z; 64×64 ones get one fixed input instead of four, ``n_inputs``) carries rounding differences into another
z*, so it gets a wider, mean-based tolerance (measured by
forcing other kernels, ``ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41``: up to 0.33 on one value,
up to 0.054 on average, while every other output stayed within 0.003).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from golden.make_golden import fixed_input, machine, n_inputs, summary
from xdomain import hub, registry

GOLDEN = json.loads((Path(__file__).parent / "golden" / "outputs.json").read_text())
META = GOLDEN.pop("_meta")
ATOL = 0.01  # any one of the 64 values, models that map inputs in one pass
MEAN_ABS_INVERT = 0.1  # the 64 values on average, translation by inversion
# the output's mean, translation by inversion: 0.01 until 2026-12-06, when an AMD EPYC (AVX512 too, other oneDNN
# kernels) moved cogan-usps-mnist a2b's mean by 0.011 with unchanged code
MEAN_INVERT = 0.03


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
            check(f"{name} logits", m(x), want["logits"], inverts=False)
        return
    x = fixed_input(m.input_kind, m.image_size, m.channels, n_inputs(m))
    assert set(m.directions) == set(want), "the directions a model offers changed"
    for d in m.directions:
        check(f"{name} {d}", m.translate(x, d, seed=0), want[d], inverts=hasattr(m, "invert"))


def check(what: str, out: torch.Tensor, want: dict, inverts: bool, exact: bool | None = None) -> None:
    """``exact``: compare bytes too (default: on a machine with the recording's kernels)."""
    got = summary(out)
    if exact is None:
        exact = machine() == META  # the recording's kernels: the same bytes
    if exact:
        assert got["sha256"] == want["sha256"], f"{what}: output bytes changed"
    assert got["shape"] == want["shape"], f"{what}: output shape changed"
    diffs = [abs(a - b) for a, b in zip(got["sample"], want["sample"])]
    if inverts:
        assert sum(diffs) / len(diffs) <= MEAN_ABS_INVERT, f"{what}: outputs moved (mean |diff| {sum(diffs) / len(diffs):.4f})"
        assert abs(got["mean"] - want["mean"]) <= MEAN_INVERT, f"{what}: output mean moved"
    else:
        assert max(diffs) <= ATOL, f"{what}: outputs moved (max |diff| {max(diffs):.4f})"


def test_golden_check_can_fail():
    """The comparison fails on a changed output, by bytes and (as on other kernels) by the tolerance alone."""
    want = summary(torch.linspace(-1, 1, 200))
    for exact in (True, False):
        check("same", torch.linspace(-1, 1, 200), want, inverts=False, exact=exact)
        with pytest.raises(AssertionError):
            check("moved", torch.linspace(-1, 1, 200) + 0.05, want, inverts=False, exact=exact)
        with pytest.raises(AssertionError):
            check("moved", torch.linspace(-1, 1, 200).flip(0), want, inverts=True, exact=exact)


def test_every_committed_checkpoint_is_covered():
    committed = {c.name for c in registry.CHECKPOINTS.values() if (c.local_dir / "model.safetensors").is_file()}
    assert committed - {"toy2d-runs"} <= set(GOLDEN)
