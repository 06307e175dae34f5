"""The what-if as text for people: aligned columns, bold headings on a terminal only (plain text in a pipe)."""

from __future__ import annotations

from whatif.query import Car, WhatIf
from whatif.strategy import strategy_text

BOLD, OFF = "\033[1m", "\033[0m"


def clock(seconds: float) -> str:
    """5432.1234 -> '1:30:32.123'."""
    sign = "-" if seconds < 0 else ""
    millis = round(abs(seconds) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{sign}{hours}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def signed(seconds: float) -> str:
    """+3.456 s, -0.120 s, ±0.000 s."""
    value = round(seconds, 3)
    return "±0.000 s" if value == 0 else f"{value:+.3f} s"


def seconds(value: float) -> str:
    return f"{value:.3f} s"


def gap(time_s: float, winner_s: float) -> str:
    """'winner', or the seconds behind the winner."""
    return "winner" if time_s <= winner_s else f"+{time_s - winner_s:.3f} s"


def who(car: Car) -> str:
    return f"{car.driver_code} #{car.driver_number}"


def grid(rows: list[list[str]], right: set[int], indent: str = "  ") -> list[str]:
    """Rows as columns two spaces apart; the columns in ``right`` aligned right (numbers)."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            value.rjust(width) if column in right else value.ljust(width)
            for column, (value, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def render(result: WhatIf, notes: list[str], colour: bool = False) -> str:
    """The what-if for people: the race and driver, both strategies' model times, the asked one stint by stint,
    the implied race time and position beside the real ones, the race's best strategies, then any notes."""

    def heading(text: str) -> str:
        return f"{BOLD}{text}{OFF}" if colour else text

    race, car = result.race, result.car
    round_text = f"round {race.round_number}, " if race.round_number is not None else ""
    real_position = f"P{car.classified_position}" if car.classified_position is not None else "-"
    lines = [
        heading(
            f"What if: {race.season} {race.meeting_name or race.circuit} ({round_text}{race.circuit}),"
            f" session {race.session_key}, {race.laps} laps"
        ),
        f"Driver:  {car.driver_code} #{car.driver_number} {car.full_name} ({car.team_name}), really {real_position}",
        "",
        heading("The model's race time, knowing the race's real SC/VSC laps"),
    ]
    asked = strategy_text([price.stint for price in result.asked])
    lines += grid(
        [
            ["", "strategy", "stops", "tyres + stops", "model race time"],
            [
                "asked",
                asked,
                str(len(result.stops)),
                seconds(result.asked_strategy_time_s),
                clock(result.model_asked_s),
            ],
            [
                "driven",
                result.driven_strategy,
                str(result.driven_stops),
                seconds(result.driven_strategy_time_s),
                clock(result.model_driven_s),
            ],
            [
                "asked - driven",
                "",
                "",
                signed(result.asked_strategy_time_s - result.driven_strategy_time_s),
                signed(result.difference_s),
            ],
        ],
        right={2, 3, 4},
    )
    lines += ["", heading("The asked strategy, stint by stint (new tyres)")]
    rows = [["", "compound", "laps", "green laps", "cost"]]
    rows += [
        [
            f"stint {price.stint.text()}",
            price.stint.compound,
            str(price.stint.laps),
            str(price.green_laps),
            seconds(price.tyre_cost_s),
        ]
        for price in result.asked
    ]
    rows += [
        [f"stop after lap {stop.in_lap}", stop.track_status, "", "", seconds(stop.pit_loss_s)] for stop in result.stops
    ]
    lines += grid(rows, right={2, 3, 4})
    lines += [
        "  tyre cost: against new tyres of the reference compound, over the stint's green laps;",
        "  stop: the pit loss with that in-lap, under the lap's real status.",
    ]

    ahead, behind = result.neighbours()
    between = ", ".join(
        part
        for part in (
            f"behind {who(ahead)} {clock(ahead.race_time_s)}" if ahead else "",
            f"ahead of {who(behind)} {clock(behind.race_time_s)}" if behind else "",
        )
        if part
    )
    lines += ["", heading("The race")]
    lines += grid(
        [
            ["", "race time", "position", "to the winner", ""],
            [
                "really",
                clock(car.race_time_s),
                real_position,
                gap(car.race_time_s, result.winner_s(car.race_time_s)),
                f"driving {result.driven_strategy}",
            ],
            [
                "what-if",
                clock(result.implied_race_time_s),
                f"P{result.implied_position}",
                gap(result.implied_race_time_s, result.winner_s(result.implied_race_time_s)),
                f"{signed(result.difference_s)}: {between}",
            ],
        ],
        right={1, 2, 3},
    )
    lines += [
        "  what-if = the real race time + (asked - driven): the model's own error on the driven strategy"
        f" ({signed(result.backtest_error_s)}) cancels;",
        "  ranked against the other lead-lap finishers' real times; lapped cars stay behind.",
    ]

    if result.best:
        lines += [
            "",
            heading(f"The race's best strategies (marts.strategy_optimal_strategies), priced for {car.driver_code}"),
        ]
        rows = [["", "strategy", "stops", "model race time", "vs asked"]]
        for best in result.best:
            hindsight = best.planning_mode == "hindsight"
            known = best.race_time_s is not None
            rows.append(
                [
                    "hindsight (knowing SC/VSC)" if hindsight else "plan (every lap green)",
                    best.strategy,
                    str(best.stops),
                    clock(best.race_time_s) if known else "-",
                    signed(best.race_time_s - result.model_asked_s) if known and hindsight else "(no SC/VSC)",
                ]
            )
        lines += grid(rows, right={2, 3})
    for compound, first_lap, age in result.used_tyres:
        lines.append(
            f"note: the driven {compound} stint from lap {first_lap} began on tyres {age} laps old;"
            " the asked strategy is priced on new tyres"
        )
    lines += [f"note: {note}" for note in notes]
    return "\n".join(lines) + "\n"
