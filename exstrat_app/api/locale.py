"""The language of an API answer (its error messages): the `exstrat_locale` cookie a browser
carries, else Accept-Language, else English (docs/translations.md). The `code` of an error
never changes with it."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from exstrat_app import i18n


class LocaleMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            locale = i18n.request_locale(
                headers.get("cookie", ""), headers.get("accept-language", "")
            )
            with i18n.use_locale(locale):
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)
