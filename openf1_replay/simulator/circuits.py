"""The circuit catalogue the simulated calendars draw from (public geographic facts, in calendar order).

Only the places are real: lengths, time zones and names. Layouts are generated (see ``track.py``), so the
simulated outlines do not look like the real circuits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Circuit:
    circuit_key: int
    circuit_short_name: str
    location: str
    country_key: int
    country_code: str
    country_name: str
    meeting_name: str
    gmt_offset: str  # local time minus UTC, OpenF1 style ('03:00:00', '-04:00:00')
    circuit_type: str  # 'Permanent', 'Temporary - Street' or 'Temporary - Road'
    length_km: float
    air_temperature_c: float  # typical afternoon air temperature


PERMANENT, STREET, ROAD = "Permanent", "Temporary - Street", "Temporary - Road"

CIRCUITS: tuple[Circuit, ...] = (
    Circuit(63, "Sakhir", "Sakhir", 36, "BRN", "Bahrain", "Bahrain Grand Prix", "03:00:00", PERMANENT, 5.412, 24.0),
    Circuit(
        149, "Jeddah", "Jeddah", 153, "KSA", "Saudi Arabia", "Saudi Arabian Grand Prix", "03:00:00", STREET, 6.174, 27.0
    ),
    Circuit(
        10, "Melbourne", "Melbourne", 5, "AUS", "Australia", "Australian Grand Prix", "11:00:00", ROAD, 5.278, 19.0
    ),
    Circuit(46, "Suzuka", "Suzuka", 4, "JPN", "Japan", "Japanese Grand Prix", "09:00:00", PERMANENT, 5.807, 17.0),
    Circuit(49, "Shanghai", "Shanghai", 53, "CHN", "China", "Chinese Grand Prix", "08:00:00", PERMANENT, 5.451, 20.0),
    Circuit(151, "Miami", "Miami", 19, "USA", "United States", "Miami Grand Prix", "-04:00:00", ROAD, 5.412, 29.0),
    Circuit(6, "Imola", "Imola", 13, "ITA", "Italy", "Emilia Romagna Grand Prix", "02:00:00", PERMANENT, 4.909, 22.0),
    Circuit(22, "Monte Carlo", "Monaco", 114, "MON", "Monaco", "Monaco Grand Prix", "02:00:00", STREET, 3.337, 22.0),
    Circuit(23, "Montreal", "Montréal", 46, "CAN", "Canada", "Canadian Grand Prix", "-04:00:00", ROAD, 4.361, 21.0),
    Circuit(15, "Catalunya", "Barcelona", 1, "ESP", "Spain", "Spanish Grand Prix", "02:00:00", PERMANENT, 4.657, 26.0),
    Circuit(
        19, "Spielberg", "Spielberg", 17, "AUT", "Austria", "Austrian Grand Prix", "02:00:00", PERMANENT, 4.318, 23.0
    ),
    Circuit(
        2,
        "Silverstone",
        "Silverstone",
        2,
        "GBR",
        "Great Britain",
        "British Grand Prix",
        "01:00:00",
        PERMANENT,
        5.891,
        18.0,
    ),
    Circuit(
        4, "Hungaroring", "Budapest", 14, "HUN", "Hungary", "Hungarian Grand Prix", "02:00:00", PERMANENT, 4.381, 28.0
    ),
    Circuit(
        7,
        "Spa-Francorchamps",
        "Spa-Francorchamps",
        16,
        "BEL",
        "Belgium",
        "Belgian Grand Prix",
        "02:00:00",
        PERMANENT,
        7.004,
        17.0,
    ),
    Circuit(
        55, "Zandvoort", "Zandvoort", 133, "NED", "Netherlands", "Dutch Grand Prix", "02:00:00", PERMANENT, 4.259, 19.0
    ),
    Circuit(39, "Monza", "Monza", 13, "ITA", "Italy", "Italian Grand Prix", "02:00:00", PERMANENT, 5.793, 25.0),
    Circuit(144, "Baku", "Baku", 30, "AZE", "Azerbaijan", "Azerbaijan Grand Prix", "04:00:00", STREET, 6.003, 24.0),
    Circuit(
        61, "Singapore", "Marina Bay", 157, "SGP", "Singapore", "Singapore Grand Prix", "08:00:00", STREET, 4.940, 29.0
    ),
    Circuit(
        9,
        "Austin",
        "Austin",
        19,
        "USA",
        "United States",
        "United States Grand Prix",
        "-05:00:00",
        PERMANENT,
        5.513,
        25.0,
    ),
    Circuit(
        65,
        "Mexico City",
        "Mexico City",
        8,
        "MEX",
        "Mexico",
        "Mexico City Grand Prix",
        "-06:00:00",
        PERMANENT,
        4.304,
        21.0,
    ),
    Circuit(
        14, "Interlagos", "São Paulo", 10, "BRA", "Brazil", "São Paulo Grand Prix", "-03:00:00", PERMANENT, 4.309, 24.0
    ),
    Circuit(
        152,
        "Las Vegas",
        "Las Vegas",
        19,
        "USA",
        "United States",
        "Las Vegas Grand Prix",
        "-08:00:00",
        STREET,
        6.201,
        14.0,
    ),
    Circuit(150, "Lusail", "Lusail", 149, "QAT", "Qatar", "Qatar Grand Prix", "03:00:00", PERMANENT, 5.419, 27.0),
    Circuit(
        70,
        "Yas Marina Circuit",
        "Yas Island",
        21,
        "UAE",
        "United Arab Emirates",
        "Abu Dhabi Grand Prix",
        "04:00:00",
        PERMANENT,
        5.281,
        27.0,
    ),
)
