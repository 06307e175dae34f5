"""A generated closed circuit and the speed profile a car drives around it.

The outline is a smoothed random star-shaped polygon scaled to the circuit's length. The speed profile is a
classic quasi-static lap simulation: a cornering limit from the curvature, then forward (traction) and
backward (braking) passes. Everything else that is "consistent with the lap" derives from it: the base lap
time, sector time fractions, speed traps, where the throttle and brake are applied, DRS zones, and where a
car is on the outline at any moment of a lap (``tau`` maps distance to the time into the lap).

Units: distances in metres along the lap (``s``), outline coordinates ``x``/``y``/``z`` in decimetres with an
arbitrary origin (OpenF1's location units behave like decimetres too), speeds in m/s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

V_TOP = 93.0  # m/s, about 335 km/h
V_PIT = 80.0 / 3.6  # pit-lane speed limit
STOP_NOMINAL_S = 2.4
GRID_POINT_M = 2.5


@dataclass(frozen=True)
class Track:
    length_m: float
    ds: float
    s: np.ndarray  # n grid distances (m) from the line
    x: np.ndarray  # decimetres
    y: np.ndarray
    z: np.ndarray
    nx: np.ndarray  # unit normal (pit lane drawn beside the main straight)
    ny: np.ndarray
    speed: np.ndarray  # flying-lap speed (m/s) at each grid point
    tau: np.ndarray  # n + 1 cumulative profile times (s); tau[-1] is the flying lap time
    speed_start: np.ndarray  # standing-start lap
    tau_start: np.ndarray
    throttle: np.ndarray  # int, 0-100
    brake: np.ndarray  # int, 0 or 100
    drs_zone: np.ndarray  # bool per grid point
    drs_detect: np.ndarray  # bool: the stretch before a zone where eligibility shows (code 8)
    corners_m: np.ndarray  # apex distances, in turn order
    sector_end_m: tuple[float, float]
    trap_index: tuple[int, int, int]  # i1, i2, speed trap
    segments: tuple[int, int, int]  # mini-sectors per sector
    marshal_sectors: int
    pit_lane_duration_s: float  # nominal pit-lane time including a 2.4 s stop
    pit_in_m: float  # pit-lane distance before the line
    pit_out_m: float  # pit-lane distance after the line

    @property
    def lap_time(self) -> float:
        return float(self.tau[-1])

    def time_at(self, distance_m: float | np.ndarray) -> float | np.ndarray:
        """Profile time from the line to ``distance_m`` on a flying lap."""
        grid = np.append(self.s, self.length_m)
        return np.interp(distance_m, grid, self.tau)

    def sector_fractions(self) -> tuple[float, float, float]:
        t1, t2 = (float(self.time_at(d)) for d in self.sector_end_m)
        return t1 / self.lap_time, (t2 - t1) / self.lap_time, 1.0 - t2 / self.lap_time

    @property
    def pit_in_racing_s(self) -> float:
        """Racing time over the stretch the pit lane replaces before the line."""
        return self.lap_time - float(self.time_at(self.length_m - self.pit_in_m))

    @property
    def pit_out_racing_s(self) -> float:
        return float(self.time_at(self.pit_out_m))

    @property
    def drs_zone_count(self) -> int:
        return len(_runs(self.drs_zone)) if self.drs_zone.any() else 0

    def turn_at(self, distance_m: float) -> int:
        """Number of the corner at or after ``distance_m`` (1-based, wraps to turn 1)."""
        after = np.nonzero(self.corners_m >= distance_m)[0]
        return int(after[0]) + 1 if after.size else 1


def _outline(rng: np.random.Generator, length_m: float) -> tuple[np.ndarray, np.ndarray]:
    count = int(rng.integers(14, 20))
    theta = np.sort((np.arange(count) + rng.uniform(-0.3, 0.3, count)) * 2 * np.pi / count)
    radius = rng.uniform(0.45, 1.0, count)
    px = np.append(radius * np.cos(theta), radius[0] * np.cos(theta[0]))
    py = np.append(radius * np.sin(theta), radius[0] * np.sin(theta[0]))
    along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(px), np.diff(py)))])
    dense = 4096
    u = np.linspace(0.0, along[-1], dense, endpoint=False)
    x, y = np.interp(u, along, px), np.interp(u, along, py)
    keep = np.abs(np.fft.fftfreq(dense, 1.0 / dense)) <= 28  # low-pass: corners with realistic radii
    x, y = np.fft.ifft(np.fft.fft(x) * keep).real, np.fft.ifft(np.fft.fft(y) * keep).real
    xc, yc = np.append(x, x[0]), np.append(y, y[0])
    along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(xc), np.diff(yc)))])
    scale = length_m / along[-1]
    n = round(length_m / GRID_POINT_M)
    s = np.arange(n) * (along[-1] / n)
    return np.interp(s, along, xc) * scale, np.interp(s, along, yc) * scale


def _curvature(x: np.ndarray, y: np.ndarray, ds: float) -> np.ndarray:
    dx = (np.roll(x, -1) - np.roll(x, 1)) / (2 * ds)
    dy = (np.roll(y, -1) - np.roll(y, 1)) / (2 * ds)
    ddx = (np.roll(x, -1) - 2 * x + np.roll(x, 1)) / ds**2
    ddy = (np.roll(y, -1) - 2 * y + np.roll(y, 1)) / ds**2
    kappa = np.abs(dx * ddy - dy * ddx) / np.maximum(dx * dx + dy * dy, 1e-12) ** 1.5
    padded = np.concatenate([kappa[-3:], kappa, kappa[:3]])
    return np.convolve(padded, np.ones(7) / 7, "valid")


def _cornering_limit(kappa: np.ndarray) -> np.ndarray:
    # lateral grip grows with downforce: v^2 * kappa <= 18 + 0.0035 v^2
    excess = kappa - 0.0035
    limit = np.where(excess > 1e-9, np.sqrt(18.0 / np.maximum(excess, 1e-9)), V_TOP)
    return np.minimum(limit, V_TOP)


def _traction(v: float) -> float:
    return 14.0 * (1.0 - v / V_TOP) + 0.5


def _flying_profile(limit: np.ndarray, ds: float) -> np.ndarray:
    v = limit.copy()
    n = len(v)
    for _ in range(2):  # twice round so the periodic boundary settles
        for i in range(n):
            prev = v[i - 1]
            v[i] = min(v[i], np.sqrt(prev * prev + 2 * _traction(prev) * ds))
        for i in range(n - 1, -1, -1):
            nxt = v[(i + 1) % n]
            v[i] = min(v[i], np.sqrt(nxt * nxt + 2 * 45.0 * ds))
    return v


def _standing_profile(flying: np.ndarray, ds: float) -> np.ndarray:
    v = flying.copy()
    v[0] = 0.0
    for i in range(1, len(v)):
        prev = v[i - 1]
        v[i] = min(v[i], np.sqrt(prev * prev + 2 * _traction(prev) * ds))
    return v


def _cumulative_time(v: np.ndarray, ds: float) -> np.ndarray:
    mean = np.maximum(0.5 * (v + np.roll(v, -1)), 1.0)
    return np.concatenate([[0.0], np.cumsum(ds / mean)])


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of circular runs of True in ``mask`` (start indices may be any grid point)."""
    n = len(mask)
    if mask.all():
        return [(0, n)]
    first_false = int(np.argmin(mask))
    rolled = np.roll(mask, -first_false)
    edges = np.diff(np.concatenate([[0], rolled.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    return [((int(a) + first_false) % n, int(b - a)) for a, b in zip(starts, ends, strict=True)]


def build_track(rng: np.random.Generator, length_km: float) -> Track:
    length_m = length_km * 1000.0
    x, y = _outline(rng, length_m)
    n = len(x)
    ds = length_m / n
    limit = _cornering_limit(_curvature(x, y, ds))
    flying = _flying_profile(limit, ds)

    # put the line 45% of the way down the longest full-throttle stretch: the main straight
    straights = sorted(_runs(flying >= 0.97 * limit), key=lambda run: -run[1])
    start, size = straights[0]
    shift = (start + int(0.45 * size)) % n
    x, y, limit, flying = (np.roll(a, -shift) for a in (x, y, limit, flying))
    s = np.arange(n) * ds
    tau = _cumulative_time(flying, ds)
    standing = _standing_profile(flying, ds)
    tau_start = _cumulative_time(standing, ds)

    accel = (np.roll(flying, -1) ** 2 - flying**2) / (2 * ds)
    brake = np.where(accel < -4.0, 100, 0).astype(np.int16)
    full = (accel > 1.0) | (flying >= 0.97 * limit) & (flying > 0.9 * V_TOP)
    partial = np.clip(30 + 70 * flying / V_TOP, 20, 95).astype(np.int16)
    throttle = np.where(brake > 0, 0, np.where(full, 100, partial)).astype(np.int16)

    drs_zone = np.zeros(n, dtype=bool)
    drs_detect = np.zeros(n, dtype=bool)
    flat_out = _runs((throttle == 100) & (brake == 0))
    by_length = sorted(flat_out, key=lambda run: -run[1])
    zones = by_length[:1] + [run for run in by_length[1 : 3 if length_km > 5.5 else 2] if run[1] * ds > 450]
    for first, size in zones:
        zone = (first + int(0.2 * size) + np.arange(int(0.75 * size))) % n
        drs_zone[zone] = True
        drs_detect[(zone[0] - np.arange(1, int(200 / ds) + 1)) % n] = True
    drs_detect &= ~drs_zone

    window = max(3, int(40 / ds))
    local_min = flying == np.array([flying[(np.arange(i - window, i + window + 1)) % n].min() for i in range(n)])
    apex = np.nonzero(local_min & (flying < 0.85 * V_TOP))[0]
    apex = apex[np.concatenate([[True], np.diff(apex) > window])] if apex.size else apex

    sector_end = (round(length_m * rng.uniform(0.28, 0.36), 1), round(length_m * rng.uniform(0.62, 0.70), 1))
    b1, b2 = int(sector_end[0] / ds), int(sector_end[1] / ds)
    trap = (int(np.argmax(flying[:b1])), b1 + int(np.argmax(flying[b1:b2])), int(np.argmax(flying)))

    tx, ty = np.gradient(x, ds), np.gradient(y, ds)
    norm = np.maximum(np.hypot(tx, ty), 1e-9)
    phase = rng.uniform(0, 2 * np.pi, 4)
    amplitude = rng.uniform(10, 120, 4) / np.arange(1, 5)
    z = rng.uniform(100, 600) + sum(
        a * np.cos(2 * np.pi * (k + 1) * s / length_m + p)
        for k, (a, p) in enumerate(zip(amplitude, phase, strict=True))
    )
    origin = rng.uniform(-3000, 3000, 2)

    lane_s = float(rng.uniform(18.0, 30.0))
    lane_driving_m = (lane_s - STOP_NOMINAL_S) * V_PIT
    return Track(
        length_m=length_m,
        ds=ds,
        s=s,
        x=x * 10 + origin[0],
        y=y * 10 + origin[1],
        z=z,
        nx=-ty / norm,
        ny=tx / norm,
        speed=flying,
        tau=tau,
        speed_start=standing,
        tau_start=tau_start,
        throttle=throttle,
        brake=brake,
        drs_zone=drs_zone,
        drs_detect=drs_detect,
        corners_m=s[apex],
        sector_end_m=sector_end,
        trap_index=trap,
        segments=tuple(int(k) for k in rng.integers(5, 11, 3)),
        marshal_sectors=max(12, len(apex) + int(rng.integers(2, 6))),
        pit_lane_duration_s=round(lane_s, 3),
        pit_in_m=0.4 * lane_driving_m,
        pit_out_m=0.6 * lane_driving_m,
    )
