"""The "Create strategy" dialog: reference, base quantity, steps (a % or a price, optionally
trailing), the stop-loss, and the live preview."""

from __future__ import annotations

import reflex as rx

from exstrat_app.i18n import N_
from exstrat_app.pages.components import error_callout, field_error
from exstrat_app.pages.components.phrases import Text, phrase
from exstrat_app.pages.components.text import T
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


def _kind_switch(
    value: rx.Var[str], on_change: object, pct_label: Text, **props: object
) -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item(pct_label, value="pct"),
        rx.segmented_control.item(T("price"), value="price"),
        value=value, on_change=on_change, size="1", **props,
    )  # fmt: skip


def _target(step: rx.Var[dict[str, str]], i: rx.Var[int]) -> rx.Component:
    """The target as a % of the reference or as an absolute price (issue 14)."""
    return rx.vstack(
        _kind_switch(step["target_kind"], lambda v: S.set_step_kind(i, v), "+%",
                     class_name="step-kind"),
        rx.cond(
            step["target_kind"] == "price",
            _text_input(step["target_abs"], lambda v: S.set_step(i, "target_abs", v),
                        aria_label=T("Target price"), class_name="step-target-price",
                        width="100%"),
            _text_input(step["target_pct"], lambda v: S.set_step(i, "target_pct", v),
                        aria_label=T("Target percent"), class_name="step-target", width="100%"),
        ),
        field_error(step["target_error"]),
        spacing="1",
    )  # fmt: skip


def _trailing(step: rx.Var[dict[str, str]], i: rx.Var[int]) -> rx.Component:
    """Trailing toggle + trail %, and the step's rule in words from the preview."""
    return rx.vstack(
        rx.hstack(
            rx.el.label(
                rx.switch(checked=step["trailing"] == "1",
                          on_change=lambda v: S.set_step_trailing(i, v), size="1",
                          class_name="step-trailing"),
                T("Trailing"), display="flex", align_items="center", gap="0.5em",
                font_size="var(--font-size-1)", cursor="pointer",
            ),
            rx.cond(
                step["trailing"] == "1",
                rx.hstack(
                    rx.text(T("trail %"), size="1", color_scheme="gray"),
                    _text_input(step["trail_pct"], lambda v: S.set_step(i, "trail_pct", v),
                                aria_label=T("Trail percent"), class_name="step-trail",
                                width="5em", size="1"),
                    align="center", spacing="1",
                ),
            ),
            spacing="3", align="center", wrap="wrap",
        ),
        field_error(step["trail_error"]),
        rx.text(step["rule"], size="1", color_scheme="gray", class_name="step-rule"),
        spacing="1", width="100%",
    )  # fmt: skip


def _step(step: rx.Var[dict[str, str]], i: rx.Var[int]) -> rx.Component:
    return rx.box(
        rx.grid(
            _target(step, i),
            rx.vstack(
                rx.text(T("Sell % of base"), size="1", color_scheme="gray"),
                _text_input(step["sell_pct"], lambda v: S.set_step(i, "sell_pct", v),
                            aria_label=T("Sell percent"), class_name="step-sell", width="100%"),
                field_error(step["sell_error"]),
                spacing="1",
            ),
            rx.vstack(
                rx.text(T("Target price"), size="1", color_scheme="gray"),
                rx.text(step["target_price"], weight="bold", class_name="num step-price"),
                spacing="1",
            ),
            rx.vstack(
                rx.text(T("Sell"), size="1", color_scheme="gray"),
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
                aria_label=T("Remove step"),
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
        _trailing(step, i),
        padding="0.75em",
        border=BORDER,
        border_radius="var(--radius-3)",
        width="100%",
        class_name="ladder-step",
    )  # fmt: skip


def _choice(*children: rx.Component | Text) -> rx.Component:
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
        rx.text(T("Reference price"), size="2", weight="medium"),
        rx.radio_group.root(
            rx.flex(
                _choice(
                    rx.radio_group.item(value="avgPrice", id="ref-avg"),
                    T("Average buy price"),
                    rx.cond(
                        S.avg_price != "",
                        rx.text.span(" (", S.avg_price, ")", class_name="num"),
                    ),
                ),
                _choice(rx.radio_group.item(value="custom", id="ref-custom"), T("Custom")),
                spacing="4",
                align="center",
                wrap="wrap",
            ),
            value=S.ref_type,
            on_change=S.set_ref_type,
        ),
        rx.cond(
            S.ref_type == "custom",
            _text_input(S.custom_price, S.set_custom_price, placeholder=T("e.g. 2000"),
                        aria_label=T("Custom reference price"), id="custom-price", width="100%"),
        ),
        field_error(S.error_for_reference),
        spacing="2",
        width="100%",
    )  # fmt: skip


def _stop_loss() -> rx.Component:
    """The stop-loss: a price or a % below the reference, break-even once a step fired."""
    return rx.vstack(
        rx.el.label(
            rx.switch(checked=S.stop_on, on_change=S.set_stop_on, id="stop-on"),
            rx.text.span(T("Stop-loss"), weight="medium"),
            display="flex", align_items="center", gap="0.5em", font_size="var(--font-size-2)",
            cursor="pointer",
        ),
        rx.cond(
            S.stop_on,
            rx.vstack(
                rx.hstack(
                    _kind_switch(S.stop_kind, S.set_stop_kind, T("% below"), id="stop-kind"),
                    _text_input(S.stop_value, S.set_stop_value, aria_label=T("Stop-loss value"),
                                id="stop-value", width="8em"),
                    rx.checkbox(T("Move to break-even after the first step"),
                                checked=S.stop_break_even, on_change=S.set_stop_break_even,
                                id="stop-break-even"),
                    spacing="3", align="center", wrap="wrap",
                ),
                field_error(S.error_for_stop),
                rx.hstack(
                    phrase(
                        N_("Stop at {price} realises {result}"),
                        text=lambda words: rx.text(words, size="1", color_scheme="gray"),
                        price=rx.text(S.stop_price, weight="bold", class_name="num",
                                      id="stop-price"),
                        result=rx.text(S.stop_result, weight="bold", class_name="num",
                                       id="stop-result"),
                    ),
                    spacing="2", align="center", wrap="wrap",
                ),
                rx.text(S.stop_rule, size="1", color_scheme="gray", id="stop-rule"),
                spacing="2", width="100%",
            ),
        ),
        spacing="2", width="100%", id="stop-loss",
    )  # fmt: skip


def _summary() -> rx.Component:
    return rx.grid(
        rx.vstack(rx.text(T("Reference"), size="1", color_scheme="gray"),
                  rx.text(S.ref_used, weight="bold", class_name="num", id="preview-ref")),
        rx.vstack(rx.text(T("Base quantity"), size="1", color_scheme="gray"),
                  rx.text(S.base_used, weight="bold", class_name="num", id="preview-base")),
        rx.vstack(rx.text(T("Proceeds if all sell"), size="1", color_scheme="gray"),
                  rx.text(S.proceeds, weight="bold", class_name="num", id="preview-proceeds")),
        rx.vstack(rx.text(T("Left after all steps"), size="1", color_scheme="gray"),
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
            rx.dialog.title(rx.cond(S.asset != "", T("New strategy: {asset}", asset=S.asset),
                                    T("New strategy"))),
            rx.dialog.description(
                rx.text.span(
                    T("Sell part of the position at each target; you get an alert when the "
                      "price reaches it (nothing is sold automatically)."),
                    size="2", color_scheme="gray",
                ),
            ),
            rx.vstack(
                error_callout(S.message),
                rx.cond(
                    ~S.asset_locked,
                    rx.vstack(
                        rx.text(T("Asset"), size="2", weight="medium"),
                        rx.input(value=S.asset, on_change=S.set_asset, debounce_timeout=DEBOUNCE_MS,
                                 placeholder="ETH", aria_label=T("Asset"), id="strategy-asset",
                                 width="100%"),
                        field_error(S.error_for_asset),
                        spacing="1", width="100%",
                    ),
                ),
                _reference(),
                # The ladder's currency (the reporting currency by default; USD is USDT).
                rx.hstack(
                    rx.text(T("Prices in"), size="2", weight="medium"),
                    rx.segmented_control.root(
                        rx.foreach(S.quotes, lambda q: rx.segmented_control.item(q, value=q)),
                        value=S.quote, on_change=S.set_quote, size="1",
                        custom_attrs={"data-testid": "strategy-quote"},
                    ),
                    rx.cond(S.watched_note != "",
                            rx.text(S.watched_note, size="1", color_scheme="gray")),
                    spacing="2", align="center", wrap="wrap",
                ),
                rx.vstack(
                    rx.text(T("Base quantity (frozen at creation)"), size="2", weight="medium"),
                    _text_input(S.base_qty, S.set_base_qty,
                                placeholder=T("the quantity you hold"),
                                aria_label=T("Base quantity"), id="base-qty", width="100%"),
                    field_error(S.error_for_base),
                    spacing="1", width="100%",
                ),
                rx.vstack(
                    rx.hstack(
                        rx.text(T("Steps"), size="2", weight="medium"),
                        rx.cond(S.lot_step != "", rx.text(T("lot size {size}", size=S.lot_step),
                                                          size="1", color_scheme="gray")),
                        rx.spacer(),
                        rx.cond(S.previewing, rx.spinner(size="1")),
                        width="100%", align="center",
                    ),
                    rx.foreach(S.steps, _step),
                    field_error(S.error_for_steps),
                    rx.button(rx.icon("plus", size=14), T("Add a step"), variant="soft", size="1",
                              on_click=S.add_step, id="add-step"),
                    spacing="2", width="100%",
                ),
                # Worth a second look (fires now, more than held...): never blocks saving.
                rx.cond(
                    S.warnings.length() > 0,
                    rx.callout.root(
                        rx.callout.icon(rx.icon("info")),
                        rx.vstack(rx.foreach(S.warnings, rx.callout.text), spacing="1"),
                        color_scheme="amber", id="strategy-warnings", width="100%",
                    ),
                ),
                _stop_loss(),
                _summary(),
                rx.input(
                    value=S.name,
                    on_change=S.set_name,
                    debounce_timeout=DEBOUNCE_MS,
                    placeholder=T("Name (optional), e.g. ETH cycle top"),
                    max_length=100,
                    aria_label=T("Strategy name"),
                    width="100%",
                ),
                rx.hstack(
                    rx.checkbox(T("Email me"), checked=S.notify_email,
                                on_change=S.set_notify_email),
                    rx.checkbox(T("Alert in the app"), checked=S.notify_in_app,
                                on_change=S.set_notify_in_app),
                    spacing="4", wrap="wrap",
                ),
                # A new strategy only alerts (issue 15): placing the sale needs a trading key
                # and the password again, on the strategy's page, never a click in this form.
                rx.text(
                    T("Execution: alerts only. To have the sale placed for you (confirm or "
                      "auto), give the exchange account a trading key (through the API for "
                      "now) and choose the mode on the strategy's page after saving."),
                    size="1", color_scheme="gray", id="strategy-execution-note",
                ),
                rx.hstack(
                    rx.dialog.close(rx.button(T("Cancel"), variant="soft", color_scheme="gray")),
                    rx.button(T("Save strategy"), on_click=S.save, loading=S.saving,
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
