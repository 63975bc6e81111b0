"""History charts (issue 16): the portfolio's value and net invested over time with a range
selector, a token's position value and average price over time, and the empty state shown
while the first history build runs. Stateless: they take the state's Vars.

The points are dicts of numeric strings (recharts scales them; `state/charts.py` builds
them); a hover shows every figure of the day, the ones not drawn included (lines without
a stroke still appear in the tooltip).
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from exstrat_app.pages.styles import AVERAGE_LINE, PRICE_LINE

RANGES = ("1M", "3M", "1Y", "All")
VALUE_LINE = PRICE_LINE
INVESTED_LINE = AVERAGE_LINE
CHART_HEIGHT = 260
CHART_MARGIN = {"top": 10, "right": 10, "left": 0, "bottom": 0}


def range_selector(value: Var[str], on_change: object, chart_id: str) -> rx.Component:
    return rx.segmented_control.root(
        *[rx.segmented_control.item(r, value=r) for r in RANGES],
        value=value,
        on_change=on_change,
        size="1",
        aria_label="Range of the chart",
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


def value_history_chart(points: Var[list[dict[str, str]]]) -> rx.Component:
    """The portfolio's value and net invested per day; realized, unrealized and income on
    hover."""
    return rx.recharts.line_chart(
        *_axes(),
        rx.recharts.line(data_key="value", name="Value", stroke=VALUE_LINE, dot=False,
                         stroke_width=2, is_animation_active=False, y_axis_id="left"),
        rx.recharts.line(data_key="invested", name="Net invested", stroke=INVESTED_LINE,
                         dot=False, stroke_width=2, stroke_dasharray="4 4",
                         is_animation_active=False, y_axis_id="left"),
        *[rx.recharts.line(data_key=key, name=name, stroke="none", dot=False, active_dot=False,
                           is_animation_active=False, legend_type="none", y_axis_id="left")
          for key, name in (("realized", "Realized P&L"), ("unrealized", "Unrealized P&L"),
                            ("income", "Income"))],
        data=points,
        width="100%",
        height=CHART_HEIGHT,
        margin=CHART_MARGIN,
    )  # fmt: skip


def position_history_chart(points: Var[list[dict[str, str]]]) -> rx.Component:
    """A token's position value (left axis) and its average buy price beside the day's close
    (right axis); the quantity on hover."""
    return rx.recharts.line_chart(
        *_axes(right=True),
        rx.recharts.line(data_key="value", name="Position value", stroke=VALUE_LINE, dot=False,
                         stroke_width=2, is_animation_active=False, y_axis_id="left"),
        rx.recharts.line(data_key="avg", name="Average price", stroke=INVESTED_LINE, dot=False,
                         stroke_width=2, stroke_dasharray="4 4", is_animation_active=False,
                         y_axis_id="right", connect_nulls=True),
        rx.recharts.line(data_key="quantity", name="Quantity", stroke="none", dot=False,
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
        rx.hstack(rx.spinner(size="2"), rx.text("Building your history from the first trade…",
                                                size="2", color_scheme="gray"), align="center"),
        rx.progress(value=rx.Var(f"Number({progress!s})", _var_data=progress._get_all_var_data())
                    .to(int), max=100, width="100%", id="history-progress"),
        rx.text(progress, "% of the days so far; refresh to see more.", size="1",
                color_scheme="gray"),
        spacing="2",
        width="100%",
        padding_y="2em",
        id="history-building",
    )  # fmt: skip


def last_point_caption(last: Var[dict[str, str]], fields: tuple[tuple[str, str], ...],
                       chart_id: str) -> rx.Component:  # fmt: skip
    """The last day's figures in words under a chart (also what the browser test reads)."""
    parts: list[object] = [rx.text.span(last["day"], class_name="num", id=f"{chart_id}-day")]
    for key, label in fields:
        parts += [f" · {label} ",
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
