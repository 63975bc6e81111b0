"""The Reflex app: pages, the /api routes mounted beside them, and the live-push relay."""

from __future__ import annotations

import os

import reflex as rx
from reflex_base.utils import log as reflex_log

from exstrat_app.api import create_api
from exstrat_app.infra.logging import RedactingFilter, configure_logging
from exstrat_app.pages import add_pages
from exstrat_app.pages.head import head_components
from exstrat_app.pages.styles import APP_STYLE
from exstrat_app.state.auth_forms import AuthFormState
from exstrat_app.state.base import SessionState
from exstrat_app.state.channels import ChannelsState
from exstrat_app.state.exchanges import ExchangesState
from exstrat_app.state.execution import ExecutionState
from exstrat_app.state.feed_relay import relay_push_events
from exstrat_app.state.guard import EventGuard, SocketDoor
from exstrat_app.state.locale import LocaleState
from exstrat_app.state.password_reset import PasswordResetState
from exstrat_app.state.strategies import StrategyDetailState
from exstrat_app.state.strategy_dialog import StrategyDialogState
from exstrat_app.state.trading_key import TradingKeyState

# Everything this process writes (Reflex's saved states, the SQLite file, the outbox) is
# readable by its owner only: 0600 files, 0700 directories.
os.umask(0o077)

# The web process (Reflex's backend server imports this module) handles sign-ups, logins and
# new API keys: its log lines must be the same JSON as the other processes', at
# EXSTRAT_LOG_LEVEL. Without this only `python -m exstrat_app ...` configured logging, and
# this process logged nothing below WARNING (and that as plain text, without correlation ids).
configure_logging()
# Reflex's own log sink (its console handler, not ours) gets the same scrub: it prints whole
# events (payload, router data) when it cannot process one.
for _sink in (reflex_log._console_handler(), reflex_log._json_handler()):
    _sink.addFilter(RedactingFilter())

app = rx.App(
    # The FastAPI app mounts Reflex's; the socket's door wraps them both (state/guard.py).
    api_transformer=[create_api(), SocketDoor],
    style=APP_STYLE,
    # The manifest, icons and theme colour: exstrat installs on a phone's home screen.
    head_components=head_components(),
)
# Before every handler: rate limits, the input guard, a session for exstrat's own states
# (but the sign-in ones, /forgot and /reset's included). The handlers that create or reach
# an exchange also spend the API's per-user budget.
app.add_middleware(
    EventGuard(
        public_states=[SessionState, LocaleState, AuthFormState, PasswordResetState],
        costly=[
            StrategyDialogState.save,
            ExchangesState.add,
            ExchangesState.sync_now,
            ExchangesState.delete,
            StrategyDetailState.act,
            StrategyDetailState.mark_done,
            TradingKeyState.save,
            TradingKeyState.remove,
            ExecutionState.cancel_order,
            ChannelsState.add,
            ChannelsState.send_test,
        ],
    ),
    index=0,
)
# Once, here: see pages/site.py for why not `@rx.page`.
add_pages(app)

# Alerts published by workers on Redis reach every open tab through the shared UserFeed.
app.register_lifespan_task(relay_push_events)
