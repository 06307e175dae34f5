"""The report's SQL: selections from the ``marts`` schema only (filters, joins on keys, ordering).

Each function returns plain dicts, one per row, with the mart's column names. Neither the pages nor this SQL
compute anything: a value the report shows is a mart's column (the race's laps are dim_sessions.laps_run, the
leader's laps fct_race_lap_leaders, a virtual safety car message fct_race_control.is_virtual_safety_car, a
driver's latest team driver_standings.latest_team_name); what the report needs and no mart holds belongs in a
mart, not here.
"""

from __future__ import annotations

from typing import Any

import duckdb

Row = dict[str, Any]


class Marts:
    """A read-only connection to the warehouse, answering the report's questions."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self._grouped: dict[tuple[str, str], dict[Any, list[Row]]] = {}
        self._columns: set[tuple[str, str, str]] | None = None

    def rows(self, sql: str, *parameters: object) -> list[Row]:
        cursor = self.connection.execute(sql, list(parameters))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def grouped(self, key: str, sql: str) -> dict[Any, list[Row]]:
        """The rows of ``sql`` (every session or season at once), grouped by the column ``key`` in their order.

        A site renders dozens of pages from the same marts: one query per mart for the whole site, run the first
        time a page asks and kept, costs a fraction of one query per page (a query's fixed cost dominates)."""
        found = self._grouped.get((key, sql))
        if found is None:
            found = {}
            for row in self.rows(sql):
                found.setdefault(row[key], []).append(row)
            self._grouped[(key, sql)] = found
        return found

    def per_session(self, session_key: int, sql: str) -> list[Row]:
        """The rows of ``sql`` (it selects session_key, for every session) that belong to one session: copies,
        which a page builder may add keys to (colours, links) without changing what the next caller gets."""
        return [dict(row) for row in self.grouped("session_key", sql).get(session_key, [])]

    def has_column(self, table: str, column: str, schema: str = "marts") -> bool:
        if self._columns is None:
            rows = self.rows("select table_schema, table_name, column_name from information_schema.columns")
            self._columns = {(row["table_schema"], row["table_name"], row["column_name"]) for row in rows}
        return (schema, table, column) in self._columns

    # ---- index ------------------------------------------------------------------------------------------------
    def race_sessions(self) -> list[Row]:
        """Grand Prix and sprint sessions that have a classification, in season and round order."""
        return self.rows(
            """
            select
                meetings.season,
                meetings.round_number,
                meetings.meeting_key,
                meetings.meeting_name,
                meetings.meeting_official_name,
                meetings.country_name,
                meetings.circuit_short_name,
                meetings.location_name,
                sessions.session_key,
                sessions.session_name,
                sessions.session_kind,
                sessions.started_at,
                sessions.utc_offset,
                sessions.is_result_provisional
            from marts.dim_sessions as sessions
            inner join marts.dim_meetings as meetings
                on sessions.meeting_key = meetings.meeting_key
            where
                sessions.session_kind in ('race', 'sprint')
                and meetings.round_number is not null
                and not coalesce(sessions.is_cancelled, false)
                and sessions.session_key in (select results.session_key from marts.fct_session_results as results)
            order by meetings.season, meetings.round_number, sessions.started_at
            """
        )

    def winners(self) -> list[Row]:
        return self.rows(
            """
            select session_key, driver_code, full_name, team_name, season, driver_id
            from marts.fct_session_results
            where classified_position = 1 and session_kind in ('race', 'sprint')
            """
        )

    def team_colours(self) -> list[Row]:
        return self.rows("select season, team_name, team_colour_hex from marts.dim_teams")

    # ---- race report ------------------------------------------------------------------------------------------
    def classification(self, session_key: int) -> list[Row]:
        """The session's results; races and sprints carry their grid slot (fct_session_results.grid_position)."""
        return self.per_session(
            session_key,
            """
            select results.*
            from marts.fct_session_results as results
            order by
                results.session_key,
                results.classified_position nulls last,
                results.laps_completed desc nulls last,
                results.driver_number
            """,
        )

    def laps(self, session_key: int, with_gap: bool) -> list[Row]:
        gap = "gap_to_leader_s" if with_gap else "cast(null as double) as gap_to_leader_s"
        return self.per_session(
            session_key,
            f"""
            select
                session_key,
                driver_number,
                driver_code,
                lap_number,
                position_at_lap_end,
                lap_duration_s,
                is_clean_lap,
                compound,
                track_status,
                {gap}
            from marts.fct_laps
            where session_type = 'Race'
            order by session_key, driver_number, lap_number
            """,
        )

    def race_laps(self, session_key: int) -> int:
        """How many laps the race ran (dim_sessions.laps_run: the most any car completed, or the highest lap in
        fct_laps if more); 0 for a session the marts know no laps of (a race page's session always has some)."""
        rows = self.per_session(session_key, "select session_key, laps_run from marts.dim_sessions")
        return (rows[0]["laps_run"] or 0) if rows else 0

    def leader_laps(self, session_key: int) -> list[Row]:
        """The race leader's lap, one per lap (fct_race_lap_leaders): carries the track status."""
        return self.per_session(
            session_key,
            """
            select session_key, lap_number, track_status, leader_driver_code
            from marts.fct_race_lap_leaders
            order by session_key, lap_number
            """,
        )

    def stints(self, session_key: int) -> list[Row]:
        return self.per_session(
            session_key, "select * from marts.fct_stints order by session_key, driver_number, stint_number"
        )

    def pit_stops(self, session_key: int) -> list[Row]:
        return self.per_session(
            session_key,
            """
            select *
            from marts.fct_pit_stops
            order by session_key, pitted_at nulls last, lap_number, driver_number
            """,
        )

    def amendments(self, session_key: int) -> list[Row]:
        """Classification fields changed after the result was first published (marts.fct_classification_changes)."""
        if not self.has_column("fct_classification_changes", "field_name"):
            return []
        return self.per_session(
            session_key,
            """
            select *
            from marts.fct_classification_changes
            order by session_key, first_seen_at, driver_number, field_name
            """,
        )

    def race_control(self, session_key: int) -> list[Row]:
        """Flags (but blue and all-clear), safety cars and penalties: the messages that shape a race (a virtual
        safety car's are fct_race_control.is_virtual_safety_car)."""
        return self.per_session(
            session_key,
            """
            select *
            from marts.fct_race_control
            where
                category = 'SafetyCar'
                or (category = 'Flag' and coalesce(flag, '') not in ('BLUE', 'CLEAR'))
                or is_penalty
            order by session_key, recorded_at, race_control_message_id
            """,
        )

    def weather(self, session_key: int) -> list[Row]:
        return self.per_session(session_key, "select * from marts.fct_weather order by session_key, recorded_at")

    def undercuts(self, session_key: int) -> list[Row]:
        return self.per_session(
            session_key,
            """
            select
                undercuts.*,
                attackers.driver_code as attacking_driver_code,
                attackers.team_name as attacking_team_name,
                targets.driver_code as target_driver_code,
                targets.team_name as target_team_name,
                chances.undercut_chance as modelled_chance
            from marts.undercuts as undercuts
            left join marts.fct_session_results as attackers
                on
                    undercuts.session_key = attackers.session_key
                    and undercuts.attacking_driver_number = attackers.driver_number
            left join marts.fct_session_results as targets
                on
                    undercuts.session_key = targets.session_key
                    and undercuts.target_driver_number = targets.driver_number
            -- the model's chance a lap before the stop (fct_undercut_chances: pitting at the end of the next lap)
            left join marts.fct_undercut_chances as chances
                on
                    undercuts.session_key = chances.session_key
                    and undercuts.attacking_driver_number = chances.driver_number
                    and undercuts.attacking_stop_lap = chances.lap_number + 1
                    and undercuts.target_driver_number = chances.ahead_driver_number
            order by
                undercuts.session_key,
                undercuts.attempt_kind desc,
                undercuts.attacking_stop_lap,
                undercuts.attacking_position_before
            """,
        )

    def undercut_chances(self, session_key: int, limit: int = 10) -> list[Row]:
        """The race's best modelled undercut chances (fct_undercut_chances), highest first: the first ``limit``."""
        chances = self.per_session(
            session_key,
            """
            select
                chances.*,
                attackers.driver_code,
                attackers.team_name,
                targets.driver_code as ahead_driver_code,
                targets.team_name as ahead_team_name,
                attackers.driver_id,
                targets.driver_id as ahead_driver_id
            from marts.fct_undercut_chances as chances
            left join marts.fct_session_results as attackers
                on
                    chances.session_key = attackers.session_key
                    and chances.driver_number = attackers.driver_number
            left join marts.fct_session_results as targets
                on
                    chances.session_key = targets.session_key
                    and chances.ahead_driver_number = targets.driver_number
            where chances.undercut_chance is not null
            order by chances.session_key, chances.undercut_chance desc, chances.lap_number, chances.driver_number
            """,
        )
        return chances[:limit]

    # ---- race report: strategy (marts/strategy) -----------------------------------------------------------------
    def strategy_not_modelled(self, session_key: int) -> list[str]:
        """Why the strategy engine models this race for no driver (strategy_race_backtests.not_backtested_reason:
        'wet race', 'red flag', ...), one reason a line; [] when it prices at least one driver's strategy (the
        others then show their own reason)."""
        rows = self.per_session(
            session_key,
            """
            select distinct session_key, not_backtested_reason
            from marts.strategy_race_backtests
            where
                session_key not in (
                    select priced.session_key from marts.strategy_race_backtests as priced where priced.is_backtested
                )
            order by session_key, not_backtested_reason
            """,
        )
        return [row["not_backtested_reason"] for row in rows]

    def strategy_backtests(self, session_key: int) -> list[Row]:
        """The driven strategy against the model, one row per classified driver (strategy_race_backtests)."""
        return self.per_session(
            session_key,
            """
            select *
            from marts.strategy_race_backtests
            order by session_key, classified_position, driver_number
            """,
        )

    def strategy_options(self, session_key: int) -> list[Row]:
        """The model's best strategy per planning mode and stop count (strategy_optimal_strategies)."""
        return self.per_session(
            session_key,
            """
            select session_key, planning_mode, stops, strategy, strategy_time_s, time_vs_best_s, is_best
            from marts.strategy_optimal_strategies
            order by session_key, planning_mode desc, stops
            """,
        )

    def pit_loss_by_track_status(self, session_key: int) -> list[Row]:
        """The race's circuit and season in pit_loss_by_track_status, one row per status a stop can be made under
        (green, VSC, SC), a status without a stop there included (its columns null)."""
        return self.per_session(
            session_key,
            """
            select
                sessions.session_key,
                statuses.track_status,
                losses.stops,
                losses.median_pit_loss_s
            from (values (1, 'green'), (2, 'vsc'), (3, 'sc')) as statuses (ordinal, track_status)
            cross join marts.dim_sessions as sessions
            left join marts.pit_loss_by_track_status as losses
                on
                    sessions.circuit_key = losses.circuit_key
                    and sessions.season = losses.season
                    and statuses.track_status = losses.track_status
            where sessions.session_kind in ('race', 'sprint')
            order by sessions.session_key, statuses.ordinal
            """,
        )

    def tyre_models(self, session_key: int) -> list[Row]:
        """The race's tyre model, one row per dry compound (strategy_tyre_models), soft to hard."""
        return self.per_session(
            session_key,
            """
            select *
            from marts.strategy_tyre_models
            order by session_key, case compound when 'SOFT' then 1 when 'MEDIUM' then 2 else 3 end
            """,
        )

    def fuel_effect(self, session_key: int) -> Row | None:
        """The race's fuel effect, its source and reference compound (the same on every strategy_tyre_models row
        of the race)."""
        rows = self.per_session(
            session_key,
            """
            select distinct session_key, fuel_effect_s_per_lap, fuel_effect_source, fuel_stint_pairs, reference_compound
            from marts.strategy_tyre_models
            order by session_key
            """,
        )
        return rows[0] if rows else None

    # ---- season report ----------------------------------------------------------------------------------------
    def seasons(self) -> list[int]:
        rows = self.rows(
            "select distinct season from marts.driver_standings order by season desc",
        )
        return [row["season"] for row in rows]

    def rounds(self, season: int) -> list[Row]:
        return self.rows(
            """
            select round_number, meeting_name, country_code, country_name, race_session_key, sprint_session_key
            from marts.dim_meetings
            where season = ? and round_number is not null
            order by round_number
            """,
            season,
        )

    def driver_standings(self, season: int) -> list[Row]:
        return self.rows(
            "select * from marts.driver_standings where season = ? order by round, position, driver_code",
            season,
        )

    def final_driver_standings(self, season: int) -> list[Row]:
        """The standings after the season's latest round (driver_standings.is_latest_round), with the team each
        driver last raced for (latest_team_name)."""
        return self.rows(
            """
            select *
            from marts.driver_standings
            where season = ? and is_latest_round
            order by position, driver_code
            """,
            season,
        )

    def final_constructor_standings(self, season: int) -> list[Row]:
        """The constructors' standings after the season's latest round (constructor_standings.is_latest_round)."""
        return self.rows(
            """
            select *
            from marts.constructor_standings
            where season = ? and is_latest_round
            order by position, team_name
            """,
            season,
        )

    def constructor_standings(self, season: int) -> list[Row]:
        return self.rows(
            "select * from marts.constructor_standings where season = ? order by round, position, team_name",
            season,
        )

    def head_to_heads(self, season: int) -> list[Row]:
        """Teammate pairs as teammate_head_to_heads holds them, each pair from both sides."""
        return self.rows(
            """
            select *
            from marts.teammate_head_to_heads
            where season = ?
            order by team_name, driver_code, teammate_driver_code
            """,
            season,
        )

    def teammates(self, season: int) -> list[Row]:
        """Each team's drivers (from dim_teams.driver_ids) beside their season summary, in standings order."""
        return self.rows(
            """
            with team_drivers as (
                select
                    season,
                    team_name,
                    team_colour_hex,
                    trim(unnest(string_split(driver_ids, ','))) as driver_id
                from marts.dim_teams
                where season = ?
            )

            select
                team_drivers.team_name,
                team_drivers.team_colour_hex,
                teams.championship_position as team_championship_position,
                summaries.*
            from team_drivers
            inner join marts.driver_season_summary as summaries
                on
                    team_drivers.season = summaries.season
                    and team_drivers.driver_id = summaries.driver_id
            left join marts.team_performance as teams
                on
                    team_drivers.season = teams.season
                    and team_drivers.team_name = teams.team_name
            order by
                teams.championship_position nulls last,
                team_drivers.team_name,
                summaries.championship_position nulls last,
                summaries.driver_code
            """,
            season,
        )
