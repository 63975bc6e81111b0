"""A toast when a new alert reaches the open page (no reload, no polling).

The shared feed's newest alert id changes when the relay pushes an alert; a React effect on
that id shows a sonner toast (the Toaster is in Reflex's app wrap). It stays quiet for the alert
that was already newest when the tab linked to the feed (`AlertsState.baseline_id`), and shows
each id once per tab even across page changes (sessionStorage).
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var, VarData
from reflex_base.utils.imports import ImportVar

from exstrat_app.state.alerts import AlertsState, UserFeed

_STORAGE_KEY = "exstrat-last-alert-toast"


class _AlertToast(rx.Fragment):
    """Renders nothing; its hook does the work."""

    def add_hooks(self) -> list[str | Var]:
        latest, title, body = UserFeed.latest_id, UserFeed.latest_title, UserFeed.latest_body
        baseline = AlertsState.baseline_id
        code = f"""
useEffect(() => {{
  const id = {latest!s};
  if (!id || id === {baseline!s}) return;
  if (window.sessionStorage.getItem("{_STORAGE_KEY}") === id) return;
  window.sessionStorage.setItem("{_STORAGE_KEY}", id);
  refs["__toast"]?.({title!s}, {{description: {body!s}, duration: 8000,
    className: "alert-toast"}});
}}, [{latest!s}, {baseline!s}]);"""
        var_data = VarData.merge(
            latest._get_all_var_data(),
            title._get_all_var_data(),
            body._get_all_var_data(),
            baseline._get_all_var_data(),
            VarData(
                imports={
                    "react": [ImportVar(tag="useEffect")],
                    "$/utils/state": [ImportVar(tag="refs")],
                }
            ),
        )
        return [Var(_js_expr=code, _var_data=var_data)]


def alert_toast() -> rx.Component:
    return _AlertToast.create()
