"""Exploring trained translators (gradio-free; the app's tabs, notebooks and tests use it).

* :mod:`~xdomain.explore.codes`      diverse / guided translation, analogies, interpolation (also in both
                                     domains of a shared latent space), round trips
* :mod:`~xdomain.explore.retrieval`  cross-domain nearest neighbours (Table 1, Fig. 4b)
* :mod:`~xdomain.explore.images`     display helpers and GIFs
* :mod:`~xdomain.explore.drawing`    free-hand digits rendered into a domain
* :mod:`~xdomain.explore.testdata`   cached test splits for galleries
* :mod:`~xdomain.explore.examples`   which test images a view opens on (contrasting, faithfully translated)
* :mod:`~xdomain.explore.faces`      face targets, variants and example photos for the Face tab

Everything reads the :class:`~xdomain.methods.base.Translator` contract, never a method's name.
"""
from xdomain.explore.codes import (  # noqa: F401
    PARTS, SIDES, analogy_grid, analogy_sheet, apply_sequence, check_side, direction_sides, exclusive_code,
    exclusive_dim, interpolate, interpolate_shared, other, random_codes, require_codes, require_shared,
    round_trip_drift, round_trips, shared_code, translate_diverse, translate_with_code,
)
from xdomain.explore.drawing import DRAWING_RENDERERS, mnist_canvas, render_drawing  # noqa: F401
from xdomain.explore.examples import contrasting_index, faithful_index  # noqa: F401
from xdomain.explore.images import from_uint8_hwc, side_by_side, to_uint8_hwc, upscale, write_gif  # noqa: F401
from xdomain.explore.retrieval import FEATURES, Hit, RetrievalIndex, share_from_other  # noqa: F401
from xdomain.explore.testdata import test_domains  # noqa: F401
from xdomain.methods.base import DIRECTIONS  # noqa: F401
