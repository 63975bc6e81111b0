"""The site map and the base of the page states, without a browser: every page is registered
once (no `@rx.page` list that Reflex would apply again on the next compile), protected pages
check the sign-in before anything else, and the one load skeleton behaves as documented."""

from __future__ import annotations

from typing import Any

from reflex_base.registry import RegistrationContext

from exstrat_app import routes
from exstrat_app.pages import PAGES
from exstrat_app.services.errors import NotFound
from exstrat_app.state import base
from exstrat_app.state.alerts import AlertsState
from exstrat_app.state.base import TO_LOGIN, SessionState, load_for_user
from tests.asyncrun import run as run_coroutine


def test_every_route_is_registered_once_and_not_through_rx_page() -> None:
    registered = [page.route for page in PAGES]
    assert sorted(registered) == sorted({
        routes.HOME, routes.LOGIN, routes.SIGNUP, routes.PORTFOLIO, routes.EXCHANGES,
        routes.STRATEGIES, routes.STRATEGY_DETAIL, routes.ASSET_DETAIL, routes.SECURITY,
        routes.CONFIRM, routes.CHANNELS, routes.ACCOUNT, routes.FORGOT, routes.RESET,
    })  # fmt: skip
    # Reflex adds the `@rx.page` list to the app on every compile: it must stay empty.
    assert RegistrationContext.ensure_context().decorated_pages == []


def test_protected_pages_check_the_sign_in_first_then_link_the_feed() -> None:
    public = {routes.HOME, routes.LOGIN, routes.SIGNUP, routes.CONFIRM, routes.FORGOT, routes.RESET}
    for page in PAGES:
        if page.route in public:
            assert SessionState.require_login not in page.on_load
            continue
        assert list(page.on_load[:2]) == [SessionState.require_login, AlertsState.link_feed]
        assert page.title.endswith(" · exstrat")


def test_links_are_built_from_the_routes() -> None:
    assert routes.strategy_href("abc") == "/strategies/abc"
    assert routes.asset_href("ETH") == "/tokens/ETH"
    assert routes.PUBLIC == ("/login", "/signup", "/confirm", "/forgot", "/reset")


class _FakeSession:
    def __init__(self, user_id: str | None) -> None:
        self.user_id = user_id

    async def _current_user_id(self) -> str | None:
        return self.user_id


class _FakeState:
    """Just what `load_for_user` touches: the lock (`async with`) and `get_state`."""

    def __init__(self, user_id: str | None) -> None:
        self.session = _FakeSession(user_id)
        self.locked = False
        self.log: list[str] = []

    async def __aenter__(self) -> _FakeState:
        assert not self.locked
        self.locked = True
        return self

    async def __aexit__(self, *_: Any) -> None:
        self.locked = False

    async def get_state(self, cls: type) -> _FakeSession:
        assert cls is SessionState
        return self.session


def _run(state: _FakeState, fetch: Any) -> Any:
    def start() -> None:
        state.log.append(f"start locked={state.locked}")

    def show(value: Any) -> str:
        state.log.append(f"show {value} locked={state.locked}")
        return "shown"

    def failed(exc: Exception) -> str:
        state.log.append(f"failed {exc} locked={state.locked}")
        return "failed"

    loading = load_for_user(state, fetch, show, failed=failed, start=start)  # type: ignore[arg-type]
    return run_coroutine(loading)


def test_load_for_user_runs_the_call_outside_the_lock_and_shows_under_it() -> None:
    state = _FakeState("u1")

    def fetch(user_id: str) -> str:
        state.log.append(f"fetch {user_id} locked={state.locked}")
        return "rows"

    assert _run(state, fetch) == "shown"
    assert state.log == ["start locked=True", "fetch u1 locked=False", "show rows locked=True"]


def test_load_for_user_shows_a_service_error_and_sends_signed_out_visitors_to_login() -> None:
    state = _FakeState("u1")

    def missing(_user_id: str) -> str:
        raise NotFound("Strategy not found.")

    assert _run(state, missing) == "failed"
    assert state.log == ["start locked=True", "failed Strategy not found. locked=True"]

    signed_out = _FakeState(None)
    assert _run(signed_out, lambda _u: "never") is TO_LOGIN
    assert signed_out.log == []


def test_login_url_uses_the_routes() -> None:
    assert base.login_url(routes.HOME) == routes.LOGIN
    assert base.login_url("/tokens/ETH") == "/login?next=/tokens/ETH"
