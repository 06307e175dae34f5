"""car_data and location at ~3.7 Hz, generated vectorised per (session, car) and formatted without json.

A car's session is cut into pieces: driving along the speed profile (flying or standing-start), driving
the pit lane at the 80 km/h limit, standing still (grid, pit box, after a retirement). Each piece knows
its start and end time and the distance it covers, so every sample's distance round the lap, speed, gear,
throttle/brake, DRS and x/y/z follow from the lap it belongs to: the mean speed over a lap is its length
over its duration, the car is slow in corners and braking before them, DRS opens in the zones only when
the car was within a second at the line (races) or on a push lap (practice, qualifying).

Rows are formatted with pyarrow string kernels from precomputed lookup tables (see timefmt.iso_column),
which is what makes a full-rate season take minutes instead of hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openf1_replay.simulator.laps import FIRST, GARAGE_OUT, IN_LAP, OUT_LAP
from openf1_replay.simulator.timefmt import iso_column
from openf1_replay.simulator.track import V_PIT, Track

PROFILE, STANDING, PIT_LANE, STILL = 0, 1, 2, 3
PIT_OFFSET_DM = 150.0  # the pit lane runs 15 m inside the track line
GRID_SLOT_M = 8.0
FORMATION_LEAVE_MS = 25_000  # after the scheduled start, the grid sets off on the formation lap
FORMATION_BACK_MS = 15_000  # back on the grid this long before lights out
COOL_DOWN_FACTOR = 1.6
AFTER_STOP_MS = 30_000
GEAR_FROM_KMH = np.array([85.0, 125.0, 160.0, 195.0, 230.0, 265.0, 295.0])  # upshift points into gears 2..8
DRS_OPEN, DRS_OPENING, DRS_CLOSING, DRS_ELIGIBLE, DRS_OFF = 12, 10, 14, 8, 0


@dataclass
class DriveTrace:
    """What telemetry needs to know about one car's session."""

    number: int
    lap_start_ms: np.ndarray
    lap_ms: np.ndarray
    kind: np.ndarray  # laps.GREEN / FIRST / IN_LAP / OUT_LAP / GARAGE_OUT
    drs_ok: np.ndarray  # per lap: DRS may open in the zones
    stop_s: dict[int, float] = field(default_factory=dict)  # lap index of an out-lap -> seconds stationary
    grid_slot: int | None = None  # races: grid slot (formation lap from the scheduled start, then the start)
    session_start_ms: int | None = None  # races: the scheduled start (cars wait on the grid, then the formation lap)
    cool_down: bool = False  # races: a slow lap after the chequered flag, then parked
    stop_ms: int | None = None  # retired: when it stopped on track
    stop_fraction: float = 0.0  # how far (in time) into the unfinished lap


class _Pieces:
    def __init__(self) -> None:
        self.rows: list[tuple[float, float, int, float, float, float, float, int, int]] = []

    def add(
        self, t0: float, t1: float, kind: int, p0: float, p1: float, s0: float, s1: float, lap: int, lane: int = 0
    ) -> float:
        """A piece from t0 to t1 (ms) covering profile distance p0..p1 and track distance s0..s1 (m)."""
        if t1 > t0:
            self.rows.append((t0, t1, kind, p0, p1, s0, s1, lap, lane))
        return t1

    def arrays(self) -> tuple[np.ndarray, ...]:
        data = np.array(self.rows, dtype=float).reshape(-1, 9)
        return tuple(data[:, i] for i in range(9))


class TelemetryBuilder:
    def __init__(
        self, track: Track, hz: float, meeting_key: int, session_key: int, anchor_ms: int, rng: np.random.Generator
    ) -> None:
        self.track, self.hz, self.anchor, self.rng = track, hz, anchor_ms, rng
        self.meeting_key, self.session_key = meeting_key, session_key
        t = track
        self.s_ext = np.append(t.s, t.length_m)
        self.profiles = {
            PROFILE: (t.tau, np.append(t.speed, t.speed[0])),
            STANDING: (t.tau_start, np.append(t.speed_start, t.speed[0])),
        }
        self.x_ext, self.y_ext, self.z_ext = (np.append(a, a[0]) for a in (t.x, t.y, t.z))
        self.nx_ext, self.ny_ext = np.append(t.nx, t.nx[0]), np.append(t.ny, t.ny[0])

    # ---- pieces -------------------------------------------------------------------------------------
    def _pieces(self, trace: DriveTrace) -> _Pieces:
        t, L = self.track, self.track.length_m
        pieces = _Pieces()
        d_in, d_out = t.pit_in_m, t.pit_out_m
        for i, (start, duration, kind) in enumerate(zip(trace.lap_start_ms, trace.lap_ms, trace.kind, strict=True)):
            t0, t1 = float(start), float(start + duration)
            if kind == FIRST:
                slot = -GRID_SLOT_M * ((trace.grid_slot or 1) - 1)
                if trace.grid_slot is not None and trace.session_start_ms is not None:
                    leave = float(trace.session_start_ms) + FORMATION_LEAVE_MS + 1000.0 * (trace.grid_slot - 1)
                    back = t0 - FORMATION_BACK_MS
                    pieces.add(float(trace.session_start_ms), leave, STILL, 0, 0, slot, slot, -1)
                    pieces.add(leave, back, PROFILE, 0, L, slot, slot + L, -1)
                    pieces.add(back, t0, STILL, 0, 0, slot, slot, -1)
                pieces.add(t0, t1, STANDING, 0, L, slot, L, i)
            elif kind == IN_LAP:
                cut = pieces.add(t0, t1 - d_in / V_PIT * 1000, PROFILE, 0, L - d_in, 0, L - d_in, i)
                pieces.add(cut, t1, PIT_LANE, 0, 0, L - d_in, L, i, lane=1)
            elif kind in (OUT_LAP, GARAGE_OUT):
                still = trace.stop_s.get(i, 0.0) * 1000 if kind == OUT_LAP else 0.0
                moving = pieces.add(t0, t0 + still, STILL, 0, 0, 0, 0, i, lane=1)
                exit_ms = pieces.add(moving, moving + d_out / V_PIT * 1000, PIT_LANE, 0, 0, 0, d_out, i, lane=1)
                pieces.add(exit_ms, t1, PROFILE, d_out, L, d_out, L, i)
            else:
                pieces.add(t0, t1, PROFILE, 0, L, 0, L, i)
        if trace.cool_down and trace.stop_ms is None and len(trace.lap_ms):
            end = float(trace.lap_start_ms[-1] + trace.lap_ms[-1])
            slow = end + COOL_DOWN_FACTOR * float(trace.lap_ms[-1])
            pieces.add(end, slow, PROFILE, 0, L, 0, L, -1)
            pieces.add(slow, slow + AFTER_STOP_MS, STILL, 0, 0, L, L, -1)
        if trace.stop_ms is not None:
            begin = (
                float(trace.lap_start_ms[-1] + trace.lap_ms[-1]) if len(trace.lap_ms) else float(trace.stop_ms) - 1.0
            )
            where = float(np.interp(trace.stop_fraction * t.lap_time, t.tau, self.s_ext))
            pieces.add(begin, float(trace.stop_ms), PROFILE, 0, where, 0, where, len(trace.lap_ms))
            pieces.add(
                float(trace.stop_ms), float(trace.stop_ms) + AFTER_STOP_MS, STILL, 0, 0, where, where, len(trace.lap_ms)
            )
        return pieces

    # ---- sampling -----------------------------------------------------------------------------------
    def samples(self, trace: DriveTrace) -> dict[str, np.ndarray] | None:
        pieces = self._pieces(trace)
        if not pieces.rows:
            return None
        t0, t1, kind, p0, p1, s0, s1, lap, lane = pieces.arrays()
        step = 1000.0 / self.hz
        first = int(np.ceil((t0[0] - self.anchor) / step))
        last = int(np.floor((t1[-1] - 1 - self.anchor) / step))
        if last < first:
            return None
        ms = self.anchor + np.floor(np.arange(first, last + 1) * step + 0.5)
        piece = np.clip(np.searchsorted(t0, ms, side="right") - 1, 0, len(t0) - 1)
        on_track = ms < t1[piece]  # between runs the car is in the garage: no samples
        ms, piece = ms[on_track], piece[on_track]
        if not len(ms):
            return None
        f = np.clip((ms - t0[piece]) / (t1[piece] - t0[piece]), 0.0, 1.0)
        k = kind[piece]
        n = len(ms)
        track = self.track
        distance = np.zeros(n)
        speed = np.zeros(n)
        throttle = np.zeros(n, dtype=np.int64)
        brake = np.zeros(n, dtype=np.int64)
        on_profile = np.zeros(n, dtype=bool)
        profile_at = np.zeros(n)
        for profile_kind, (tau, v) in self.profiles.items():
            m = k == profile_kind
            if not m.any():
                continue
            a, b = p0[piece[m]], p1[piece[m]]
            ta, tb = np.interp(a, self.s_ext, tau), np.interp(b, self.s_ext, tau)
            p = np.interp(ta + f[m] * (tb - ta), tau, self.s_ext)
            scale = (tb - ta) * 1000.0 / (t1[piece[m]] - t0[piece[m]])
            speed[m] = np.interp(p, self.s_ext, v) * scale
            span = np.where(b > a, b - a, 1.0)
            distance[m] = s0[piece[m]] + (s1[piece[m]] - s0[piece[m]]) * (p - a) / span
            grid_index = np.minimum((p / track.ds).astype(np.int64), len(track.s) - 1)
            slow = scale < 0.85
            throttle[m] = np.where(slow, np.minimum(track.throttle[grid_index], 55), track.throttle[grid_index])
            brake[m] = track.brake[grid_index]
            on_profile[m] = True
            profile_at[m] = p
        pit = k == PIT_LANE
        distance[pit] = s0[piece[pit]] + f[pit] * (s1[piece[pit]] - s0[piece[pit]])
        speed[pit] = V_PIT
        throttle[pit] = 22
        still = k == STILL
        distance[still] = s0[piece[still]]

        kmh = np.rint(speed * 3.6).astype(np.int64)
        gear = np.where(still, 0, 1 + np.searchsorted(GEAR_FROM_KMH, kmh, side="right"))
        low = np.concatenate([[0.0], GEAR_FROM_KMH])[np.maximum(gear - 1, 0)]
        high = np.concatenate([GEAR_FROM_KMH, [345.0]])[np.maximum(gear - 1, 0)]
        band = np.clip((kmh - low) / (high - low), 0.0, 1.0)
        rpm = np.where(gear <= 1, 4000 + 7000 * np.clip(kmh / 85.0, 0, 1), 10300 + 1700 * band)
        rpm = np.where(still, 4200, rpm) + self.rng.normal(0, 60, n)

        lap_of = lap[piece].astype(np.int64)
        ok = np.zeros(n, dtype=bool)
        within = (lap_of >= 0) & (lap_of < len(trace.drs_ok))
        ok[within] = trace.drs_ok[lap_of[within]]
        grid_index = np.minimum((profile_at / track.ds).astype(np.int64), len(track.s) - 1)
        open_ = on_profile & ok & track.drs_zone[grid_index]
        drs = np.where(open_, DRS_OPEN, np.where(on_profile & ok & track.drs_detect[grid_index], DRS_ELIGIBLE, DRS_OFF))
        opening = open_ & ~np.roll(open_, 1)
        closing = open_ & ~np.roll(open_, -1)
        drs = np.where(opening, DRS_OPENING, np.where(closing & ~opening, DRS_CLOSING, drs))

        wrapped = np.mod(distance, track.length_m) / track.ds
        i0 = np.minimum(wrapped.astype(np.int64), len(track.s) - 1)
        w = wrapped - i0
        offset = np.where(lane[piece] > 0, PIT_OFFSET_DM, 0.0)
        x = self.x_ext[i0] * (1 - w) + self.x_ext[i0 + 1] * w + offset * self.nx_ext[i0]
        y = self.y_ext[i0] * (1 - w) + self.y_ext[i0 + 1] * w + offset * self.ny_ext[i0]
        z = self.z_ext[i0] * (1 - w) + self.z_ext[i0 + 1] * w
        return {
            "ms": ms.astype(np.int64),
            "rpm": np.rint(rpm).astype(np.int64),
            "speed": kmh,
            "n_gear": gear.astype(np.int64),
            "throttle": throttle,
            "brake": brake,
            "drs": drs.astype(np.int64),
            "x": np.rint(x).astype(np.int64),
            "y": np.rint(y).astype(np.int64),
            "z": np.rint(z).astype(np.int64),
            "distance": distance,
        }

    # ---- formatting ---------------------------------------------------------------------------------
    def lines(self, trace: DriveTrace) -> CarLines | None:
        """One car's car_data and location lines (None if it never ran)."""
        sample = self.samples(trace)
        if sample is None:
            return None
        date = iso_column(sample["ms"])
        head = f'", "session_key": {self.session_key}, "meeting_key": {self.meeting_key}, '
        head += f'"driver_number": {trace.number}, '

        def text(name: str) -> pa.Array:
            return pc.cast(pa.array(sample[name]), pa.string())

        car = pc.binary_join_element_wise(
            '{"date": "', date, head + '"rpm": ', text("rpm"), ', "speed": ', text("speed"),
            ', "n_gear": ', text("n_gear"), ', "throttle": ', text("throttle"), ', "brake": ', text("brake"),
            ', "drs": ', text("drs"), "}\n", "",
        )  # fmt: skip
        where = pc.binary_join_element_wise(
            '{"date": "', date, head + '"z": ', text("z"), ', "x": ', text("x"), ', "y": ', text("y"), "}\n", ""
        )
        return CarLines(sample["ms"], car, where)


@dataclass
class CarLines:
    """A car's telemetry rows: sample times (ms) and the car_data and location JSON lines, one per sample."""

    ms: np.ndarray
    car: pa.Array
    where: pa.Array


# The sort keys (query_api/sort.py order) every car_data/location record has, by which OpenF1 orders them
ANSWER_ORDER = ("date", "meeting_key", "session_key", "driver_number")


def in_answer_order(cars: list[CarLines]) -> tuple[memoryview, memoryview, int]:
    """(car_data bytes, location bytes, rows) of a session's cars (given in car number order) in the order
    OpenF1 answers them: by time, then car number (a stable sort keeps the cars' order on a tie)."""
    if not cars:
        return memoryview(b""), memoryview(b""), 0
    order = pa.array(np.argsort(np.concatenate([c.ms for c in cars]), kind="stable"))
    car = pa.concat_arrays([c.car for c in cars]).take(order)
    where = pa.concat_arrays([c.where for c in cars]).take(order)
    return _payload(car), _payload(where), len(order)


def _payload(strings: pa.Array) -> memoryview:
    """The concatenated UTF-8 bytes of a string array (each value already ends in a newline)."""
    _, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)[strings.offset : strings.offset + len(strings) + 1]
    return memoryview(data)[int(bounds[0]) : int(bounds[-1])]
