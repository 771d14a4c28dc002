"""Sweep, model-selection, gallery and report scripts, kept out of the main path.

Nothing in :mod:`xdomain`, the app or the tests' main path imports these; each module is a small
command run from the repository root as ``python -m experiments.<name>`` (e.g.
``python -m experiments.readme_tables`` regenerates the result tables in ``README.md`` and
``docs/*.md`` from the committed checkpoints' stored metrics).
"""
