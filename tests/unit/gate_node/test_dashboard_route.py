"""Finding recent scans by their time-ordered ids."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from gate_node.dashboard_route import scan_id_floor
from gate_node.timestamps import time_ordered_id

moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
)


@given(moments)
def test_scans_from_the_moment_on_are_above_the_floor_and_earlier_ones_below(
    moment: dt.datetime,
) -> None:
    floor = scan_id_floor(moment)
    assert time_ordered_id(moment) >= floor
    assert time_ordered_id(moment + dt.timedelta(minutes=5)) >= floor
    assert time_ordered_id(moment - dt.timedelta(milliseconds=1)) < floor
