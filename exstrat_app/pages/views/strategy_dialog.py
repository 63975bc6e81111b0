"""The "Create strategy" dialog: reference, base quantity, steps, and the live preview."""

from __future__ import annotations

import reflex as rx

from exstrat_app.pages.components import error_callout, field_error
from exstrat_app.pages.styles import ACCENT, BORDER, DANGER_SCHEME
from exstrat_app.state.strategy_dialog import StrategyDialogState as S

DEBOUNCE_MS = 250


def _text_input(value: rx.Var[str], on_change: object, **props: object) -> rx.Component:
    """A controlled text input; Reflex debounces it (DebounceInput) so typing stays smooth."""
    return rx.input(
        value=value,
        on_change=on_change,
        debounce_timeout=DEBOUNCE_MS,
        input_mode="decimal",
        auto_complete="off",
        **props,
    )


def _step(step: rx.Var[dict[str, str]], i: rx.Var[int]) -> rx.Component:
    return rx.box(
        rx.grid(
            rx.vstack(
                rx.text("Target +%", size="1", color_scheme="gray"),
                _text_input(step["target_pct"], lambda v: S.set_step(i, "target_pct", v),
                            aria_label="Target percent", class_name="step-target", width="100%"),
                field_error(step["target_error"]),
                spacing="1",
            ),
            rx.vstack(
                rx.text("Sell % of base", size="1", color_scheme="gray"),
                _text_input(step["sell_pct"], lambda v: S.set_step(i, "sell_pct", v),
                            aria_label="Sell percent", class_name="step-sell", width="100%"),
                field_error(step["sell_error"]),
                spacing="1",
            ),
            rx.vstack(
                rx.text("Target price", size="1", color_scheme="gray"),
                rx.text(step["target_price"], weight="bold", class_name="num step-price"),
                spacing="1",
            ),
            rx.vstack(
                rx.text("Sell", size="1", color_scheme="gray"),
                rx.text(step["qty_to_sell"], weight="bold", class_name="num step-qty"),
                rx.text("≈ ", step["proceeds"], size="1", color_scheme="gray",
                        class_name="num step-proceeds"),
                spacing="1",
            ),
            rx.icon_button(
                rx.icon("trash_2", size=14),
                variant="ghost",
                color_scheme=DANGER_SCHEME,
                on_click=S.remove_step(i),
                disabled=S.steps.length() <= 1,
                aria_label="Remove step",
                # Phones: its own line, at the right; wider: the last column, level with inputs.
                margin_top=rx.breakpoints(initial="0", sm="1.2em"),
                grid_column=rx.breakpoints(initial="span 2", sm="auto"),
                justify_self="end",
            ),
            columns=rx.breakpoints(initial="1fr 1fr", sm="1fr 1fr 1fr 1fr auto"),
            spacing="3",
            width="100%",
            align_items="start",
        ),
        padding="0.75em",
        border=BORDER,
        border_radius="var(--radius-3)",
        width="100%",
        class_name="ladder-step",
    )  # fmt: skip


def _choice(*children: rx.Component | str) -> rx.Component:
    """A radio with its label: clicking the text picks it."""
    return rx.el.label(
        *children,
        display="flex",
        align_items="center",
        gap="0.5em",
        font_size="var(--font-size-2)",
        cursor="pointer",
    )


def _reference() -> rx.Component:
    return rx.vstack(
        rx.text("Reference price", size="2", weight="medium"),
        rx.radio_group.root(
            rx.flex(
                _choice(
                    rx.radio_group.item(value="avgPrice", id="ref-avg"),
                    "Average buy price",
                    rx.cond(
                        S.avg_price != "",
                        rx.text.span(" (", S.avg_price, ")", class_name="num"),
                    ),
                ),
                _choice(rx.radio_group.item(value="custom", id="ref-custom"), "Custom"),
                spacing="4",
                align="center",
                wrap="wrap",
            ),
            value=S.ref_type,
            on_change=S.set_ref_type,
        ),
        rx.cond(
            S.ref_type == "custom",
            _text_input(S.custom_price, S.set_custom_price, placeholder="e.g. 2000",
                        aria_label="Custom reference price", id="custom-price", width="100%"),
        ),
        field_error(S.error_for_reference),
        spacing="2",
        width="100%",
    )  # fmt: skip


def _summary() -> rx.Component:
    return rx.grid(
        rx.vstack(rx.text("Reference", size="1", color_scheme="gray"),
                  rx.text(S.ref_used, weight="bold", class_name="num", id="preview-ref")),
        rx.vstack(rx.text("Base quantity", size="1", color_scheme="gray"),
                  rx.text(S.base_used, weight="bold", class_name="num", id="preview-base")),
        rx.vstack(rx.text("Proceeds if all sell", size="1", color_scheme="gray"),
                  rx.text(S.proceeds, weight="bold", class_name="num", id="preview-proceeds")),
        rx.vstack(rx.text("Left after all steps", size="1", color_scheme="gray"),
                  rx.text(S.remaining, weight="bold", class_name="num", id="preview-remaining")),
        columns=rx.breakpoints(initial="2", sm="4"),
        spacing="3",
        width="100%",
        padding="0.75em",
        background=rx.color(ACCENT, 2),
        border_radius="var(--radius-3)",
    )  # fmt: skip


def strategy_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.asset != "", "New strategy: " + S.asset, "New strategy")),
            rx.dialog.description(
                rx.text.span(
                    "Sell part of the position at each target; you get an alert when the price "
                    "reaches it (nothing is sold automatically).",
                    size="2", color_scheme="gray",
                ),
            ),
            rx.vstack(
                error_callout(S.message),
                rx.cond(
                    ~S.asset_locked,
                    rx.vstack(
                        rx.text("Asset", size="2", weight="medium"),
                        rx.input(value=S.asset, on_change=S.set_asset, debounce_timeout=DEBOUNCE_MS,
                                 placeholder="ETH", aria_label="Asset", id="strategy-asset",
                                 width="100%"),
                        field_error(S.error_for_asset),
                        spacing="1", width="100%",
                    ),
                ),
                _reference(),
                rx.vstack(
                    rx.text("Base quantity (frozen at creation)", size="2", weight="medium"),
                    _text_input(S.base_qty, S.set_base_qty, placeholder="the quantity you hold",
                                aria_label="Base quantity", id="base-qty", width="100%"),
                    field_error(S.error_for_base),
                    spacing="1", width="100%",
                ),
                rx.vstack(
                    rx.hstack(
                        rx.text("Steps", size="2", weight="medium"),
                        rx.cond(S.lot_step != "", rx.text("lot size ", S.lot_step, size="1",
                                                           color_scheme="gray")),
                        rx.spacer(),
                        rx.cond(S.previewing, rx.spinner(size="1")),
                        width="100%", align="center",
                    ),
                    rx.foreach(S.steps, _step),
                    field_error(S.error_for_steps),
                    rx.button(rx.icon("plus", size=14), "Add a step", variant="soft", size="1",
                              on_click=S.add_step, id="add-step"),
                    spacing="2", width="100%",
                ),
                _summary(),
                rx.input(
                    value=S.name,
                    on_change=S.set_name,
                    debounce_timeout=DEBOUNCE_MS,
                    placeholder="Name (optional), e.g. ETH cycle top",
                    max_length=100,
                    aria_label="Strategy name",
                    width="100%",
                ),
                rx.hstack(
                    rx.checkbox("Email me", checked=S.notify_email,
                                on_change=S.set_notify_email),
                    rx.checkbox("Alert in the app", checked=S.notify_in_app,
                                on_change=S.set_notify_in_app),
                    spacing="4", wrap="wrap",
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button("Save strategy", on_click=S.save, loading=S.saving,
                              disabled=~S.can_save, id="save-strategy"),
                    justify="end", width="100%",
                ),
                spacing="4",
                width="100%",
                margin_top="1em",
            ),
            max_width="720px",
            width="calc(100vw - 16px)",
            id="strategy-dialog",
        ),
        open=S.open,
        on_open_change=S.set_open,
    )  # fmt: skip
