"""The datasets' test splits for galleries and retrieval, cached per data root."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from xdomain.data import domains as _domains
from xdomain.data import sources

@lru_cache(maxsize=2)
def _test_domains(dataset: str, seed: int, root: str, size: int | None) -> dict:
    return _domains.get_domains(dataset, Path(root), "test", seed, size=size)


def test_domains(dataset: str, seed: int = 0, root: str | os.PathLike | None = None, size: int | None = None) -> dict:
    """The dataset's test split at ``size`` (cached per data root); raises ``DatasetMissingError`` if absent."""
    return _test_domains(dataset, int(seed), str(sources.resolve_root(root)), size)


