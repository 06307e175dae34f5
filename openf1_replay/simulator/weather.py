"""Weather samples about once a minute, drifting slowly, with rain when the race plan says so."""

from __future__ import annotations

from typing import Any

import numpy as np

from openf1_replay.simulator.calendar import Session
from openf1_replay.simulator.circuits import Circuit
from openf1_replay.simulator.timefmt import iso

# circuits well above sea level (circuit_key -> typical pressure, mbar)
PRESSURE = {65: 780.0, 14: 925.0, 19: 930.0, 9: 995.0}


def weather_rows(
    rng: np.random.Generator,
    session: Session,
    circuit: Circuit,
    start_ms: int,
    end_ms: int,
    rain: list[tuple[int, int]],
) -> list[dict[str, Any]]:
    """Rows from ``start_ms`` to ``end_ms``; ``rainfall`` is 1 inside any of the ``rain`` windows."""
    count = max(1, (end_ms - start_ms) // 60_000 + 1)
    times = start_ms + np.arange(count) * 60_000 + rng.integers(0, 40, count)
    raining = np.array([any(a <= t <= b for a, b in rain) for t in times])
    air = (
        circuit.air_temperature_c
        + rng.normal(0, 1.5)
        + np.cumsum(rng.normal(0, 0.06, count))
        - 0.05 * np.cumsum(raining)
    )
    sun = rng.uniform(0.3, 1.0)
    track = air + 6 + 12 * sun + np.cumsum(rng.normal(0, 0.1, count)) - 0.3 * np.cumsum(raining)
    humidity = np.clip(rng.uniform(35, 70) + np.cumsum(rng.normal(0, 0.3, count)) + 1.2 * np.cumsum(raining), 10, 98)
    pressure = PRESSURE.get(circuit.circuit_key, 1013.0) + rng.normal(0, 4) + np.cumsum(rng.normal(0, 0.05, count))
    wind_direction = (rng.uniform(0, 360) + np.cumsum(rng.normal(0, 12, count))) % 360
    wind_speed = np.clip(rng.uniform(0.5, 3.5) + np.cumsum(rng.normal(0, 0.15, count)), 0, 12)
    return [
        {
            "date": iso(int(times[i])),
            "session_key": session.session_key,
            "humidity": round(float(humidity[i]), 1),
            "pressure": round(float(pressure[i]), 1),
            "rainfall": int(raining[i]),
            "track_temperature": round(float(track[i]), 1),
            "wind_speed": round(float(wind_speed[i]), 1),
            "meeting_key": session.meeting_key,
            "wind_direction": int(wind_direction[i]),
            "air_temperature": round(float(air[i]), 1),
        }
        for i in range(count)
    ]
