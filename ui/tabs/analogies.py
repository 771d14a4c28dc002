"""Analogies tab: K queries × K references → ``decode(S_query, E_reference)``.

Gonzalez-Garcia et al., NeurIPS 2018, §4.1 "Domain-specific image transfer" (Fig. 3b): with
``R_1 = (S_1^X, E_1^X)`` of a query and ``R_2 = (S_2^X, E_2^X)`` of a reference from the same
domain, ``F_d(S_1^X, E_2^X)`` draws the query's digit in the reference's colour. The sheet puts the
references on top, the queries on the left, and each analogy where they meet.

Queries and references come from the test set (seeded) or from uploads; references may also be
random exclusive codes ``E ~ N(0, I)``, which needs no dataset at all.
API endpoints: ``analogies_run``, ``analogies_model``.
"""
from __future__ import annotations

import numpy as np

import gradio as gr

from ui import common, gallery, selector
from ui.lazy import lazy
from xdomain import explore

torch = lazy("torch")
imageio = lazy("xdomain.imageio")

K_MAX = 8
TEST, UPLOADS, RANDOM = "Test set", "Uploads", "Random codes"


def _from_test(m, side: str, k: int, seed: int, salt: int) -> torch.Tensor:
    """``k`` distinct test images of ``side`` chosen by ``(seed, salt)``: ``[k, C, H, W]``."""
    x = gallery.test_split(m)[explore.check_side(side)]
    idx = np.random.default_rng([seed, salt]).choice(len(x), size=min(k, len(x)), replace=False)
    return x[torch.from_numpy(idx)]


def _from_files(m, files: list[str] | None, what: str) -> torch.Tensor:
    """Uploaded image files (at most ``K_MAX``) → ``[n, C, H, W]``."""
    if not files:
        raise ValueError(f"Upload at least one {what} image, or pick another source.")
    files = [common.check_upload(f, f"{what} image") for f in list(files)[:K_MAX]]
    return torch.cat([imageio.to_tensor(imageio.open_image(f), m.image_size, m.channels) for f in files])


@common.friendly
def analogies_run(model_name: str, side: str, k: float, seed: float, query_source: str, query_files: list[str] | None,
                  reference_source: str, reference_files: list[str] | None) -> np.ndarray:
    """The analogy sheet: references on top, queries on the left, ``decode(S_q, E_r)`` inside."""
    m = selector.model(model_name)
    d = explore.require_codes(m)
    k, seed = int(np.clip(k or 1, 1, K_MAX)), int(seed or 0)
    q = _from_test(m, side, k, seed, 0) if query_source == TEST else _from_files(m, query_files, "query")
    refs = codes = None
    if reference_source == RANDOM:
        codes = explore.random_codes(k, d, seed)  # [k, d]
    elif reference_source == TEST:
        refs = _from_test(m, side, k, seed, 1)
    else:
        refs = _from_files(m, reference_files, "reference")
    out = explore.analogy_grid(m, q, side, references=refs, codes=codes)  # [Kq, Kr, C, H, W]
    return gallery.show_grid(explore.analogy_sheet(q, out, refs), nrow=out.shape[1] + 1)


def build(checkpoints: list[str] | None = None) -> None:
    """Create the tab's components (called inside ``gr.Tab`` by app.py)."""
    top = selector.header("analogies", checkpoints)
    if top is None:
        return
    sel, side, _ = top
    gr.Markdown("Each cell takes the **digit (shared part) of its row's query** and the **colour (exclusive part) "
                "of its column's reference**. With *Random codes* the columns are samples of E ~ N(0, I).")
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            with gr.Row():
                k = gr.Slider(1, K_MAX, value=5, step=1, label="K (queries × references)", elem_id="analogies-k")
                seed = gr.Number(value=0, precision=0, label="Seed", elem_id="analogies-seed")
            query_source = gr.Radio([TEST, UPLOADS], value=TEST, label="Queries", elem_id="analogies-query-source")
            query_files = gr.File(file_count="multiple", file_types=["image"], type="filepath", height=100,
                                  label=f"Query images (up to {K_MAX})", elem_id="analogies-query-files")
            ref_source = gr.Radio([TEST, UPLOADS, RANDOM], value=TEST, label="References",
                                  elem_id="analogies-reference-source")
            ref_files = gr.File(file_count="multiple", file_types=["image"], type="filepath", height=100,
                                label=f"Reference images (up to {K_MAX})", elem_id="analogies-reference-files")
            run = gr.Button("Make analogies", variant="primary", elem_id="analogies-run", interactive=False)
        with gr.Column(scale=3):
            sheet = gr.Image(label="Analogies", type="numpy", format="png", interactive=False,
                             elem_id="analogies-grid", buttons=["download"])

    def first_paint():
        """The first paint from the test set; without the dataset the sheet starts empty."""
        try:
            return analogies_run(sel.name, "A", 5, 0, TEST, None, TEST, None)
        except gr.Error:
            return None

    common.page_default("analogies", first_paint, sheet, enable=(run,))
    gr.on([run.click, side.change], analogies_run,
          [sel.dropdown, side, k, seed, query_source, query_files, ref_source, ref_files], sheet,
          api_name="analogies_run")
