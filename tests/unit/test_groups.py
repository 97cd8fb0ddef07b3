"""Per-key conflicts and fills on key-sorted codes agree with a plain dictionary computation."""

from collections import defaultdict

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from curation.labels.groups import KeyOrder, codes

rows = st.lists(
    st.tuples(st.integers(0, 6), st.sampled_from([None, "Aus", "Bus", "Cus bus"])), max_size=40
)


def frame(pairs):
    return pl.DataFrame(pairs, schema={"key": pl.UInt32, "value": pl.String}, orient="row")


@given(rows)
def test_conflicts_are_the_keys_with_two_distinct_values(pairs):
    data = frame(pairs)
    seen: dict[int, set[str]] = defaultdict(set)
    for key, value in pairs:
        if value is not None:
            seen[key].add(value)
    expected = sorted(key for key, values in seen.items() if len(values) > 1)
    order = KeyOrder(data["key"])
    assert order.conflicts(codes(data["value"])).to_list() == expected
    assert order.conflicts(data["value"]).to_list() == expected  # strings compare the same way


@given(rows)
def test_fill_gives_each_null_its_keys_value(pairs):
    value_of: dict[int, str] = {}
    for key, value in pairs:
        if value is not None:
            value_of.setdefault(key, value)
    resolved = [(key, value_of.get(key) if value is not None else None) for key, value in pairs]
    data = frame(resolved)
    filled = KeyOrder(data["key"]).fill(data["value"])
    assert filled.to_list() == [value_of.get(key) for key, _ in resolved]


def test_fill_copies_only_from_sources():
    data = frame([(1, "Aus sp."), (1, None), (2, "Bus"), (2, None)])
    sources = data["value"].replace("Aus sp.", None)
    filled = KeyOrder(data["key"]).fill(data["value"], sources)
    assert filled.to_list() == ["Aus sp.", None, "Bus", "Bus"]
