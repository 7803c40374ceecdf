"""ListenBatch: plays checked and grouped by spelling, in columns that pickle exactly."""

import pickle
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sidetrack.listening.records import ListenRecord, ListenSource, group_listens, listen_batches

T0 = datetime(2025, 6, 1, 20, 0, tzinfo=UTC)


def play(minutes: float, track: str = "Jóga", **extra: object) -> ListenRecord:
    return ListenRecord(
        "Björk",
        track,
        T0 + timedelta(minutes=minutes),
        ListenSource.LASTFM,
        album_title="Homogenic",
        **extra,  # type: ignore[arg-type]
    )


def test_plays_are_grouped_by_spelling_in_order() -> None:
    batch = group_listens(
        [play(0), play(5, track="Hunter"), play(10), play(15, track="Hunter", ms_played=1000)]
    )
    assert batch.received == 4
    assert batch.rejected == []
    assert [spelling[1] for spelling in batch.spellings] == ["Jóga", "Hunter"]
    assert batch.spelling == [0, 1, 0, 1]
    assert batch.start == [int((T0 + timedelta(minutes=m)).timestamp()) for m in (0, 5, 10, 15)]
    assert batch.ms_played == [None, None, None, 1000]
    assert batch.source == ["lastfm"] * 4


def test_bad_plays_are_rejected_by_their_index_and_the_rest_kept() -> None:
    future = ListenRecord("Björk", "Jóga", datetime(2999, 1, 1, tzinfo=UTC), ListenSource.LASTFM)
    batch = group_listens([play(0), play(1, track=" "), future, play(2, ms_played=-5), play(3)])
    assert batch.received == 5
    assert batch.rejected == [
        (1, "track_title is empty"),
        (2, "played_at is in the future"),
        (3, "ms_played is negative"),
    ]
    assert len(batch) == 2


def test_batches_split_the_plays_in_order() -> None:
    batches = list(listen_batches([play(minute) for minute in range(5)], 2))
    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert batches[2].start == [int((T0 + timedelta(minutes=4)).timestamp())]


@given(
    st.datetimes(min_value=datetime(2002, 10, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(list(ListenSource)),
    st.none() | st.integers(min_value=0, max_value=2**31 - 1),
    st.none() | st.text(max_size=20),
)
def test_a_play_crosses_a_pickle_exactly_to_the_second(
    played_at: datetime, source: ListenSource, ms_played: int | None, source_id: str | None
) -> None:
    played_at = played_at.replace(tzinfo=UTC)
    record = ListenRecord(
        "Björk", "Jóga", played_at, source, ms_played=ms_played, source_id=source_id
    )
    batch = pickle.loads(
        pickle.dumps(group_listens([record], now=datetime(2100, 1, 1, tzinfo=UTC)))
    )
    assert batch == group_listens([record], now=datetime(2100, 1, 1, tzinfo=UTC))
    # The start is the play's second, truncated: never a float timestamp's neighbour.
    start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=batch.start[0])
    assert start == played_at.replace(microsecond=0)
    assert (batch.ms_played, batch.source, batch.source_id) == (
        [ms_played],
        [source.value],
        [source_id],
    )
