"""The CoGAN notebook (issue 15) runs top to bottom on the committed checkpoints: it draws the pair figure
and recomputes the pixel-agreement table, asserting each recomputed figure equals the stored one."""
from __future__ import annotations

import pytest


@pytest.mark.slow
def test_cogan_notebook_reproduces_the_pairs_and_the_table(data_root):
    import nbformat
    from nbclient import NotebookClient

    from support import REPO
    from ui.common import checkpoint_status

    if checkpoint_status("cogan-mnist-negative") is not None:
        pytest.skip("cogan-mnist-negative has not landed")
    nb = nbformat.read(REPO / "notebooks" / "cogan_pairs.ipynb", as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2, "the notebook shows no figures"
    table = [o for o in outputs if "text/markdown" in o.get("data", {})]
    assert table and "cogan-mnist-negative | 0.9" in table[0]["data"]["text/markdown"]
