"""The telemetry section of a session's page: its SELECTs on the telemetry marts and the section's context.

One query per mart for the whole site, grouped by session (fct_fastest_lap_telemetry, telemetry_lap_deltas,
telemetry_lap_comparisons, circuit_corners), each only selecting; arranging them for ``templates/_telemetry.html``
means picking colours and which rows each picture draws. The race page (``pages.race_context``) and the
qualifying page (``qualifying.context``) call :func:`section_context`.
"""

from __future__ import annotations

from typing import Any

import duckdb
from markupsafe import Markup

from reports import charts as charts_common
from reports import charts_telemetry as charts
from reports.queries import Marts, Row

NO_TELEMETRY = (
    "No car telemetry for this session: OpenF1 has no car data (speed, throttle, brake, gear) and no car "
    "positions (location) for it, so there are no speed traces or track maps."
)
LOCATION_ONLY = (
    "No car data for this session, only car positions (location): the track map is drawn from x/y without "
    "speed, distances along the lap come from the path, and corners cannot be numbered (they come from speed)."
)
MISSING_MARTS = "The telemetry marts (models/marts/telemetry) are not in this warehouse: build it again."
ALTERNATE_COLOUR = "#8a8a99"  # the second of two teammates on a two-colour picture


# ---- the SELECTs ---------------------------------------------------------------------------------------------
def has_marts(marts: Marts) -> bool:
    """Whether the warehouse holds the telemetry marts (the catalogue is read once per connection)."""
    return marts.has_column("circuit_corners", "corner_number")


def fastest_lap_samples(marts: Marts, session_key: int) -> list[Row]:
    """The samples of the session's three fastest laps, in lap rank and sample order."""
    return marts.per_session(
        session_key,
        """
        select
            session_key,
            season,
            session_kind,
            circuit_short_name,
            driver_number,
            driver_id,
            driver_code,
            team_name,
            lap_number,
            lap_duration_s,
            session_lap_rank,
            sample_index,
            distance_m,
            lap_distance_m,
            circuit_lap_length_m,
            mini_sector_number,
            speed_kph,
            throttle_pct,
            brake_pct,
            gear,
            x_position,
            y_position,
            distance_source
        from marts.fct_fastest_lap_telemetry
        where session_lap_rank <= 3
        order by session_key, session_lap_rank, sample_index
        """,
    )


def lap_deltas(marts: Marts, session_key: int) -> list[Row]:
    """The running delta of the pairs among the three fastest laps, along the common grid."""
    return marts.per_session(
        session_key,
        """
        select
            session_key,
            reference_driver_number,
            compared_driver_number,
            compared_driver_code,
            grid_index,
            distance_m,
            delta_s
        from marts.telemetry_lap_deltas
        where is_top_three_pair
        order by session_key, reference_driver_number, compared_driver_number, grid_index
        """,
    )


def teammate_deltas(marts: Marts, session_key: int) -> list[Row]:
    """The running delta of every pair of teammates (the slower lap against the faster), along the common grid."""
    return marts.per_session(
        session_key,
        """
        select
            session_key,
            reference_driver_number,
            compared_driver_number,
            grid_index,
            distance_m,
            delta_s
        from marts.telemetry_lap_deltas
        where is_teammate_pair
        order by session_key, reference_driver_number, compared_driver_number, grid_index
        """,
    )


def lap_comparisons(marts: Marts, session_key: int) -> list[Row]:
    """Every compared pair's mini-sectors (the three fastest laps with each other, and teammates)."""
    return marts.per_session(
        session_key,
        """
        select
            session_key,
            season,
            reference_driver_number,
            reference_driver_id,
            reference_driver_code,
            reference_team_name,
            reference_lap_number,
            reference_lap_duration_s,
            compared_driver_number,
            compared_driver_id,
            compared_driver_code,
            compared_team_name,
            compared_lap_number,
            compared_lap_duration_s,
            lap_time_difference_s,
            is_top_three_pair,
            is_teammate_pair,
            mini_sector_number,
            start_distance_m,
            end_distance_m,
            reference_time_s,
            compared_time_s,
            time_difference_s,
            faster_driver_number,
            reference_mini_sectors_won,
            compared_mini_sectors_won
        from marts.telemetry_lap_comparisons
        order by session_key, reference_lap_duration_s, reference_driver_number, compared_lap_duration_s,
            compared_driver_number, mini_sector_number
        """,
    )


def corners(marts: Marts, session_key: int) -> list[Row]:
    return marts.per_session(
        session_key,
        """
        select session_key, corner_number, driver_code, distance_m, speed_kph, gear, x_position, y_position
        from marts.circuit_corners
        order by session_key, corner_number
        """,
    )


# ---- arranging -----------------------------------------------------------------------------------------------
def _group(rows: list[Row], key: str) -> dict[Any, list[Row]]:
    grouped: dict[Any, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _driver_path(season: int, driver_id: str | None) -> str | None:
    from reports.pages import driver_path  # pages imports this module: imported when called

    return driver_path(season, driver_id)


def _lap_styles(laps: list[Row], colours: Any) -> dict[int, tuple[str, str | None]]:
    """driver_number -> (colour, dash): the team's colour; a teammate's second lap dashed and greyed."""
    styles: dict[int, tuple[str, str | None]] = {}
    seen: dict[str | None, int] = {}
    for lap in laps:
        index = seen.get(lap["team_name"], 0)
        seen[lap["team_name"]] = index + 1
        colour = colours.team(lap["season"], lap["team_name"])
        styles[lap["driver_number"]] = (colour, None) if index == 0 else (colour, "5 3")
    return styles


def _trace_chart(laps: list[Row], by_driver: dict[int, list[Row]], deltas: list[Row], styles: dict) -> Markup | None:
    if not laps or laps[0]["distance_source"] != "speed":
        return None
    traces = [
        charts.Trace(
            key=lap["driver_code"],
            label=f"{lap['driver_code']} lap {lap['lap_number']}",
            colour=styles[lap["driver_number"]][0],
            dash=styles[lap["driver_number"]][1],
            samples=[
                charts.TraceSample(s["distance_m"], s["speed_kph"], s["throttle_pct"], s["brake_pct"], s["gear"])
                for s in by_driver[lap["driver_number"]]
            ],
        )
        for lap in laps
        if lap["distance_source"] == "speed"
    ]
    reference = laps[0]
    lines = [
        charts.DeltaLine(
            key=rows[0]["compared_driver_code"],
            label=rows[0]["compared_driver_code"],
            colour=styles[compared][0],
            dash=styles[compared][1],
            points=[(row["distance_m"], row["delta_s"]) for row in rows],
        )
        for (ref, compared), rows in _pairs(deltas).items()
        if ref == reference["driver_number"] and compared in styles
    ]
    return charts.trace_chart(traces, lines, reference["driver_code"])


def _pairs(rows: list[Row]) -> dict[tuple[int, int], list[Row]]:
    pairs: dict[tuple[int, int], list[Row]] = {}
    for row in rows:
        pairs.setdefault((row["reference_driver_number"], row["compared_driver_number"]), []).append(row)
    return pairs


def _corner_marks(corner_rows: list[Row]) -> list[charts.Corner]:
    return [
        charts.Corner(
            row["corner_number"],
            row["x_position"],
            row["y_position"],
            f"Corner {row['corner_number']}: {row['speed_kph']} km/h in gear {row['gear']} "
            f"({row['driver_code']}'s fastest lap, {row['distance_m']:.0f} m)",
        )
        for row in corner_rows
        if row["x_position"] is not None
    ]


def _dominance_map(
    pair: list[Row], reference_samples: list[Row], corner_rows: list[Row], colours: Any
) -> tuple[Markup | None, list[tuple[str, str]]]:
    """The reference lap's x/y, each mini-sector in the colour of the driver faster through it."""
    first = pair[0]
    reference_colour = colours.team(first["season"], first["reference_team_name"])
    compared_colour = colours.team(first["season"], first["compared_team_name"])
    if compared_colour == reference_colour:
        compared_colour = ALTERNATE_COLOUR
    by_sector = _group([s for s in reference_samples if s["x_position"] is not None], "mini_sector_number")
    segments = []
    ordered = sorted(by_sector)
    for position, number in enumerate(ordered):
        comparison = next((row for row in pair if row["mini_sector_number"] == number), None)
        if comparison is None:
            continue
        points = [(s["x_position"], s["y_position"]) for s in by_sector[number]]
        following = by_sector[ordered[(position + 1) % len(ordered)]]
        points.append((following[0]["x_position"], following[0]["y_position"]))  # joined to the next stretch
        faster_is_reference = comparison["faster_driver_number"] == first["reference_driver_number"]
        faster = first["reference_driver_code"] if faster_is_reference else first["compared_driver_code"]
        segments.append(
            charts.MapSegment(
                key=str(number),
                colour=reference_colour if faster_is_reference else compared_colour,
                points=points,
                description=(
                    f"Mini-sector {number}: {faster} faster, {first['reference_driver_code']} "
                    f"{comparison['reference_time_s']:.3f} s, {first['compared_driver_code']} "
                    f"{comparison['compared_time_s']:.3f} s"
                ),
                values=faster,
            )
        )
    if not segments:
        return None, []
    legend = [
        (f"{first['reference_driver_code']} faster", reference_colour),
        (f"{first['compared_driver_code']} faster", compared_colour),
    ]
    label_text = (
        f"Track dominance: {first['reference_driver_code']} against {first['compared_driver_code']}, "
        "each mini-sector in the colour of the driver faster through it"
    )
    return charts.track_map(segments, _corner_marks(corner_rows), label_text, "telemetry-dominance", legend), legend


def _speed_map(samples: list[Row], corner_rows: list[Row]) -> Markup | None:
    """One lap (the session's fastest) coloured by speed, or plain where there is no speed."""
    located = [s for s in samples if s["x_position"] is not None]
    if not located:
        return None
    first = located[0]
    if first["distance_source"] != "speed":
        segment = charts.MapSegment(
            key=first["driver_code"],
            colour=charts.NO_SPEED_COLOUR,
            points=[(s["x_position"], s["y_position"]) for s in located] + [(first["x_position"], first["y_position"])],
            description=f"{first['driver_code']}'s fastest lap (lap {first['lap_number']}), from location x/y",
        )
        label_text = f"Track map: {first['driver_code']}'s fastest lap drawn from OpenF1's x/y (no speed data)"
        return charts.track_map([segment], [], label_text, "telemetry-speed-map")
    segments: list[charts.MapSegment] = []
    run: list[Row] = []
    for sample in [*located, located[0]]:
        if run and charts.speed_colour(sample["speed_kph"]) != charts.speed_colour(run[0]["speed_kph"]):
            segments.append(_speed_segment(run, sample))
            run = []
        run.append(sample)
    if len(run) > 1:
        segments.append(_speed_segment(run[:-1], run[-1]))
    label_text = f"Track map: {first['driver_code']}'s fastest lap (lap {first['lap_number']}) coloured by speed"
    return charts.track_map(
        segments, _corner_marks(corner_rows), label_text, "telemetry-speed-map", charts.speed_legend()
    )


def _speed_segment(run: list[Row], following: Row) -> charts.MapSegment:
    speeds = ",".join(f"{s['sample_index']}:{s['speed_kph']}" for s in run)
    return charts.MapSegment(
        key=str(run[0]["sample_index"]),
        colour=charts.speed_colour(run[0]["speed_kph"]),
        points=[(s["x_position"], s["y_position"]) for s in run] + [(following["x_position"], following["y_position"])],
        description=f"{run[0]['speed_kph']}–{run[-1]['speed_kph']} km/h from {run[0]['distance_m']:.0f} m",
        values=speeds,
    )


def section_context(marts: Marts | duckdb.DuckDBPyConnection, session_key: int, colours: Any) -> dict[str, Any]:
    """What ``_telemetry.html`` shows for one session (``colours``: ``pages.Colours``)."""
    if not isinstance(marts, Marts):
        marts = Marts(marts)
    if not has_marts(marts):
        return {"available": False, "notice": MISSING_MARTS}
    samples = fastest_lap_samples(marts, session_key)
    if not samples:
        return {"available": True, "has_samples": False, "notice": NO_TELEMETRY}
    by_driver = _group(samples, "driver_number")
    laps = [rows[0] for rows in by_driver.values()]
    styles = _lap_styles(laps, colours)
    comparisons = lap_comparisons(marts, session_key)
    pairs = _pairs(comparisons)
    corner_rows = corners(marts, session_key)
    reference = laps[0]
    lap_rows = []
    for lap in laps:
        versus = pairs.get((reference["driver_number"], lap["driver_number"]), [None])[0]
        lap_rows.append(
            {
                **lap,
                "colour": styles[lap["driver_number"]][0],
                "driver_path": _driver_path(lap["season"], lap["driver_id"]),
                "gap_s": versus["lap_time_difference_s"] if versus else None,
                "mini_sectors_won": versus["compared_mini_sectors_won"] if versus else None,
                "reference_mini_sectors_won": versus["reference_mini_sectors_won"] if versus else None,
            }
        )
    dominance, dominance_pair = None, None
    if len(laps) > 1 and (reference["driver_number"], laps[1]["driver_number"]) in pairs:
        pair = pairs[(reference["driver_number"], laps[1]["driver_number"])]
        dominance, _ = _dominance_map(pair, by_driver[reference["driver_number"]], corner_rows, colours)
        dominance_pair = pair[0]
    teammates = []
    for rows in pairs.values():
        first = rows[0]
        if not first["is_teammate_pair"]:
            continue
        colour = colours.team(first["season"], first["reference_team_name"])
        teammates.append(
            {
                **first,
                "colour": colour,
                "reference_driver_path": _driver_path(first["season"], first["reference_driver_id"]),
                "compared_driver_path": _driver_path(first["season"], first["compared_driver_id"]),
            }
        )
    location_only = reference["distance_source"] != "speed"
    deltas = _group(teammate_deltas(marts, session_key), "compared_driver_number")
    teammate_lines = [
        charts_common.Series(
            key=f"{pair['reference_driver_code']}-{pair['compared_driver_code']}",
            label=f"{pair['compared_driver_code']} vs {pair['reference_driver_code']}",
            colour=pair["colour"],
            points=[
                (row["distance_m"], row["delta_s"])
                for row in deltas.get(pair["compared_driver_number"], [])
                if row["reference_driver_number"] == pair["reference_driver_number"]
            ],
            description=f"{pair['compared_driver_code']} against {pair['reference_driver_code']}",
        )
        for pair in teammates
    ]
    teammate_chart = (
        charts_common.line_chart(
            teammate_lines,
            "telemetry-teammate-deltas",
            "Each pair of teammates: the slower lap's running time delta to the faster, along the lap",
            "Distance along the lap (m)",
            "Behind the teammate (s)",
        )
        if any(line.points for line in teammate_lines)
        else None
    )
    return {
        "available": True,
        "has_samples": True,
        "notice": LOCATION_ONLY if location_only else None,
        "location_only": location_only,
        "laps": lap_rows,
        "reference": reference,
        "trace_chart": _trace_chart(laps, by_driver, lap_deltas(marts, session_key), styles),
        "dominance_chart": dominance,
        "dominance_pair": dominance_pair,
        "speed_map": _speed_map(by_driver[reference["driver_number"]], corner_rows),
        "corners": corner_rows,
        "teammates": teammates,
        "teammate_delta_chart": teammate_chart,
    }
