"""Model selection shared by the exploration tabs (Translate, Analogies, Interpolate, Retrieve).

A tab lists the checkpoints the registry assigns to it (``registry.checkpoints_for_tab``), so a
later method's checkpoint appears in the dropdown by registering it; what a tab can do with a model
is decided by its capabilities (``encode``/``decode``/``exclusive_dim``), never by its name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui import common
from xdomain import hub, registry
from xdomain.data.info import dataset_info
from xdomain.metrics import bars


@dataclass
class Selected:
    """The dropdown and the model it starts on, as a :class:`ui.common.ModelView` (its ``config.json``; the
    weights load when a handler or a first paint needs them)."""

    dropdown: gr.Dropdown
    name: str
    model: Any


def available(name: str) -> bool:
    """True when ``name`` (registered name or checkpoint folder) loads without a download."""
    try:
        hub.resolve(name, allow_download=False)
        return True
    except (hub.CheckpointError, OSError):
        return False


def model_selector(tab: str, checkpoints: list[str] | None = None) -> Selected | None:
    """A model dropdown for ``tab``; when no checkpoint is available, an explanation and ``None``.

    ``checkpoints`` overrides the registry (tests pass a checkpoint folder).
    """
    names = checkpoints if checkpoints is not None else [c.name for c in registry.checkpoints_for_tab(tab)]
    ready = [n for n in names if available(n)]
    if not ready:
        if not common.missing_panel([n for n in names if n in registry.CHECKPOINTS]):
            gr.Markdown(f"No checkpoint is registered for this tab yet ({', '.join(names) or 'none'}).")
        return None
    name = ready[0]
    dd = gr.Dropdown(choices=[(display_name(n), n) for n in ready], value=name, label="Model", elem_id=f"{tab}-model",
                     scale=2)
    return Selected(dd, name, common.model_view(name))


def display_name(name: str) -> str:
    """What a person reads for a checkpoint: its registry label; a folder outside the registry by its name.
    A checkpoint whose stored figures miss its bar (in any direction, for a per-direction bar) reads
    "… — experimental: figures" (the Face tab labels each direction itself: ``explore.faces.face_targets``)."""
    if name not in registry.CHECKPOINTS:
        return name
    spec = registry.CHECKPOINTS[name]
    bar = bars.BARS.get(spec.bar)
    if bar is None:
        return spec.display
    try:
        meta = hub.read_meta(hub.resolve(name, allow_download=False))
    except (hub.CheckpointError, OSError):
        meta = {}
    metrics, facts = meta.get("metrics") or {}, meta.get("facts") or {}
    directions = (facts.get("directions") or ["a2b", "b2a"]) if bar.per_direction else ["a2b"]
    failed = [(d, v) for d in directions if not (v := bars.check(spec.bar, metrics, d)).passed]
    if not failed:
        return spec.display
    names = facts.get("domain_names")

    def which(d: str) -> str:  # "Male → Female: " before a per-direction figure list
        return f"{names['ab'.index(d[0])]} → {names['ab'.index(d[-1])]}: " if bar.per_direction and names else ""

    return f"{spec.display} — experimental: " + "; ".join(which(d) + v.summary(bar) for d, v in failed)


def model(name: str):
    """The cached model for a handler (``gr.Error`` if it cannot load)."""
    if not name:
        raise ValueError("Pick a model first.")
    return common.load_model(name)


def side_choices(m) -> list[tuple[str, str]]:
    """Radio choices (label, value) for a domain: ``[("MNIST-CD", "A"), ("MNIST-CB", "B")]``."""
    a, b = m.domain_names
    return [(a, "A"), (b, "B")]


def direction_choices(m) -> list[tuple[str, str]]:
    """Only the directions the model has: ``[("Bags → Shoes", "a2b"), ("Shoes → Bags", "b2a")]``."""
    a, b = m.domain_names
    names = {"a2b": f"{a} → {b}", "b2a": f"{b} → {a}"}
    return [(names[d], d) for d in m.directions]


@common.friendly
def side_labels(model_name: str) -> dict:
    """Another model picked → the domain radio names its domains."""
    return gr.update(choices=side_choices(model(model_name)))


@common.friendly
def direction_labels(model_name: str) -> dict:
    """Another model picked → the direction radio names its domains (and offers only its directions)."""
    choices = direction_choices(model(model_name))
    return gr.update(choices=choices, value=choices[0][1])


def about_text(m) -> str:
    """One markdown line saying what the model's two domains are (``DatasetInfo.about``, e.g. what
    "MNIST-CD" and "MNIST-CB" mean); "" when the dataset has no description."""
    about = dataset_info(dataset_of(m)[0]).about.strip()
    if not about:
        return ""
    return f"**The domains** — {about}" + ("" if about.endswith((".", "!", "?")) else ".")


@common.friendly
def about_update(model_name: str) -> dict:
    """Another model picked → the line explaining its domains (hidden when there is none)."""
    text = about_text(model(model_name))
    return gr.update(value=text, visible=bool(text))


def header(tab: str, checkpoints: list[str] | None = None, kind: str = "side",
           label: str = "Domain") -> tuple[Selected, gr.Radio, gr.Row] | None:
    """A tab's top row: the model dropdown and a domain radio (``kind="side"``: "A"/"B", or
    ``"direction"``: "a2b"/"b2a"; elem_id ``{tab}-{kind}``) relabelled when the model changes
    (``api_name={tab}_model``); under it a line explaining the model's domains (elem_id
    ``{tab}-about``, ``api_name={tab}_about``). Returns ``(selected, radio, row)``, or ``None``
    without a model."""
    with gr.Row() as row:
        sel = model_selector(tab, checkpoints)
        if sel is None:
            return None
        choices, value, relabel = ((side_choices, "A", side_labels) if kind == "side"
                                   else (direction_choices, "a2b", direction_labels))
        radio = gr.Radio(choices(sel.model), value=value, label=label, elem_id=f"{tab}-{kind}", scale=2)
    text = about_text(sel.model)
    about = gr.Markdown(text, visible=bool(text), elem_id=f"{tab}-about")
    sel.dropdown.change(relabel, sel.dropdown, radio, api_name=f"{tab}_model")
    sel.dropdown.change(about_update, sel.dropdown, about, api_name=f"{tab}_about")
    return sel, radio, row


def dataset_of(m) -> tuple[str, int, int]:
    """(dataset, data seed, image size) of the model's training data; its test split feeds galleries
    and retrieval (the data seed fixes e.g. MNIST-CD/CB's colours)."""
    return m.cfg.dataset, m.data_seed, m.image_size
