"""Helpers shared by test modules and fixtures (importable as ``support``; conftest is not a library)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"  # tracked: the README's pictures
TEST_SCREENSHOTS = REPO / "tests" / "artifacts" / "screenshots"  # git-ignored (.gitignore: tests/artifacts/)


def screenshot_dir(environ=None) -> Path:
    """Where the browser tests save their screenshots: ``tests/artifacts/screenshots/`` (git-ignored), so a
    test run never rewrites tracked files; ``docs/screenshots/`` only with ``XDOMAIN_SCREENSHOTS=1``
    (``XDOMAIN_SCREENSHOTS=1 ./run.sh test tests/e2e`` refreshes the README screenshots)."""
    env = os.environ if environ is None else environ
    return DOCS_SCREENSHOTS if env.get("XDOMAIN_SCREENSHOTS") == "1" else TEST_SCREENSHOTS


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child process: this one's, plus the repo and tests on PYTHONPATH, one thread."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(extra)
    return env


def importable_methods() -> list[str]:
    """Registered methods whose module imports (test_registry fails loudly for one that does not)."""
    from xdomain import registry

    names = []
    for name, spec in sorted(registry.METHODS.items()):
        try:
            spec.load()
        except Exception:  # noqa: BLE001 - a method still being written must not hide the others
            continue
        names.append(name)
    return names


def opened(demo) -> None:
    """Apply the tabs' first paints (``ui.common.page_default``: run when a page opens, not at build) to the
    components, so ``.value`` is what a visitor sees when the page has opened."""
    from ui.common import PAINT_PREFIX

    for f in demo.fns.values():
        if not f.fn.__name__.startswith(PAINT_PREFIX):
            continue
        result = f.fn()
        outs = f.outputs
        for comp, v in zip(outs, result if len(outs) > 1 else [result]):
            if isinstance(v, dict) and v.get("__type__") == "update":
                for k, val in v.items():
                    if k != "__type__":
                        setattr(comp, k, val)
            else:
                comp.value = v


def run_notebook(name: str) -> list[dict]:
    """Execute ``notebooks/<name>`` top to bottom from the repo root; its code cells' outputs, after
    asserting that none is an error and that it shows at least two figures."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2, "the notebook shows no figures"
    return outputs


def tiny_identity_config(n_classes: int = 5, image_size: int = 16, **kw):
    """The config of a tiny CelebA identity + 40-attribute classifier: the shape of ``encoder-celeba-id`` (DTN's f,
    UNIT's L_ATTR reader) and ``judge-celeba-identity``, small enough for unit tests."""
    from xdomain.methods.classifier import ClassifierConfig

    return ClassifierConfig(dataset="celeba_identity_attrs", n_classes=n_classes, aux_outputs=40, widths=(8, 8),
                            image_size=image_size, channels=3, global_pool=True, **kw)


def tiny_identity_encoder(n_classes: int = 5, image_size: int = 16, **kw):
    """:func:`tiny_identity_config` built under seed 0 (the same weights every call)."""
    import torch

    from xdomain.methods.classifier import Classifier

    torch.manual_seed(0)
    return Classifier(tiny_identity_config(n_classes, image_size, **kw))
