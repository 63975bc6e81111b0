"""Delivery channels over HTTP: list, add an Apprise URL, remove, queue a test; the browser's
web push subscription and the VAPID public key it subscribes with.

Every destination passes the outbound guard when it is added (422 saying why) and at every
send (docs/outbound.md). A test is queued (202) and its result shows on the channel
(`test.state`: queued, sent, failed) once a worker has sent it. Secrets are write-only:
an Apprise URL or a push endpoint goes in and never comes back out (the bodies carry a label
and a masked hint).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from exstrat_app import bootstrap
from exstrat_app.api.deps import CurrentUserId, RedisDep, SessionDep, SettingsDep
from exstrat_app.api.schemas import Body
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.infra.webpush import application_server_key
from exstrat_app.services.notifications import channel_tests
from exstrat_app.services.notifications import channels as channels_service
from exstrat_app.services.notifications.channels import ChannelView, outbound_policy

router = APIRouter(tags=["channels"])

SecretBoxDep = Annotated[SecretBox, Depends(bootstrap.secret_box)]


class ChannelTestOut(Body):
    state: str  # queued | sent | failed
    message: str | None
    requested_at: str | None


class ChannelOut(Body):
    id: str
    kind: str  # webpush | apprise
    label: str
    hint: str
    created_at: str
    test: ChannelTestOut | None  # the last test send, None before the first

    @classmethod
    def of(cls, c: ChannelView) -> ChannelOut:
        test = None
        if c.test_state:
            at = c.test_requested_at.isoformat() if c.test_requested_at else None
            test = ChannelTestOut(state=c.test_state, message=c.test_message, requested_at=at)
        return cls(
            id=c.id,
            kind=c.kind,
            label=c.label,
            hint=c.hint,
            created_at=c.created_at.isoformat(),
            test=test,
        )


class AppriseIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    url: str = Field(default="", max_length=4096)
    label: str | None = Field(default=None, max_length=1000)


class PushKeysIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    p256dh: str = Field(default="", max_length=200)
    auth: str = Field(default="", max_length=100)


class PushSubscriptionIn(BaseModel):
    """`PushSubscription.toJSON()` as the browser gives it, plus an optional label."""

    model_config = ConfigDict(extra="ignore")
    endpoint: str = Field(default="", max_length=4096)
    keys: PushKeysIn = Field(default_factory=PushKeysIn)
    label: str | None = Field(default=None, max_length=1000)


class VapidKeyOut(Body):
    public_key: str  # base64url raw P-256 point: PushManager.subscribe's applicationServerKey


class TestQueuedOut(Body):
    queued: bool
    channel: ChannelOut


@router.get("/api/channels", response_model=list[ChannelOut])
def list_channels(user_id: CurrentUserId, session: SessionDep) -> list[ChannelOut]:
    return [ChannelOut.of(c) for c in channels_service.list_channels(session, user_id)]


@router.post("/api/channels", status_code=201, response_model=ChannelOut)
def add_channel(
    body: AppriseIn,
    user_id: CurrentUserId,
    session: SessionDep,
    box: SecretBoxDep,
    settings: SettingsDep,
) -> ChannelOut:
    """An Apprise URL (`tgram://…`, `ntfy://…`, `json://…`): 422 when it is not a service we
    send to or its destination is inside the network, 409 when it is already there. The URL
    is sealed and never shown again."""
    view = channels_service.add_apprise_channel(
        session,
        box,
        user_id=user_id,
        url=body.url,
        policy=outbound_policy(settings),
        label=body.label,
    )
    return ChannelOut.of(view)


@router.delete("/api/channels/{channel_id}", status_code=204)
def remove_channel(channel_id: str, user_id: CurrentUserId, session: SessionDep) -> Response:
    channels_service.remove_channel(session, user_id=user_id, channel_id=channel_id)
    return Response(status_code=204)


@router.post("/api/channels/{channel_id}/test", status_code=202, response_model=TestQueuedOut)
def test_channel(
    channel_id: str, user_id: CurrentUserId, session: SessionDep, redis: RedisDep
) -> TestQueuedOut:
    """Queue a test message; `GET /api/channels` shows its result once a worker sent it.
    409 while another test of yours is on its way, 429 past a few a minute."""
    requests = channel_tests.TestRequests(bootstrap.limits_storage())
    view = channel_tests.request_test(
        session, redis, requests, user_id=user_id, channel_id=channel_id
    )
    return TestQueuedOut(queued=True, channel=ChannelOut.of(view))


@router.post("/api/push/subscriptions", status_code=201, response_model=ChannelOut)
def add_push_subscription(
    body: PushSubscriptionIn,
    user_id: CurrentUserId,
    session: SessionDep,
    box: SecretBoxDep,
    settings: SettingsDep,
) -> ChannelOut:
    """A browser's subscription; 422 when its endpoint is inside the network."""
    view = channels_service.add_push_subscription(
        session,
        box,
        user_id=user_id,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        policy=outbound_policy(settings),
        label=body.label,
    )
    return ChannelOut.of(view)


@router.get("/api/push/vapid-public-key", response_model=VapidKeyOut)
def vapid_public_key(settings: SettingsDep) -> VapidKeyOut:
    return VapidKeyOut(public_key=application_server_key(settings.ensure_data_dir()))
