"""/channels: where alerts go besides the tab and the inbox (services/notifications/channels).

The list holds what the service shows (label, masked hint, kind): an Apprise URL passes only
through the `add` handler's form argument (an uncontrolled password input) into the sealed
row and is never kept here. Web push is turned on in the browser (`assets/exstrat-push.js`:
service worker, permission, `PushManager.subscribe`, then `POST /api/push/subscriptions`);
this state only hears how that went.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.i18n import N_, _, render
from exstrat_app.services.errors import ServiceError
from exstrat_app.services.notifications import channel_tests
from exstrat_app.services.notifications import channels as channels_service
from exstrat_app.services.notifications.channels import ChannelView, outbound_policy
from exstrat_app.state.base import current_user_id, load_for_user, user_data
from exstrat_app.state.display import ago_text
from exstrat_app.state.field_errors import error_text, field_texts
from exstrat_app.state.field_limits import text_refusal

URL_MAX_CHARS = channels_service.MAX_URL_LENGTH
LABEL_MAX_CHARS = channels_service.MAX_LABEL_LENGTH
# Lazy messages (the English text until rendered where they are shown).
KIND_NAMES = {"webpush": N_("Web push"), "apprise": N_("Apprise")}
FIELD_WORDS = {"url": N_("url"), "label": N_("label")}
# The page's script, loaded on demand (a module: nothing runs until a handler asks).
PUSH_MODULE = "import('/exstrat-push.js')"
REGISTER_SCRIPT = f"{PUSH_MODULE}.then((m) => m.register())"
SUBSCRIBE_SCRIPT = f"{PUSH_MODULE}.then((m) => m.subscribe())"
# While a test is queued the list is read again every second, for at most a minute.
TEST_POLL_SECONDS = 1.0
TEST_POLL_LIMIT_SECONDS = 60.0
TEST_WORDS = {"queued": N_("Test on its way…"), "sent": N_("Test delivered"),
              "failed": N_("Test failed")}  # fmt: skip
PUSH_STATES = {
    "unsupported": N_("This browser cannot receive web push."),
    "denied": N_("Notifications are blocked for this site: allow them in the browser's settings."),
    "ready": "",
    "subscribed": "",
}


# What the page's script may answer to a subscription (its English words), in the catalog.
PUSH_ANSWERS = {str(m): m for m in (PUSH_STATES["unsupported"], PUSH_STATES["denied"],
                                    N_("The server did not keep this subscription."))}  # fmt: skip
PUSH_FAILED_PREFIX = "Could not turn on web push here: "


def push_answer(text: str) -> str:
    """The script's answer in the reader's language (an unknown one as it came)."""
    if text in PUSH_ANSWERS:
        return render(PUSH_ANSWERS[text])
    if text.startswith(PUSH_FAILED_PREFIX):
        reason = text.removeprefix(PUSH_FAILED_PREFIX)
        return _("Could not turn on web push here: {reason}", reason=reason)
    return text


def _list(user_id: str) -> list[ChannelView]:
    with bootstrap.unit_of_work() as session:
        return channels_service.list_channels(session, user_id)


def _add(user_id: str, url: str, label: str) -> list[ChannelView]:
    with bootstrap.unit_of_work() as session:
        channels_service.add_apprise_channel(
            session,
            bootstrap.secret_box(),
            user_id=user_id,
            url=url,
            policy=outbound_policy(bootstrap.settings()),
            label=label,
        )
    return _list(user_id)


def _remove(user_id: str, channel_id: str) -> list[ChannelView]:
    with bootstrap.unit_of_work() as session:
        channels_service.remove_channel(session, user_id=user_id, channel_id=channel_id)
    return _list(user_id)


def _test(user_id: str, channel_id: str) -> list[ChannelView]:
    requests = channel_tests.TestRequests(bootstrap.limits_storage())
    with bootstrap.unit_of_work() as session:
        channel_tests.request_test(
            session, bootstrap.redis(), requests, user_id=user_id, channel_id=channel_id
        )
    return _list(user_id)


def _row(c: ChannelView) -> dict[str, str]:
    return {
        "id": c.id,
        "kind": render(KIND_NAMES.get(c.kind, c.kind)),
        "label": c.label,
        "hint": c.hint,
        "added": ago_text(c.created_at),
        "test_state": c.test_state or "",
        "test_words": render(TEST_WORDS.get(c.test_state or "", "")),
        "test_message": render(c.test_message or ""),
    }


def _testing(views: list[ChannelView]) -> bool:
    return any(v.test_state == "queued" for v in views)


@user_data
class ChannelsState(rx.State):
    rows: list[dict[str, str]] = []
    loaded: bool = False
    busy: bool = False
    error: str = ""
    field_errors: dict[str, str] = {}
    notice: str = ""
    # The browser's side of web push: unknown | unsupported | denied | ready | subscribed.
    push_state: str = "unknown"
    push_message: str = ""

    @rx.var
    def url_error(self) -> str:
        return self.field_errors.get("url", "")

    @rx.var
    def label_error(self) -> str:
        return self.field_errors.get("label", "")

    def _begin(self) -> None:
        self.busy, self.error, self.field_errors, self.notice = True, "", {}, ""

    def _failed(self, exc: ServiceError) -> None:
        self.busy, self.error = False, error_text(exc)
        self.field_errors = field_texts(exc.fields)

    def _show(self, views: list[ChannelView]) -> None:
        self.rows = [_row(v) for v in views]
        self.loaded, self.busy = True, False

    @rx.event
    async def load(self) -> Any:
        self.error, self.field_errors, self.notice = "", {}, ""
        events = await load_for_user(self, _list, self._show, failed=self._failed)
        if events is not None:
            return events  # signed out: to /login, nothing else
        # The service worker registers on every visit (it must be there for a push to show).
        return rx.call_script(REGISTER_SCRIPT, callback=ChannelsState.push_checked)

    @rx.event
    def push_checked(self, result: Any) -> None:
        state = str(result) if str(result) in PUSH_STATES else "unsupported"
        self.push_state, self.push_message = state, render(PUSH_STATES[state])

    @rx.event
    def subscribe_push(self) -> Any:
        self.push_message = _("Asking the browser…")
        return rx.call_script(SUBSCRIBE_SCRIPT, callback=ChannelsState.push_subscribed)

    @rx.event
    async def push_subscribed(self, result: Any) -> Any:
        text = str(result)[:300]
        if text != "ok":
            self.push_message = push_answer(text)
            return None
        self.push_state, self.push_message = "subscribed", ""
        self.notice = _("Web push is on for this browser.")
        return await load_for_user(self, _list, self._show, failed=self._failed)

    def _shown_added(self, views: list[ChannelView]) -> None:
        self._show(views)
        self.notice = _("Channel added. Send a test to check it.")

    @rx.event
    async def add(self, form: dict[str, Any]) -> Any:
        url, label = form.get("url", ""), form.get("label", "")
        refusals = {
            name: why
            for name, value, limit in (("url", url, URL_MAX_CHARS), ("label", label, 1000))
            if (why := text_refusal(value, limit))
        }
        if refusals:
            self.field_errors = {
                k: _("This {field} {problem}.", field=render(FIELD_WORDS[k]), problem=why)
                for k, why in refusals.items()
            }
            return None
        return await load_for_user(
            self,
            lambda user_id: _add(user_id, str(url), str(label)),
            self._shown_added,
            failed=self._failed,
            start=self._begin,
        )

    def _shown_removed(self, views: list[ChannelView]) -> None:
        self._show(views)
        self.notice = _("Channel removed.")

    @rx.event
    async def remove(self, channel_id: str) -> Any:
        channel_id = str(channel_id)[:32]
        return await load_for_user(
            self,
            lambda user_id: _remove(user_id, channel_id),
            self._shown_removed,
            failed=self._failed,
            start=self._begin,
        )

    def _shown_queued(self, views: list[ChannelView]) -> Any:
        self._show(views)
        self.notice = _("Test queued: its result shows on the channel in a moment.")
        return ChannelsState.follow_tests

    @rx.event
    async def send_test(self, channel_id: str) -> Any:
        # Only queued here (a worker sends it): the page is never held by the destination.
        channel_id = str(channel_id)[:32]
        return await load_for_user(
            self,
            lambda user_id: _test(user_id, channel_id),
            self._shown_queued,
            failed=self._failed,
            start=self._begin,
        )

    @rx.event(background=True)
    async def follow_tests(self) -> None:
        """Read the list again while a test is on its way, until its result is known."""
        async with self:
            user_id = await current_user_id(self)
        if user_id is None:
            return
        deadline = time.monotonic() + TEST_POLL_LIMIT_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(TEST_POLL_SECONDS)
            views = await asyncio.to_thread(_list, user_id)
            async with self:
                self.rows = [_row(v) for v in views]
            if not _testing(views):
                return
