"""Data layer: one data root, loaders for the staged sets, and named derived domains.

The data root is ``--data-root`` / ``$XDOMAIN_DATA``, else ``../shared/data`` beside the repo
when it exists. Raw loaders live in :mod:`xdomain.data.sources`, derived domains (MNIST-CD/CB,
CelebA attribute splits, ...) in :mod:`xdomain.data.domains`.
"""
from xdomain.data.sources import DatasetMissingError, resolve_root

__all__ = ["DatasetMissingError", "resolve_root"]
