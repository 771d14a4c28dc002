"""The UNIT notebooks (issue 14) run top to bottom on the committed checkpoints. The faces notebook draws the face
figure and the interpolation in both domains and recomputes UNIT's test figures, asserting each equals the stored
one; the digits notebook draws the translations and the interpolation, recomputes both adaptation checkpoints' test
accuracies against the stored ones and tabulates the three-seed headline from docs/unit_digits.json."""
from __future__ import annotations

import pytest


def markdown_tables(notebook: str, checkpoints: tuple[str, ...]) -> list[str]:
    """Run ``notebook`` (skipped until its ``checkpoints`` have landed); its Markdown outputs (the tables)."""
    from support import run_notebook
    from ui.common import checkpoint_status

    for name in checkpoints:
        if checkpoint_status(name) is not None:
            pytest.skip(f"{name} has not landed")
    return [o["data"]["text/markdown"] for o in run_notebook(notebook) if "text/markdown" in o.get("data", {})]


@pytest.mark.slow
def test_unit_notebook_reproduces_the_faces_figure_and_table(data_root):
    tables = markdown_tables("unit_faces.ipynb", ("unit-celeba-male-nonorm", "discogan-celeba-male"))
    assert tables and "| Male → Female | UNIT |" in tables[0]


@pytest.mark.slow
def test_unit_digits_notebook_reproduces_the_figure_and_tables(data_root):
    tables = markdown_tables("unit_digits.ipynb", ("unit-mnist-usps", "unit-usps-mnist"))
    assert len(tables) == 2 and "| `unit-mnist-usps` | MNIST → USPS |" in tables[0]
    assert "| USPS → MNIST | source only | 3 |" in tables[1]
