"""Turning simulated laps into ``laps``, ``stints`` and ``pit`` records.

A lap arrives as its duration plus the time added to sector 1 (standing start, pit exit) and sector 3
(pit entry); the rest is split over the sectors in the track's own proportions (with a little noise), and
sector 3 takes the remainder so the three always add up to the lap to the millisecond. Speed traps read
the track's speed profile scaled to the lap's pace.

Quirks of real OpenF1 data reproduced here: lap 1 has null ``date_start``, ``lap_duration`` and
``duration_sector_1`` and a null first mini-sector; pit-lane segment code 2064 only outside races.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from openf1_replay.simulator.timefmt import iso
from openf1_replay.simulator.track import Track

# lap kinds
GREEN, FIRST, IN_LAP, OUT_LAP, GARAGE_OUT = 0, 1, 2, 3, 4
YELLOW_SEGMENT, GREEN_SEGMENT, PURPLE_SEGMENT, PIT_SEGMENT = 2048, 2049, 2051, 2064


class LapRows:
    """Builds the laps records of one session."""

    def __init__(
        self, track: Track, meeting_key: int, session_key: int, is_race: bool, rng: np.random.Generator
    ) -> None:
        self.track, self.meeting_key, self.session_key, self.is_race, self.rng = (
            track,
            meeting_key,
            session_key,
            is_race,
            rng,
        )
        self.fractions = np.array(track.sector_fractions())
        self.trap_speed = track.speed[list(track.trap_index)] * 3.6
        self.trap_speed_start = track.speed_start[list(track.trap_index)] * 3.6

    def rows(
        self,
        driver_number: int,
        lap_numbers: np.ndarray,
        start_ms: np.ndarray,
        duration_ms: np.ndarray,
        extra1_ms: np.ndarray,
        extra3_ms: np.ndarray,
        kind: np.ndarray,
        session_best_ms: int,
    ) -> list[dict[str, Any]]:
        n = len(duration_ms)
        if n == 0:
            return []
        rng = self.rng
        base = np.maximum(duration_ms - extra1_ms - extra3_ms, 1)
        wobble = 1 + rng.normal(0, 0.004, (n, 2))
        s1 = np.rint(base * self.fractions[0] * wobble[:, 0]).astype(np.int64) + extra1_ms
        s2 = np.rint(base * self.fractions[1] * wobble[:, 1]).astype(np.int64)
        s3 = duration_ms - s1 - s2
        scale = self.track.lap_time * 1000 / base
        traps = np.where((kind == FIRST)[:, None], self.trap_speed_start, self.trap_speed) * scale[:, None]
        traps = np.rint(traps + rng.normal(0, 2.0, (n, 3))).astype(int)
        best_so_far = np.minimum.accumulate(np.where(kind == GREEN, duration_ms, np.iinfo(np.int64).max))
        personal = (kind == GREEN) & (duration_ms <= best_so_far)
        overall = (kind == GREEN) & (duration_ms <= session_best_ms * 1.002)
        p_purple = np.where(overall, 0.3, 0.01)[:, None]
        p_green = np.where(personal, 0.55, 0.12)[:, None]
        counts = self.track.segments
        draw = rng.random((n, sum(counts)))
        colour = np.where(draw < p_purple + p_green, GREEN_SEGMENT, YELLOW_SEGMENT)
        codes = np.where(draw < p_purple, PURPLE_SEGMENT, colour)
        if not self.is_race:  # pit-lane mini-sectors: leaving the garage, coming back in
            column = np.arange(codes.shape[1])
            head = rng.integers(1, 3, n)[:, None]
            tail = codes.shape[1] - rng.integers(1, 3, n)[:, None]
            codes = np.where(np.isin(kind, (OUT_LAP, GARAGE_OUT))[:, None] & (column < head), PIT_SEGMENT, codes)
            codes = np.where((kind == IN_LAP)[:, None] & (column >= tail), PIT_SEGMENT, codes)
        table = codes.tolist()
        cut1, cut2 = counts[0], counts[0] + counts[1]
        numbers, starts = lap_numbers.tolist(), start_ms.tolist()
        s1_s, s2_s, s3_s, lap_s = (a / 1000 for a in (s1, s2, s3, duration_ms))
        s1_l, s2_l, s3_l, lap_l = s1_s.tolist(), s2_s.tolist(), s3_s.tolist(), lap_s.tolist()
        trap_l = traps.tolist()
        out_lap = np.isin(kind, (OUT_LAP, GARAGE_OUT)).tolist()
        rows = []
        for i in range(n):
            first = numbers[i] == 1
            segments = table[i]
            sector_1 = segments[:cut1]
            if first:
                sector_1[0] = None
            rows.append(
                {
                    "meeting_key": self.meeting_key,
                    "session_key": self.session_key,
                    "driver_number": driver_number,
                    "lap_number": numbers[i],
                    "date_start": None if first else iso(starts[i]),
                    "duration_sector_1": None if first else s1_l[i],
                    "duration_sector_2": s2_l[i],
                    "duration_sector_3": s3_l[i],
                    "i1_speed": trap_l[i][0],
                    "i2_speed": trap_l[i][1],
                    "is_pit_out_lap": out_lap[i],
                    "lap_duration": None if first else lap_l[i],
                    "segments_sector_1": sector_1,
                    "segments_sector_2": segments[cut1:cut2],
                    "segments_sector_3": segments[cut2:],
                    "st_speed": trap_l[i][2],
                }
            )
        return rows


def stint_row(
    meeting_key: int,
    session_key: int,
    driver_number: int,
    number: int,
    compound: str | None,
    lap_start: int,
    lap_end: int,
    age: int,
) -> dict[str, Any]:
    return {
        "meeting_key": meeting_key,
        "session_key": session_key,
        "stint_number": number,
        "driver_number": driver_number,
        "lap_start": lap_start,
        "lap_end": lap_end,
        "compound": compound,
        "tyre_age_at_start": age,
    }


def pit_row(
    meeting_key: int, session_key: int, driver_number: int, lap: int, date_ms: int, lane_s: float, stop_s: float | None
) -> dict[str, Any]:
    """A ``pit`` record: the deprecated ``pit_duration`` (= lane time) beside lane_duration / stop_duration."""
    return {
        "date": iso(date_ms),
        "session_key": session_key,
        "pit_duration": lane_s,
        "meeting_key": meeting_key,
        "driver_number": driver_number,
        "lap_number": lap,
        "lane_duration": lane_s,
        "stop_duration": stop_s,
    }
