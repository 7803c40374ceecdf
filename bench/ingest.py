"""Ingest and stats benchmark: our import and stats against the raw floor, on both databases.

    python bench/ingest.py [--plays N] [--runs R]

PostgreSQL comes from SIDETRACK_BENCH_POSTGRES_URL (a server where a throwaway database may be
created); without it that half is skipped, and says so. The last line on stdout is one JSON
object: per database plays_per_s, floor_plays_per_s, import_ratio, stats_ms, raw_sql_ms,
stats_ratio (for the slower of the year and all-time ranges) and peak_rss_mb.
"""

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write_history

OUTPUT = Path(__file__).resolve().parent / "output"
# The last calendar year of the generated history, and all of it.
YEAR = ("2025-01-01", "2025-12-31")
RAW_TOP_ARTISTS = """
    SELECT t.artist_name, count(*) AS plays
    FROM listen_events le JOIN tracks t ON t.id = le.track_id
    WHERE le.user_id = :user_id AND le.played_at >= :low AND le.played_at < :high
    GROUP BY t.artist_name ORDER BY plays DESC LIMIT 10
"""


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    server = make_url(os.environ["SIDETRACK_BENCH_POSTGRES_URL"])
    name = f"sidetrack_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def own_peak_rss_kb() -> int:
    """This process's peak resident memory since it started (VmHWM). Not getrusage's
    ru_maxrss: Linux carries that across exec, so a spawned process would report the peak of
    the process it was forked from (here, the benchmark after loading a million rows)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def import_in_child(url: str, archive: str, queue: Any) -> None:
    """Run in a fresh process, so peak memory is the import's own."""
    from sidetrack.connectors.child_reader import read_batches_in_child
    from sidetrack.core.db import make_engine, make_session_factory, transaction
    from sidetrack.core.migrations import upgrade
    from sidetrack.listening.records import ReadReport
    from sidetrack.listening.tasks import import_listens
    from sidetrack.users.service import create_user

    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        user_id = create_user(session, "bench", "Bench Listener").id
    report = ReadReport()
    started = time.perf_counter()
    result = import_listens(factory, user_id, read_batches_in_child([archive], report))
    seconds = time.perf_counter() - started
    engine.dispose()
    queue.put(
        {
            "user_id": str(user_id),
            "seconds": seconds,
            "read": report.read,
            "imported": result.inserted,
            "duplicates": result.duplicates,
            "skipped": report.skipped,
            # The import and its file-reading child at their peaks, as if at the same moment.
            "peak_rss_mb": (
                own_peak_rss_kb() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            )
            / 1024,
        }
    )


def timed(action: Callable[[], object], runs: int) -> float:
    """Median milliseconds of `runs` runs, after one warm-up."""
    action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def floor_seconds(url: str) -> tuple[float, int]:
    """The fastest raw way to put the same rows into an index-free copy, then index it."""
    engine = create_engine(url)
    columns = "user_id, played_at, track_id, source, source_id, ms_played, created_at"
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT {columns} FROM listen_events").all()
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                connection.exec_driver_sql(
                    "CREATE TABLE floor_listens (LIKE listen_events INCLUDING DEFAULTS)"
                )
                connection.commit()
                driver = connection.connection.driver_connection
                started = time.perf_counter()
                with driver.cursor() as cursor:
                    with cursor.copy(f"COPY floor_listens ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    # listen_events has its primary key and no other index or constraint.
                    cursor.execute(
                        "ALTER TABLE floor_listens ADD PRIMARY KEY (user_id, played_at, track_id)"
                    )
                driver.commit()
                return time.perf_counter() - started, len(rows)
        raw = engine.raw_connection()
        cursor = raw.cursor()
        cursor.execute(
            "CREATE TABLE floor_listens (user_id CHAR(32), played_at DATETIME, track_id CHAR(32), "
            "source VARCHAR(32), source_id VARCHAR(128), ms_played INTEGER, created_at DATETIME)"
        )
        raw.commit()
        started = time.perf_counter()
        cursor.executemany(
            f"INSERT INTO floor_listens ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
        cursor.execute(
            "CREATE UNIQUE INDEX floor_pk ON floor_listens (user_id, played_at, track_id)"
        )
        raw.commit()
        seconds = time.perf_counter() - started
        raw.close()
        return seconds, len(rows)
    finally:
        engine.dispose()


def measure_stats(url: str, user_id: str, runs: int) -> dict[str, dict[str, float]]:
    from fastapi.testclient import TestClient

    from sidetrack.app import create_app
    from sidetrack.core.config import get_settings
    from sidetrack.core.db import make_engine, make_session_factory

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # What autovacuum does after a big load; the raw query benefits from it equally.
            connection.exec_driver_sql("VACUUM ANALYZE")
    client = TestClient(create_app(get_settings(), make_session_factory(engine)))
    raw_engine = create_engine(url)
    # As the database stores them: SQLite keeps uuids as 32 hex digits, times as text.
    raw_user = user_id.replace("-", "") if engine.dialect.name == "sqlite" else user_id
    results = {}
    ranges = {
        "year": (f"?from={YEAR[0]}&to={YEAR[1]}", f"{YEAR[0]} 00:00:00", "2026-01-01 00:00:00"),
        "all_time": ("?range=all_time", "1970-01-01 00:00:00", "2100-01-01 00:00:00"),
    }
    for name, (query, low, high) in ranges.items():
        path = f"/api/users/{user_id}/stats{query}"
        response = client.get(path)
        assert response.status_code == 200, response.text
        stats_ms = timed(lambda path=path: client.get(path).raise_for_status(), runs)
        params = {"user_id": raw_user, "low": low, "high": high}
        with raw_engine.connect() as connection:
            statement = text(RAW_TOP_ARTISTS)
            assert connection.execute(statement, params).all(), "the raw query found no plays"
            raw_ms = timed(
                lambda c=connection, p=params: c.execute(text(RAW_TOP_ARTISTS), p).all(), runs
            )
        results[name] = {"stats_ms": stats_ms, "raw_sql_ms": raw_ms, "ratio": stats_ms / raw_ms}
    raw_engine.dispose()
    engine.dispose()
    return results


def bench(kind: str, archive: Path, runs: int) -> dict[str, Any]:
    with database(kind) as url:
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        child = context.Process(target=import_in_child, args=(url, str(archive), queue))
        child.start()
        outcome = queue.get()
        child.join()
        plays_per_s = outcome["imported"] / outcome["seconds"]
        floor_s, floor_rows = floor_seconds(url)
        assert floor_rows == outcome["imported"], (floor_rows, outcome["imported"])
        floor_per_s = floor_rows / floor_s
        ranges = measure_stats(url, outcome["user_id"], runs)
    slower = max(ranges.values(), key=lambda r: r["ratio"])
    print(
        f"{kind}: read {outcome['read']:,}, imported {outcome['imported']:,} in "
        f"{outcome['seconds']:.1f} s ({plays_per_s:,.0f}/s); floor {floor_per_s:,.0f}/s; "
        f"skipped {outcome['skipped']}; peak {outcome['peak_rss_mb']:.0f} MB"
    )
    for name, numbers in ranges.items():
        print(
            f"{kind}: stats {name}: {numbers['stats_ms']:.1f} ms vs raw SQL "
            f"{numbers['raw_sql_ms']:.1f} ms (ratio {numbers['ratio']:.2f})"
        )
    return {
        "plays": outcome["imported"],
        "plays_per_s": round(plays_per_s),
        "floor_plays_per_s": round(floor_per_s),
        "import_ratio": round(plays_per_s / floor_per_s, 3),
        "stats_ms": round(slower["stats_ms"], 1),
        "raw_sql_ms": round(slower["raw_sql_ms"], 1),
        "stats_ratio": round(slower["ratio"], 3),
        "stats_by_range": {k: {m: round(v, 2) for m, v in r.items()} for k, r in ranges.items()},
        "peak_rss_mb": round(outcome["peak_rss_mb"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plays", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per stats measurement")
    args = parser.parse_args()
    os.environ.setdefault("SIDETRACK_DATA_DIR", str(OUTPUT / "data"))
    started = time.perf_counter()
    archive = write_history(OUTPUT, args.plays)
    print(f"history: {archive} ({time.perf_counter() - started:.1f} s)")
    results: dict[str, Any] = {}
    if os.environ.get("SIDETRACK_BENCH_POSTGRES_URL"):
        results["postgresql"] = bench("postgresql", archive, args.runs)
    else:
        print("postgresql: skipped (set SIDETRACK_BENCH_POSTGRES_URL to include it)")
        results["postgresql"] = None
    results["sqlite"] = bench("sqlite", archive, args.runs)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
