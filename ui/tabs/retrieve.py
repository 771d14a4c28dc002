"""Retrieve tab: a query's 10 nearest neighbours by shared / exclusive / pixel features, side by side.

Gonzalez-Garcia et al., NeurIPS 2018, §4.1 "Cross-domain retrieval" (Table 1, Fig. 4b): Euclidean
distance on the shared part ``S`` finds the same digit in the other domain; the exclusive part ``E``
finds the same colour regardless of the digit; raw pixels mostly find images of the query's own
domain. The database is the model's test split (both domains, features computed once per model);
the dataset-level Recall@1 shown is read from the checkpoint's ``config.json`` (written by
``python -m xdomain eval``), never computed or typed here.
API endpoints: ``retrieve_run``, ``retrieve_metrics``, ``retrieve_model`` (+ the picker's ``retrieve_query_*``).
"""
from __future__ import annotations

import re
import threading
from typing import Any

import gradio as gr
import numpy as np

from ui import common, gallery, selector
from xdomain import explore
from xdomain.data import sources


K = 10
TARGET_CHOICES = [("The other domain", "other"), ("The union of both domains", "union")]
KIND_LABELS = {"shared": "Shared features (S)", "exclusive": "Exclusive features (E)", "pixels": "Raw pixels"}

_lock = threading.Lock()
_indices: dict[tuple, explore.RetrievalIndex] = {}


def retrieval_index(m) -> explore.RetrievalIndex:
    """The model's test-split database with its features, built on first use and cached."""
    dataset, seed, size = selector.dataset_of(m)
    key = (id(m), dataset, seed, size, str(sources.resolve_root()))
    with _lock:
        if key not in _indices:
            _indices[key] = explore.RetrievalIndex.from_domains(m, explore.test_domains(dataset, seed, size=size))
        return _indices[key]


_RECALL = re.compile(r"^recall1_(?P<level>[a-z]+)_(?P<kind>[a-z]+)_(?P<dir>[a-z]+2[a-z]+)$")
_UNION = re.compile(r"^union_other_share_(?P<kind>[a-z]+)$")


def _order(kind: str) -> int:
    return explore.FEATURES.index(kind) if kind in explore.FEATURES else len(explore.FEATURES)


def _pct(v: Any) -> str:
    return f"{100 * v:.2f}%" if isinstance(v, (int, float)) else str(v)


def recall_markdown(m) -> str:
    """The retrieval metrics stored in the checkpoint's config.json (by ``xdomain eval``) as tables.

    Keys ``recall1_<level>_<features>_<q>2<db>`` (fractions) become one row per feature kind and
    one column per (direction, level); ``union_other_share_<features>`` a second table. Other
    metric names containing "recall" are listed as they are.
    """
    metrics = m.checkpoint_meta.get("metrics", {}) or {}
    table: dict[str, dict[tuple[str, str], Any]] = {}
    union: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for k, v in metrics.items():
        if r := _RECALL.match(k):
            table.setdefault(r["kind"], {})[(r["dir"], r["level"])] = v
        elif u := _UNION.match(k):
            union[u["kind"]] = v
        elif "recall" in k.lower():
            other[k] = v
    if not (table or union or other):
        return ("*This checkpoint's config.json has no retrieval metrics yet: run "
                "`python -m xdomain eval <checkpoint>` to add them.*")
    n = metrics.get("n_test")
    lines = [f"**Dataset retrieval** — read from the checkpoint's config.json (computed by `xdomain eval`"
             + (f" on {int(n):,} test pairs" if isinstance(n, (int, float)) else "") + "). *label*: the nearest "
             "neighbour shows the same digit (the paper's Recall@1); *exact*: it is the query's own pair."]
    if table:
        dirs = list(dict.fromkeys(d for row in table.values() for d, _ in row))  # first-seen order
        levels = sorted({lvl for row in table.values() for _, lvl in row}, key=lambda lvl: (lvl != "label", lvl))
        cols = [(d, lvl) for lvl in levels for d in dirs]
        lines += ["", "| Recall@1 | " + " | ".join(f"{d.upper().replace('2', ' → ')} ({lvl})" for d, lvl in cols) + " |",
                  "|---|" + "---|" * len(cols)]
        lines += [f"| {KIND_LABELS.get(kind, kind)} | " + " | ".join(_pct(row.get(c, "–")) for c in cols) + " |"
                  for kind, row in sorted(table.items(), key=lambda kv: _order(kv[0]))]
    if union:
        lines += ["", "| Union of both domains: share of the 10 NN from the other domain | " + " | ".join(
            KIND_LABELS.get(k, k) for k in union) + " |", "|---|" + "---|" * len(union),
            "| | " + " | ".join(_pct(v) for v in union.values()) + " |"]
    lines += [""] * bool(other) + [f"- `{k}`: {v:.4g}" if isinstance(v, (int, float)) else f"- `{k}`: {v}" for k, v in other.items()]
    return "\n".join(lines)


@common.friendly
def retrieve_metrics(model_name: str) -> str:
    """The selected checkpoint's stored retrieval metrics (markdown)."""
    return recall_markdown(selector.model(model_name))


@common.friendly
def retrieve_run(model_name: str, side: str, query: np.ndarray | None, target: str) -> tuple:
    """Top-10 neighbours of the query by shared, exclusive and pixel features, plus a summary.

    Returns three images, each the 10 neighbours of one feature kind in two rows of five captioned
    "[MNIST-CB] 7 · 1.23" (domain when searching both · label · distance) — one image per kind, not a
    10-image gallery, so a client downloads 3 files instead of 30 — and a summary (share of neighbours
    from the other domain; same-label share when the query is a test image; the neighbours' labels).
    """
    m = selector.model(model_name)
    x = gallery.read(m, query, "query image")
    index = retrieval_index(m)
    hits = index.search(m, x, side, target, k=K)
    names = dict(zip(explore.SIDES, m.domain_names))
    out = []
    for kind in explore.FEATURES:  # caption: "[domain] label · distance"; the domain only when searching both
        hs = hits.get(kind, [])
        out.append(common.labelled_strip(
            [index.image(h) for h in hs],
            [(f"{names[h.side]}\n" if target == "union" else "") + f"{h.label} · {h.distance:.2f}" for h in hs],
            scale=gallery.DISPLAY_SCALE, ncol=K // 2) if hs else None)
    row = index.find(x, side)
    qlabel = int(index.labels[side][row]) if row is not None else None
    lines = [f"Query: {names[side]}" + (f" test image #{row}, digit {qlabel}" if row is not None else " (not from the test set)"),
             "", "| features | from the other domain |" + (" same digit as the query |" if qlabel is not None else "")
             + " neighbours' digits, nearest first |", "|---|---|" + ("---|" if qlabel is not None else "") + "---|"]
    for kind, hs in hits.items():
        cells = f"| {KIND_LABELS[kind]} | {explore.share_from_other(hs, side):.0%} |"
        if qlabel is not None:
            cells += f" {sum(h.label == qlabel for h in hs) / max(1, len(hs)):.0%} |"
        lines.append(cells + f" {' '.join(str(h.label) for h in hs)} |")
    return out[0], out[1], out[2], "\n".join(lines)


def retrieve_first(model_name: str, side: str, query: np.ndarray | None, target: str) -> tuple:
    """The page's opening result: the neighbours of the initial query, or nothing (no message) when there
    is no query yet, e.g. without the dataset."""
    if query is None:
        return None, None, None, ""
    return retrieve_run(model_name, side, query, target)


def build(checkpoints: list[str] | None = None) -> None:
    """Create the tab's components (called inside ``gr.Tab`` by app.py)."""
    top = selector.header("retrieve", checkpoints, label="Query domain")
    if top is None:
        return
    sel, side, row = top
    with row:
        target = gr.Radio(TARGET_CHOICES, value="other", label="Search in", elem_id="retrieve-target", scale=2)
    metrics = gr.Markdown(recall_markdown(sel.model), elem_id="retrieve-recall")
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            query = gallery.ImagePicker("retrieve_query", "Query", sel, side, index=0)
            run = gr.Button("Retrieve top 10", variant="primary", elem_id="retrieve-run", interactive=False)
        with gr.Column(scale=5):
            summary = gr.Markdown(elem_id="retrieve-summary")
            results = [gr.Image(label=KIND_LABELS[kind], type="numpy", format="png", interactive=False,
                                elem_id=f"retrieve-{kind}") for kind in explore.FEATURES]
    sel.dropdown.change(retrieve_metrics, sel.dropdown, metrics, api_name="retrieve_metrics")
    gr.on([run.click, target.change], retrieve_run, [sel.dropdown, side, query.image, target], [*results, summary],
          api_name="retrieve_run")
    # the feature index (~3.5 s: the test set and 20k encodings) is built early in the background warm-up,
    # right after the opening tab's paint, and the tab opens on the first test image's neighbours
    common.after_start("retrieve-index", lambda: retrieval_index(selector.model(sel.name)), early=True)
    common.page_default("retrieve", lambda: retrieve_first(sel.name, side.value, query.initial, target.value),
                        [*results, summary], enable=(run,))
