"""The live loop's bookkeeping, on hand-made records: what is kept, where the cursors stand, the session's phase."""

from __future__ import annotations

from datetime import datetime, timedelta

from live import session
from live.records import SessionRecords
from live.rest import RestFeed

KEY = 9999


def lap(driver: int, number: int, start: str | None, duration: float | None = None) -> dict:
    return {
        "meeting_key": 1,
        "session_key": KEY,
        "driver_number": driver,
        "lap_number": number,
        "date_start": start,
        "lap_duration": duration,
    }


def test_a_record_seen_twice_is_kept_once_and_a_newer_version_replaces_it() -> None:
    records = SessionRecords(KEY)
    assert records.merge("laps", [lap(1, 5, "2025-03-01T15:00:00+00:00")]) == 1
    assert records.merge("laps", [lap(1, 5, "2025-03-01T15:00:00+00:00")]) == 0  # the same again: nothing new
    assert records.merge("laps", [lap(1, 5, "2025-03-01T15:00:00+00:00", 91.5)]) == 1  # sectors filled in
    assert records.rows("laps") == [lap(1, 5, "2025-03-01T15:00:00+00:00", 91.5)]
    assert records.merge("laps", [lap(1, 5, "x", 1.0) | {"session_key": KEY + 1}]) == 0  # another session's


def test_take_changed_hands_over_the_whole_session_of_changed_endpoints_once() -> None:
    records = SessionRecords(KEY)
    records.merge("laps", [lap(1, 1, None), lap(2, 1, None)])
    records.merge("weather", [{"session_key": KEY, "meeting_key": 1, "date": "2025-03-01T15:00:00+00:00"}])
    first = records.take_changed()
    assert sorted(first) == ["laps", "weather"] and len(first["laps"]) == 2
    records.merge("laps", [lap(3, 1, None)])
    assert {name: len(rows) for name, rows in records.take_changed().items()} == {"laps": 3}
    assert records.take_changed() == {}


def test_mqtt_versions_replace_by_key_and_an_older_id_is_ignored() -> None:
    records = SessionRecords(KEY)
    message = {
        "session_key": KEY,
        "meeting_key": 1,
        "date": "2025-03-01T15:00:00+00:00",
        "category": "Flag",
        "flag": "YELLOW",
        "message": "YELLOW IN TRACK SECTOR 4",
        "_key": "k1",
        "_id": 10,
    }
    assert records.merge_message("race_control", message) == 1
    corrected = message | {"message": "YELLOW IN TRACK SECTOR 5", "_id": 12}
    assert records.merge_message("race_control", corrected) == 1
    assert [r["message"] for r in records.rows("race_control")] == ["YELLOW IN TRACK SECTOR 5"]
    late_old = message | {"_id": 11}  # an older version arriving after the newer one
    assert records.merge_message("race_control", late_old) == 0
    assert [r["message"] for r in records.rows("race_control")] == ["YELLOW IN TRACK SECTOR 5"]
    # the same record over REST (no _id/_key) is the same row, not a second one
    assert records.merge("race_control", [{k: v for k, v in corrected.items() if not k.startswith("_")}]) == 0


def test_cursors_overlap_and_a_retired_car_does_not_hold_the_laps_back() -> None:
    records = SessionRecords(KEY)
    feed = RestFeed(client=None, records=records, endpoints=())  # type: ignore[arg-type]
    assert feed.query("laps") == [("session_key", "=", KEY)]
    start = datetime.fromisoformat("2025-03-01T15:00:00+00:00")
    rows = [lap(1, n, (start + timedelta(seconds=90 * n)).isoformat()) for n in range(1, 31)]
    rows += [lap(2, n, (start + timedelta(seconds=92 * n)).isoformat()) for n in range(1, 29)]
    rows += [lap(3, n, (start + timedelta(seconds=90 * n)).isoformat()) for n in range(1, 4)]  # stopped on lap 3
    assert feed.seen is not None
    feed.seen.merge("laps", rows)
    assert feed.query("laps") == [("session_key", "=", KEY), ("lap_number", ">=", 27)]
    position = {"session_key": KEY, "meeting_key": 1, "driver_number": 1, "position": 1}
    feed.seen.merge("position", [position | {"date": "2025-03-01T15:10:00+00:00"}])
    assert feed.query("position") == [("session_key", "=", KEY), ("date", ">=", "2025-03-01T15:09:50+00:00")]
    for whole in ("stints", "pit", "race_control", "weather", "session_result"):
        assert feed.query(whole) == [("session_key", "=", KEY)]


def race_control(date: str, category: str, flag: str | None = None, message: str = "") -> dict:
    return {
        "session_key": KEY,
        "meeting_key": 1,
        "date": date,
        "category": category,
        "flag": flag,
        "scope": "Track" if category == "Flag" else None,
        "message": message or f"{category} {flag}",
    }


def test_the_phase_follows_session_status_not_the_clock() -> None:
    records = SessionRecords(KEY)
    now = datetime.fromisoformat("2025-03-01T15:00:00+00:00")
    assert session.phase(records, now) is session.Phase.WAITING
    records.merge(
        "race_control", [race_control("2025-03-01T14:00:00+00:00", "SessionStatus", message="SESSION STARTED")]
    )
    assert session.phase(records, now) is session.Phase.RUNNING  # started an hour "early": still running
    records.merge("race_control", [race_control("2025-03-01T15:05:00+00:00", "Flag", "RED")])
    assert session.phase(records, now) is session.Phase.RED_FLAG
    records.merge("race_control", [race_control("2025-03-01T15:35:00+00:00", "Flag", "GREEN")])
    assert session.phase(records, now) is session.Phase.RUNNING
    records.merge("race_control", [race_control("2025-03-01T16:40:00+00:00", "Flag", "CHEQUERED")])
    assert session.phase(records, now + timedelta(hours=5)) is session.Phase.RUNNING  # status rows decide
    records.merge(
        "race_control", [race_control("2025-03-01T16:45:00+00:00", "SessionStatus", message="SESSION FINISHED")]
    )
    assert session.phase(records, now) is session.Phase.FINISHED


def test_qualifying_ends_with_its_third_part_not_the_first() -> None:
    records = SessionRecords(KEY)
    qualifying = {"session_type": "Qualifying", "session_name": "Qualifying"}
    now = datetime.fromisoformat("2025-03-01T15:20:00+00:00")
    records.merge("laps", [lap(1, 5, "2025-03-01T15:10:00+00:00")])
    q1_over = race_control("2025-03-01T15:18:00+00:00", "SessionStatus", message="SESSION FINISHED")
    records.merge("race_control", [q1_over | {"qualifying_phase": 1}])
    assert session.phase(records, now, qualifying) is session.Phase.RUNNING
    assert session.phase(records, now) is session.Phase.FINISHED  # a race would be over
    q3_over = race_control("2025-03-01T15:58:00+00:00", "SessionStatus", message="SESSION FINISHED")
    records.merge("race_control", [q3_over | {"qualifying_phase": 3}])
    assert session.phase(records, now, qualifying) is session.Phase.FINISHED


def test_without_status_rows_the_chequered_flag_and_a_quiet_spell_end_it() -> None:
    records = SessionRecords(KEY)
    records.merge("laps", [lap(1, 57, "2025-03-01T16:38:00+00:00")])
    records.merge("race_control", [race_control("2025-03-01T16:40:00+00:00", "Flag", "CHEQUERED")])
    newest = datetime.fromisoformat("2025-03-01T16:40:00+00:00")
    assert session.phase(records, newest + timedelta(minutes=9)) is session.Phase.RUNNING
    assert session.phase(records, newest + session.QUIET_END) is session.Phase.FINISHED


def test_what_mqtt_brought_does_not_move_the_rest_cursors() -> None:
    """After a reconnect the backfill must ask from where REST stopped, not from the first message since."""
    records = SessionRecords(KEY)
    feed = RestFeed(client=None, records=records, endpoints=())  # type: ignore[arg-type]
    assert feed.seen is not None
    position = {"session_key": KEY, "meeting_key": 1, "driver_number": 1, "position": 1}
    feed.seen.merge("position", [position | {"date": "2025-03-01T15:10:00+00:00"}])
    records.merge("position", [position | {"date": "2025-03-01T15:10:00+00:00"}])
    records.merge_message("position", position | {"date": "2025-03-01T15:15:00+00:00", "_id": 5, "_key": "k"})
    assert feed.query("position") == [("session_key", "=", KEY), ("date", ">=", "2025-03-01T15:09:50+00:00")]
