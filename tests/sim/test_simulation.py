"""The promise, checked over many seeds: nothing confirmed is lost, every double redemption has one
winner and a conflict its device knows, no false conflicts, balances add up, chains verify."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
