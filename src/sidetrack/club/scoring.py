"""Pure club arithmetic: the ranked-poll tally and the ratings summary. No I/O."""

import statistics
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

POINTS = {1: 2, 2: 1}  # 1st choice = 2 points, 2nd = 1
HALF_STEPS = [f"{step / 2:.1f}" for step in range(2, 11)]  # "1.0" … "5.0"

TieBreak = Literal["first_place_votes", "earliest_nomination"]


@dataclass(frozen=True)
class Candidate:
    nomination_id: uuid.UUID
    nominated_at: datetime


@dataclass(frozen=True)
class Standing:
    nomination_id: uuid.UUID
    points: int
    first_place_votes: int
    second_place_votes: int
    position: int  # shared by nominations tied on points and first-place votes


@dataclass(frozen=True)
class Tally:
    standings: list[Standing]
    winner_nomination_id: uuid.UUID | None
    tie: bool  # the top is still tied after points and first-place votes
    tied_nomination_ids: list[uuid.UUID]
    tie_break: TieBreak | None  # what decided the winner, when points alone did not
    voter_count: int


def tally_poll(
    candidates: Sequence[Candidate], votes: Iterable[tuple[uuid.UUID, uuid.UUID, int]]
) -> Tally:
    """Rank nominations by points, then first-place votes; a remaining tie at the top goes to
    the earliest nomination. `votes` are (voter_id, nomination_id, rank)."""
    firsts = {candidate.nomination_id: 0 for candidate in candidates}
    seconds = dict(firsts)
    voters = set()
    for voter_id, nomination_id, rank in votes:
        if nomination_id not in firsts:
            continue
        voters.add(voter_id)
        (firsts if rank == 1 else seconds)[nomination_id] += 1

    def points(nomination_id: uuid.UUID) -> int:
        return POINTS[1] * firsts[nomination_id] + POINTS[2] * seconds[nomination_id]

    def strength(candidate: Candidate) -> tuple[int, int]:
        return points(candidate.nomination_id), firsts[candidate.nomination_id]

    # The nomination id last: two nominations of one instant (a coarse clock) still rank the
    # same way whatever order they come in, here and wherever else the week is tallied.
    ordered = sorted(
        candidates,
        key=lambda c: (-strength(c)[0], -strength(c)[1], c.nominated_at, c.nomination_id),
    )
    standings: list[Standing] = []
    for index, candidate in enumerate(ordered):
        tied_with_previous = index > 0 and strength(candidate) == strength(ordered[index - 1])
        position = standings[-1].position if tied_with_previous else index + 1
        standings.append(
            Standing(
                nomination_id=candidate.nomination_id,
                points=points(candidate.nomination_id),
                first_place_votes=firsts[candidate.nomination_id],
                second_place_votes=seconds[candidate.nomination_id],
                position=position,
            )
        )
    if not ordered:
        return Tally([], None, False, [], None, 0)

    top = [c for c in ordered if strength(c) == strength(ordered[0])]
    same_points = [c for c in ordered if strength(c)[0] == strength(ordered[0])[0]]
    tie_break: TieBreak | None = None
    if len(top) > 1:
        tie_break = "earliest_nomination"
    elif len(same_points) > 1:
        tie_break = "first_place_votes"
    return Tally(
        standings=standings,
        winner_nomination_id=ordered[0].nomination_id,
        tie=len(top) > 1,
        tied_nomination_ids=[c.nomination_id for c in top] if len(top) > 1 else [],
        tie_break=tie_break,
        voter_count=len(voters),
    )


@dataclass(frozen=True)
class RatingSummary:
    average: float | None
    median: float | None
    count: int
    histogram: dict[str, int]


def mean_half_up(total: float | Decimal | None, count: int) -> float | None:
    """A mean of ratings rounded to 2 decimals half-up, as a person would: 3.125 → 3.13.

    Sums of half steps are exact in a float, so going through Decimal loses nothing, while a
    float's round() would give 3.12.
    """
    if not count or total is None:
        return None
    mean = Decimal(str(total)) / count
    return float(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def summarize_ratings(values: Iterable[float]) -> RatingSummary:
    values = list(values)
    histogram = dict.fromkeys(HALF_STEPS, 0)
    for value in values:
        histogram[f"{value:.1f}"] += 1
    if not values:
        return RatingSummary(None, None, 0, histogram)
    return RatingSummary(
        average=mean_half_up(sum(values), len(values)),
        median=statistics.median(values),
        count=len(values),
        histogram=histogram,
    )
