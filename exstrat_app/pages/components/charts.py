"""History charts: the portfolio's value and net invested over time with a range
selector, a token's position value and average price over time, and the empty state shown
while the first history build runs. Stateless: they take the state's Vars.

The points are dicts of numeric strings (recharts scales them; `state/charts.py` builds
them); a hover shows every figure of the day, the ones not drawn included (lines without
a stroke still appear in the tooltip). Money lines take the state's `unit` (the euro sign
after the figure in euros, nothing in a USD quote).
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from exstrat_app.pages.components.phrases import Text
from exstrat_app.pages.components.text import T
from exstrat_app.pages.styles import AVERAGE_LINE, PRICE_LINE

# (value the state keeps, label): one month, three months, one year, everything.
RANGES = (("1M", T("1M")), ("3M", T("3M")), ("1Y", T("1Y")), ("All", T("All")))
VALUE_LINE = PRICE_LINE
INVESTED_LINE = AVERAGE_LINE
CHART_HEIGHT = 260
CHART_MARGIN = {"top": 10, "right": 10, "left": 0, "bottom": 0}


def range_selector(value: Var[str], on_change: object, chart_id: str) -> rx.Component:
    return rx.segmented_control.root(
        *[rx.segmented_control.item(label, value=r) for r, label in RANGES],
        value=value,
        on_change=on_change,
        size="1",
        aria_label=T("Range of the chart"),
        id=f"{chart_id}-range",
    )


def _axes(*, right: bool = False) -> list[rx.Component]:
    axes = [
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="day", min_tick_gap=24, tick_size=4),
        rx.recharts.y_axis(domain=["auto", "auto"], width=72, type_="number", y_axis_id="left"),
        rx.recharts.tooltip(),
        rx.recharts.legend(),
    ]
    if right:
        axes.append(rx.recharts.y_axis(domain=["auto", "auto"], width=72, type_="number",
                                       y_axis_id="right", orientation="right"))  # fmt: skip
    return axes


def value_history_chart(points: Var[list[dict[str, str]]],
                        unit: Var[str] | str = "") -> rx.Component:  # fmt: skip
    """The portfolio's value and net invested per day; realized, unrealized and income on
    hover."""
    return rx.recharts.line_chart(
        *_axes(),
        rx.recharts.line(data_key="value", name=T("Value"), stroke=VALUE_LINE, dot=False,
                         stroke_width=2, is_animation_active=False, y_axis_id="left",
                         unit=unit),
        rx.recharts.line(data_key="invested", name=T("Net invested"), stroke=INVESTED_LINE,
                         dot=False, stroke_width=2, stroke_dasharray="4 4",
                         is_animation_active=False, y_axis_id="left", unit=unit),
        *[rx.recharts.line(data_key=key, name=name, stroke="none", dot=False, active_dot=False,
                           is_animation_active=False, legend_type="none", y_axis_id="left",
                           unit=unit)
          for key, name in (("realized", T("Realized P&L")),
                            ("unrealized", T("Unrealized P&L")), ("income", T("Income")))],
        data=points,
        width="100%",
        height=CHART_HEIGHT,
        margin=CHART_MARGIN,
    )  # fmt: skip


def position_history_chart(points: Var[list[dict[str, str]]],
                           unit: Var[str] | str = "") -> rx.Component:  # fmt: skip
    """A token's position value (left axis) and its average buy price beside the day's close
    (right axis); the quantity on hover."""
    return rx.recharts.line_chart(
        *_axes(right=True),
        rx.recharts.line(data_key="value", name=T("Position value"), stroke=VALUE_LINE, dot=False,
                         stroke_width=2, is_animation_active=False, y_axis_id="left",
                         unit=unit),
        rx.recharts.line(data_key="avg", name=T("Average price"), stroke=INVESTED_LINE, dot=False,
                         stroke_width=2, stroke_dasharray="4 4", is_animation_active=False,
                         y_axis_id="right", connect_nulls=True, unit=unit),
        rx.recharts.line(data_key="quantity", name=T("Quantity"), stroke="none", dot=False,
                         active_dot=False, is_animation_active=False, legend_type="none",
                         y_axis_id="right"),
        data=points,
        width="100%",
        height=CHART_HEIGHT,
        margin=CHART_MARGIN,
    )  # fmt: skip


def history_building(progress: Var[str]) -> rx.Component:
    """While the first build (or a rebuild) of the history runs: how far it is."""
    return rx.vstack(
        rx.hstack(rx.spinner(size="2"), rx.text(T("Building your history from the first trade…"),
                                                size="2", color_scheme="gray"), align="center"),
        rx.progress(value=rx.Var(f"Number({progress!s})", _var_data=progress._get_all_var_data())
                    .to(int), max=100, width="100%", id="history-progress"),
        rx.text(T("{progress}% of the days so far; refresh to see more.", progress=progress),
                size="1", color_scheme="gray"),
        spacing="2",
        width="100%",
        padding_y="2em",
        id="history-building",
    )  # fmt: skip


def last_point_caption(last: Var[dict[str, str]], fields: tuple[tuple[str, Text], ...],
                       chart_id: str) -> rx.Component:  # fmt: skip
    """The last day's figures in words under a chart (also what the browser test reads)."""
    parts: list[object] = [rx.text.span(last["day"], class_name="num", id=f"{chart_id}-day")]
    for key, label in fields:
        parts += [" · ", label, " ",
                  rx.text.span(last[key], class_name="num", id=f"{chart_id}-{key}")]  # fmt: skip
    return rx.text(*parts, size="1", color_scheme="gray")


__all__ = [
    "RANGES",
    "history_building",
    "last_point_caption",
    "position_history_chart",
    "range_selector",
    "value_history_chart",
]
