"""The bulk writes' array literals: PostgreSQL reads back exactly the values sent."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server_stub.database.bulk import array_literal

TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))


@pytest.fixture(scope="module")
def pg(postgres_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        yield conn


@pytest.mark.postgres
@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=20))
def test_text_comes_back_as_sent(pg: psycopg.Connection, values: list[str]) -> None:
    # quotes, backslashes, commas, braces, blanks and the word NULL are ids like any other
    got = pg.execute("SELECT %s::text[]", [array_literal(values)]).fetchone()
    assert got is not None and got[0] == values


@pytest.mark.postgres
@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=20))
def test_whole_numbers_come_back_as_sent(pg: psycopg.Connection, values: list[int]) -> None:
    got = pg.execute("SELECT %s::bigint[]", [array_literal(values)]).fetchone()
    assert got is not None and got[0] == values


def test_other_values_go_as_a_list() -> None:
    assert array_literal([1.5, 2.0]) == [1.5, 2.0]
    assert array_literal([True, False]) == [True, False]
