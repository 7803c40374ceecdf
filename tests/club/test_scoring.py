"""The club's arithmetic, without a database: the ranked-poll tally and the ratings summary.

Each example is worked by hand in its comments; the property tests at the end check the rules
that must hold for any poll or any set of ratings.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidetrack.club.scoring import (
    HALF_STEPS,
    Candidate,
    Standing,
    Tally,
    summarize_ratings,
    tally_poll,
)

T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)


def candidates(count: int) -> list[Candidate]:
    """`count` nominations, nominated one minute apart in list order."""
    return [Candidate(uuid.uuid4(), T0 + timedelta(minutes=i)) for i in range(count)]


def ballot(voter: uuid.UUID, first: Candidate | None, second: Candidate | None = None):
    """One voter's votes as tally_poll takes them: (voter_id, nomination_id, rank)."""
    votes = []
    if first is not None:
        votes.append((voter, first.nomination_id, 1))
    if second is not None:
        votes.append((voter, second.nomination_id, 2))
    return votes


def standing_of(tally: Tally, candidate: Candidate) -> Standing:
    return next(s for s in tally.standings if s.nomination_id == candidate.nomination_id)


# --- tally_poll: worked examples -----------------------------------------------------------------


def test_clear_winner_worked_by_hand() -> None:
    a, b, c = candidates(3)
    voters = [uuid.uuid4() for _ in range(4)]
    votes = [
        *ballot(voters[0], a, b),
        *ballot(voters[1], a, c),
        *ballot(voters[2], b, a),
        *ballot(voters[3], c, b),
    ]
    # A: 2 firsts, 1 second → 2×2 + 1 = 5
    # B: 1 first, 2 seconds → 2×1 + 2 = 4
    # C: 1 first, 1 second  → 2×1 + 1 = 3
    tally = tally_poll([a, b, c], votes)

    assert [s.nomination_id for s in tally.standings] == [
        a.nomination_id,
        b.nomination_id,
        c.nomination_id,
    ]
    assert [(s.points, s.first_place_votes, s.second_place_votes) for s in tally.standings] == [
        (5, 2, 1),
        (4, 1, 2),
        (3, 1, 1),
    ]
    assert [s.position for s in tally.standings] == [1, 2, 3]
    assert tally.winner_nomination_id == a.nomination_id
    assert tally.tie is False
    assert tally.tied_nomination_ids == []
    assert tally.tie_break is None
    assert tally.voter_count == 4


def test_order_of_the_candidates_and_votes_given_does_not_matter() -> None:
    a, b, c = candidates(3)
    voter, other = uuid.uuid4(), uuid.uuid4()
    votes = [*ballot(voter, c, a), *ballot(other, c, b)]
    # C: 2 firsts → 4; A: 1 second → 1; B: 1 second → 1 (A and B tie; A is earlier).
    forward = tally_poll([a, b, c], votes)
    backward = tally_poll([c, b, a], list(reversed(votes)))

    assert forward == backward
    assert forward.winner_nomination_id == c.nomination_id
    assert [s.nomination_id for s in forward.standings] == [
        c.nomination_id,
        a.nomination_id,
        b.nomination_id,
    ]


def test_points_tie_decided_by_first_place_votes() -> None:
    a, b = candidates(2)  # A is nominated first, so nomination order would favour it
    voters = [uuid.uuid4() for _ in range(3)]
    votes = [
        *ballot(voters[0], b),
        (voters[1], a.nomination_id, 2),
        (voters[2], a.nomination_id, 2),
    ]
    # A: 0 firsts, 2 seconds → 0 + 2 = 2
    # B: 1 first,  0 seconds → 2 + 0 = 2
    # Points tie at 2; B has more first-place votes (1 > 0), so B wins outright.
    tally = tally_poll([a, b], votes)

    assert tally.winner_nomination_id == b.nomination_id
    assert tally.tie_break == "first_place_votes"
    assert tally.tie is False
    assert tally.tied_nomination_ids == []
    assert [s.position for s in tally.standings] == [1, 2]
    assert standing_of(tally, a).points == standing_of(tally, b).points == 2
    assert tally.voter_count == 3


def test_exact_tie_decided_by_earliest_nomination() -> None:
    b, a, c = candidates(3)  # B is nominated before A, which is before C
    voters = [uuid.uuid4() for _ in range(3)]
    votes = [
        *ballot(voters[0], a, b),
        *ballot(voters[1], b, a),
        (voters[2], c.nomination_id, 2),
    ]
    # A: 1 first, 1 second → 2 + 1 = 3
    # B: 1 first, 1 second → 2 + 1 = 3
    # C: 0 firsts, 1 second → 1
    # A and B tie on points (3) and first-place votes (1): B, nominated earlier, wins.
    tally = tally_poll([a, b, c], votes)

    assert tally.winner_nomination_id == b.nomination_id
    assert tally.tie is True
    assert tally.tied_nomination_ids == [b.nomination_id, a.nomination_id]
    assert tally.tie_break == "earliest_nomination"
    assert [(s.nomination_id, s.points, s.position) for s in tally.standings] == [
        (b.nomination_id, 3, 1),
        (a.nomination_id, 3, 1),
        (c.nomination_id, 1, 3),
    ]


def test_three_way_points_tie_where_first_place_votes_leave_two_tied() -> None:
    a, b, c = candidates(3)
    v = [uuid.uuid4() for _ in range(6)]
    votes = [
        *ballot(v[0], c),
        *ballot(v[1], c),  # C: 2 firsts → 4
        *ballot(v[2], b),
        *ballot(v[3], a, b),
        (v[4], b.nomination_id, 2),  # B: 1 first, 2 seconds → 2 + 2 = 4
        (v[5], a.nomination_id, 2),  # A: 1 first, 1 second → 2 + 1 = 3
    ]
    # B has 4 points with 1 first; C has 4 with 2 firsts: C wins on first-place votes.
    tally = tally_poll([a, b, c], votes)

    assert tally.winner_nomination_id == c.nomination_id
    assert tally.tie_break == "first_place_votes"
    assert [(s.nomination_id, s.points, s.position) for s in tally.standings] == [
        (c.nomination_id, 4, 1),
        (b.nomination_id, 4, 2),
        (a.nomination_id, 3, 3),
    ]


def test_tied_standings_share_a_position_and_the_next_one_skips() -> None:
    a, b, c, d, e = candidates(5)
    v = [uuid.uuid4() for _ in range(5)]
    votes = [
        *ballot(v[0], a, d),
        *ballot(v[1], a, e),  # A: 2 firsts → 4
        *ballot(v[2], b),  # B: 1 first → 2
        *ballot(v[3], c, e),  # C: 1 first → 2
        *ballot(v[4], d),  # D: 1 first + 1 second → 3;  E: 2 seconds → 2, but 0 firsts
    ]
    # Standings: A 4 (1st); D 3 (2nd); B 2/1 first and C 2/1 first share 3rd; E 2/0 firsts is 5th.
    tally = tally_poll([a, b, c, d, e], votes)

    assert [
        (s.nomination_id, s.points, s.first_place_votes, s.position) for s in tally.standings
    ] == [
        (a.nomination_id, 4, 2, 1),
        (d.nomination_id, 3, 1, 2),
        (b.nomination_id, 2, 1, 3),
        (c.nomination_id, 2, 1, 3),
        (e.nomination_id, 2, 0, 5),
    ]
    # A tie below the top is not "the" tie.
    assert tally.tie is False
    assert tally.tie_break is None


def test_voter_count_counts_people_not_votes() -> None:
    a, b = candidates(2)
    both, only_first, only_second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    votes = [
        *ballot(both, a, b),
        *ballot(only_first, b),
        (only_second, a.nomination_id, 2),
    ]
    tally = tally_poll([a, b], votes)

    assert tally.voter_count == 3
    # A: 1 first + 1 second = 3; B: 1 first + 1 second = 3 → exact tie, A earlier.
    assert tally.winner_nomination_id == a.nomination_id
    assert tally.tie is True


def test_votes_for_unknown_nominations_are_ignored_and_their_voters_not_counted() -> None:
    (a,) = candidates(1)
    stranger = uuid.uuid4()
    votes = [(stranger, uuid.uuid4(), 1), (uuid.uuid4(), a.nomination_id, 2)]
    tally = tally_poll([a], votes)

    assert tally.voter_count == 1
    assert [(s.points, s.first_place_votes, s.second_place_votes) for s in tally.standings] == [
        (1, 0, 1)
    ]


def test_empty_poll() -> None:
    tally = tally_poll([], [])

    assert tally == Tally(
        standings=[],
        winner_nomination_id=None,
        tie=False,
        tied_nomination_ids=[],
        tie_break=None,
        voter_count=0,
    )


def test_poll_without_votes_is_an_exact_tie_won_by_the_earliest_nomination() -> None:
    a, b, c = candidates(3)
    # Everyone has 0 points and 0 first-place votes.
    tally = tally_poll([c, a, b], [])

    assert tally.winner_nomination_id == a.nomination_id
    assert tally.tie is True
    assert tally.tied_nomination_ids == [a.nomination_id, b.nomination_id, c.nomination_id]
    assert tally.tie_break == "earliest_nomination"
    assert [s.position for s in tally.standings] == [1, 1, 1]
    assert tally.voter_count == 0


def test_single_nomination_without_votes_wins_without_a_tie() -> None:
    (a,) = candidates(1)
    tally = tally_poll([a], [])

    assert tally.winner_nomination_id == a.nomination_id
    assert tally.tie is False
    assert tally.tie_break is None


def test_votes_may_be_any_iterable() -> None:
    a, b = candidates(2)
    voter = uuid.uuid4()
    tally = tally_poll([a, b], iter(ballot(voter, b, a)))

    # B: 1 first → 2; A: 1 second → 1.
    assert tally.winner_nomination_id == b.nomination_id
    assert [s.points for s in tally.standings] == [2, 1]


# --- summarize_ratings ---------------------------------------------------------------------------


def test_histogram_has_every_half_step_even_when_empty() -> None:
    summary = summarize_ratings([])

    assert list(summary.histogram) == [
        "1.0",
        "1.5",
        "2.0",
        "2.5",
        "3.0",
        "3.5",
        "4.0",
        "4.5",
        "5.0",
    ]
    assert list(summary.histogram) == HALF_STEPS
    assert set(summary.histogram.values()) == {0}
    assert summary.average is None
    assert summary.median is None
    assert summary.count == 0


def test_odd_count_worked_by_hand() -> None:
    summary = summarize_ratings([4.5, 2.0, 4.0])
    # Sum 4.5 + 2.0 + 4.0 = 10.5; 10.5 / 3 = 3.5. Sorted 2.0, 4.0, 4.5: the median is 4.0.
    assert summary.average == 3.5
    assert summary.median == 4.0
    assert summary.count == 3
    assert summary.histogram["2.0"] == 1
    assert summary.histogram["4.0"] == 1
    assert summary.histogram["4.5"] == 1
    assert sum(summary.histogram.values()) == 3


def test_even_count_median_is_the_mean_of_the_middle_two() -> None:
    summary = summarize_ratings([5.0, 1.0, 3.0, 2.5])
    # Sorted 1.0, 2.5, 3.0, 5.0: median (2.5 + 3.0) / 2 = 2.75.
    # Sum 11.5; 11.5 / 4 = 2.875 → 2.88 (half up).
    assert summary.median == 2.75
    assert summary.average == 2.88


@pytest.mark.parametrize(
    ("values", "average"),
    [
        # 3.0 + 3.0 + 3.0 + 3.5 = 12.5; 12.5 / 4 = 3.125 → 3.13 (the float would round to 3.12).
        ([3.0, 3.0, 3.0, 3.5], 3.13),
        # 2.0 + 2.5 + 3.0 + 3.0 = 10.5; 10.5 / 4 = 2.625 → 2.63 (round-half-even gives 2.62).
        ([2.0, 2.5, 3.0, 3.0], 2.63),
        # 5.0 + 4.5 + 4.5 = 14.0; 14 / 3 = 4.666… → 4.67.
        ([5.0, 4.5, 4.5], 4.67),
        # 1.0 + 1.0 + 1.5 = 3.5; 3.5 / 3 = 1.1666… → 1.17.
        ([1.0, 1.0, 1.5], 1.17),
        # 4.0 + 4.0 + 4.5 = 12.5; 12.5 / 3 = 4.1666… → 4.17.
        ([4.0, 4.0, 4.5], 4.17),
        # 1.0 + 2.0 + 2.0 = 5.0; 5 / 3 = 1.666… → 1.67.
        ([1.0, 2.0, 2.0], 1.67),
        ([4.0], 4.0),
    ],
)
def test_average_rounds_half_up_to_two_decimals(values: list[float], average: float) -> None:
    assert summarize_ratings(values).average == average


def test_summary_takes_any_iterable_and_counts_repeats() -> None:
    summary = summarize_ratings(value for value in [3.5, 3.5, 3.5, 1.0])

    assert summary.count == 4
    assert summary.histogram["3.5"] == 3
    assert summary.histogram["1.0"] == 1
    # Sorted 1.0, 3.5, 3.5, 3.5: median (3.5 + 3.5) / 2 = 3.5; sum 11.5 / 4 = 2.875 → 2.88.
    assert summary.median == 3.5
    assert summary.average == 2.88


# --- properties ----------------------------------------------------------------------------------


Votes = list[tuple[uuid.UUID, uuid.UUID, int]]
Poll = tuple[list[Candidate], Votes]


@st.composite
def polls(draw: st.DrawFn) -> Poll:
    """A few nominations and ballots that follow the rules: ≤ one 1st and one 2nd, different."""
    count = draw(st.integers(min_value=1, max_value=6))
    offsets = draw(
        st.lists(
            st.integers(min_value=0, max_value=10_000), min_size=count, max_size=count, unique=True
        )
    )
    pool = [Candidate(uuid.uuid4(), T0 + timedelta(seconds=s)) for s in offsets]
    votes: Votes = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        voter = uuid.uuid4()
        picks = draw(
            st.lists(st.sampled_from(pool), max_size=2, unique_by=lambda c: c.nomination_id)
        )
        ranks = draw(st.sampled_from([[1, 2], [2, 1]]))
        votes += [
            (voter, pick.nomination_id, rank) for pick, rank in zip(picks, ranks, strict=False)
        ]
    return pool, votes


@given(polls())
def test_points_are_two_per_first_and_one_per_second(poll: Poll) -> None:
    pool, votes = poll
    tally = tally_poll(pool, votes)
    firsts = sum(1 for *_, rank in votes if rank == 1)
    seconds = sum(1 for *_, rank in votes if rank == 2)

    assert sum(s.points for s in tally.standings) == 2 * firsts + seconds
    for s in tally.standings:
        assert s.points == 2 * s.first_place_votes + s.second_place_votes
    assert {s.nomination_id for s in tally.standings} == {c.nomination_id for c in pool}
    assert tally.voter_count == len({voter for voter, *_ in votes})


@given(polls())
def test_winner_has_the_most_points_then_first_place_votes(poll: Poll) -> None:
    pool, votes = poll
    tally = tally_poll(pool, votes)
    winner = next(s for s in tally.standings if s.nomination_id == tally.winner_nomination_id)
    top_points = max(s.points for s in tally.standings)

    assert winner.points == top_points
    assert winner.first_place_votes == max(
        s.first_place_votes for s in tally.standings if s.points == top_points
    )
    strength = (winner.points, winner.first_place_votes)
    tied_ids = {
        s.nomination_id for s in tally.standings if (s.points, s.first_place_votes) == strength
    }
    tied = sorted((c for c in pool if c.nomination_id in tied_ids), key=lambda c: c.nominated_at)
    assert tally.tie == (len(tied) > 1)
    # The winner is the earliest nominated of those still tied.
    assert tied[0].nomination_id == tally.winner_nomination_id
    if tally.tie:
        assert tally.tied_nomination_ids == [c.nomination_id for c in tied]
        assert tally.tie_break == "earliest_nomination"
    else:
        assert tally.tied_nomination_ids == []
        same_points = [s for s in tally.standings if s.points == winner.points]
        assert tally.tie_break == ("first_place_votes" if len(same_points) > 1 else None)


@given(polls())
def test_positions_never_decrease_and_count_the_stronger(poll: Poll) -> None:
    pool, votes = poll
    tally = tally_poll(pool, votes)
    positions = [s.position for s in tally.standings]

    assert positions[0] == 1
    assert positions == sorted(positions)
    for s in tally.standings:
        stronger = [
            o
            for o in tally.standings
            if (o.points, o.first_place_votes) > (s.points, s.first_place_votes)
        ]
        assert s.position == len(stronger) + 1


half_steps = st.integers(min_value=2, max_value=10).map(lambda n: n / 2)


@given(st.lists(half_steps, max_size=40))
def test_histogram_counts_sum_to_count(values: list[float]) -> None:
    summary = summarize_ratings(values)

    assert list(summary.histogram) == HALF_STEPS
    assert sum(summary.histogram.values()) == summary.count == len(values)
    if values:
        assert summary.average is not None and summary.median is not None
        assert min(values) <= summary.average <= max(values)
        assert min(values) <= summary.median <= max(values)
        assert summary.average == round(summary.average, 2)


def test_an_exact_tie_of_nominations_made_in_one_instant_is_decided_the_same_in_any_order() -> None:
    # A coarse clock can give two nominations the same time; the tie-break must not then
    # depend on the order the database happens to return them in.
    a, b = (Candidate(uuid.uuid4(), T0) for _ in range(2))
    voter = uuid.uuid4()
    votes = [*ballot(voter, a), *ballot(uuid.uuid4(), b)]
    # A: 1 first → 2; B: 1 first → 2; an exact tie at the same instant.
    forward = tally_poll([a, b], votes)
    backward = tally_poll([b, a], list(reversed(votes)))
    assert forward == backward
    assert forward.tie is True
    assert forward.winner_nomination_id == min(a.nomination_id, b.nomination_id)
