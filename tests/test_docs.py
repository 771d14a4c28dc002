"""The documentation's result tables are generated from the committed checkpoints' stored metrics: a
test fails when a table in README.md or docs/*.md no longer matches what its generator prints."""
from __future__ import annotations

import pytest


@pytest.mark.slow
def test_generated_tables_are_up_to_date(data_root, capsys):
    from experiments import readme_tables

    code = readme_tables.main(["--check"])
    out = capsys.readouterr().out
    assert code == 0, out
