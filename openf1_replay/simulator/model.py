"""The lap-time model: the ground truth every simulated lap is drawn from.

    lap_time = base_lap_time(circuit)            # zero fuel, new soft tyre, average driver and car
             + driver_pace + car_pace            # Entry.pace_s
             + compound_offset[compound]
             + degradation[compound] * tyre_age  # tyre_age = tyre_age_at_start + lap_number - lap_start
             + fuel_effect * fuel_laps_on_board  # in a race: laps still to run, so lap times fall by
                                                 # fuel_effect per lap completed
             + noise ~ Normal(0, noise_sd)

plus, only on laps that say so: lap-1 standing start, pit in/out laps, safety-car / VSC laps, wet track.
Degradation is linear in tyre age and the fuel effect is a constant per lap, so both are recoverable from
fuel-corrected green-flag laps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

DRY_COMPOUNDS = ("SOFT", "MEDIUM", "HARD")
WET_COMPOUNDS = ("INTERMEDIATE", "WET")
COMPOUNDS = DRY_COMPOUNDS + WET_COMPOUNDS
# how a strategy string names a compound ("M:1-18,H:19-57")
COMPOUND_INITIALS = {"SOFT": "S", "MEDIUM": "M", "HARD": "H", "INTERMEDIATE": "I", "WET": "W"}


@dataclass(frozen=True)
class LapModel:
    fuel_effect_s_per_lap: float
    noise_sd_s: float
    compound_offset_s: dict[str, float]
    degradation_s_per_lap: dict[str, float]
    sc_lap_factor: float  # safety-car lap time / base lap time
    vsc_lap_factor: float  # VSC lap time / green lap time
    standing_start_s: float  # extra time of lap 1 for the car on pole
    grid_slot_s: float  # extra lap-1 time per grid slot further back
    out_lap_cold_tyres_s: float

    def lap_time(
        self,
        base_s: float,
        pace_s: float | np.ndarray,
        compound: str | np.ndarray,
        tyre_age: float | np.ndarray,
        fuel_laps: float | np.ndarray,
        noise: float | np.ndarray,
    ) -> np.ndarray:
        comp = np.atleast_1d(np.asarray(compound, dtype=object))
        offset = np.array([self.compound_offset_s.get(c, 0.0) for c in comp])
        slope = np.array([self.degradation_s_per_lap.get(c, 0.0) for c in comp])
        return base_s + pace_s + offset + slope * tyre_age + self.fuel_effect_s_per_lap * fuel_laps + noise

    def truth(self) -> dict[str, Any]:
        return {
            "fuel_effect_s_per_lap": self.fuel_effect_s_per_lap,
            "noise_sd_s": self.noise_sd_s,
            "compound_offset_s": self.compound_offset_s,
            "compound_degradation_s_per_lap": self.degradation_s_per_lap,
            "sc_lap_factor": self.sc_lap_factor,
            "vsc_lap_factor": self.vsc_lap_factor,
            "standing_start_s": self.standing_start_s,
            "grid_slot_s": self.grid_slot_s,
            "out_lap_cold_tyres_s": self.out_lap_cold_tyres_s,
        }


def build_model(rng: np.random.Generator) -> LapModel:
    def r3(value: float) -> float:
        return round(float(value), 4)

    return LapModel(
        fuel_effect_s_per_lap=r3(rng.uniform(0.05, 0.07)),
        noise_sd_s=0.2,
        compound_offset_s={
            "SOFT": 0.0,
            "MEDIUM": r3(rng.uniform(0.3, 0.5)),
            "HARD": r3(rng.uniform(0.65, 0.9)),
            "INTERMEDIATE": r3(rng.uniform(3.5, 4.5)),
            "WET": r3(rng.uniform(6.0, 7.0)),
        },
        degradation_s_per_lap={
            "SOFT": r3(rng.uniform(0.08, 0.11)),
            "MEDIUM": r3(rng.uniform(0.045, 0.065)),
            "HARD": r3(rng.uniform(0.02, 0.035)),
            "INTERMEDIATE": r3(rng.uniform(0.04, 0.06)),
            "WET": r3(rng.uniform(0.03, 0.04)),
        },
        sc_lap_factor=1.4,
        vsc_lap_factor=1.35,
        standing_start_s=3.0,
        grid_slot_s=0.12,
        out_lap_cold_tyres_s=0.8,
    )


def wet_penalty(wetness: np.ndarray | float, compound: np.ndarray | str) -> np.ndarray:
    """Seconds added on a wet track: the track itself, then the wrong tyre (dry on wet, inters on dry).

    Relative to the INTERMEDIATE compound's dry offset, so inters are faster than slicks above ~0.25 wetness.
    """
    w = np.asarray(wetness, dtype=float)
    comp = np.asarray(compound, dtype=object)
    on_wets = np.isin(comp, WET_COMPOUNDS)
    slick = 6.0 * w + 16.0 * np.clip(w - 0.1, 0.0, None)
    # inters carry their compound offset (~4 s) on a dry track; on a wet one that advantage returns
    wet_tyre = 6.0 * w - 4.0 * np.clip(w / 0.4, 0.0, 1.0)
    return np.where(on_wets, wet_tyre, slick)
