"""Columns over N plans -> per-plan records: names, not positions, pair each value with its field."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from planning.rows import dict_rows, records, split_rows


@dataclass(frozen=True, slots=True)
class Pair:
    left: int
    right: str


def test_records_match_columns_to_fields_by_name():
    assert records(Pair, right=["a", "b"], left=[1, 2]) == [Pair(1, "a"), Pair(2, "b")]
    with pytest.raises(TypeError, match=r"missing \['right'\], unknown \['rigth'\]"):
        records(Pair, left=[1], rigth=["a"])
    with pytest.raises(ValueError):
        records(Pair, left=[1, 2], right=["a"])


def test_dict_rows_keep_the_order_given_and_split_rows_cut_per_plan():
    assert dict_rows(b=[1, 2], a=["x", "y"]) == [{"b": 1, "a": "x"}, {"b": 2, "a": "y"}]
    assert [list(d) for d in dict_rows(b=[1], a=[2])] == [["b", "a"]]
    with pytest.raises(ValueError):
        dict_rows(b=[1, 2], a=[1])
    assert split_rows([1, 2, 3], np.array([2, 0, 1])) == [[1, 2], [], [3]]
