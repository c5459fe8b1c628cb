"""The promise, checked over many seeds: nothing confirmed is lost, every double redemption has one
winner and a conflict its device knows, no false conflicts, balances add up, chains verify."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from server_stub.database.schema import conflicts
from tests.sim.simulation import Simulation

SEEDS = int(os.environ.get("INSTORE_SIM_SEEDS", "200"))


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sim-template")


@pytest.mark.parametrize("seed", range(SEEDS))
def test_seed(seed: int, template: Path, tmp_path: Path) -> None:
    sim = Simulation(seed, template, tmp_path)
    try:
        sim.run()
        sim.check()
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}\nreplay: .venv/bin/python -m pytest 'tests/sim/test_simulation.py::test_seed[{seed}]'"
        ) from None
    finally:
        sim.close()


def test_the_simulation_reaches_the_cases_its_checks_are_for(
    template: Path, tmp_path: Path
) -> None:
    """A check that never meets its case proves nothing: over a few seeds, codes are redeemed at
    two tills, a shared card is overspent, and a voided code is redeemed again."""
    kinds: Counter[str] = Counter()
    rescanned = 0
    for seed in range(10):
        sim = Simulation(seed, template, tmp_path / str(seed))
        try:
            sim.run()
            with sim.engine.connect() as conn:
                kinds.update(r.kind for r in conn.execute(select(conflicts)))
            rescanned += sim.rescanned
        finally:
            sim.close()
    assert kinds["double_redemption"] > 0 and kinds["overdraft"] > 0 and rescanned > 0, (
        kinds,
        rescanned,
    )
