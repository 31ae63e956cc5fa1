"""Assembling the hand-off connectors (booking, 12345, outbox) from settings: one way to build them."""

from __future__ import annotations

from sqlalchemy import Engine

from assistant.logs import get_logger
from assistant.settings import Settings
from connectors.booking.builtin import StoreBookingService
from connectors.booking.config import BookingConfig
from connectors.booking.http import HttpBookingService
from connectors.booking.protocol import BookingService
from connectors.calendar import WorkCalendar
from connectors.complaint.builtin import FORWARD_KIND, StoreComplaintService
from connectors.complaint.http import HttpComplaintService
from connectors.complaint.protocol import ComplaintService
from connectors.complaint.rules import TicketRules
from connectors.crypto import Sealer
from connectors.outbox import OutboxWorker
from knowledge.retrieval import region_names
from knowledge.schema import ServiceGuide
from knowledge.store import ContentStore
from knowledge.store.content import ChangeEvent

log = get_logger(__name__)


class BookableServices:
    """Published guides marked 可预约 -> their 实施主体; kept current by store events."""

    def __init__(self, store: ContentStore) -> None:
        self._departments = {
            g.code: g.department
            for g in store.published("guide")
            if isinstance(g, ServiceGuide) and g.bookable
        }

    def __call__(self, code: str) -> str | None:
        return self._departments.get(code)

    def apply(self, event: ChangeEvent) -> None:
        content = event.content
        if event.action == "publish" and isinstance(content, ServiceGuide) and content.bookable:
            self._departments[content.code] = content.department
        else:
            self._departments.pop(event.code, None)


def sealer(settings: Settings) -> Sealer:
    return Sealer(settings.data_key, settings.data_keys_old)


def build_booking(settings: Settings, store: ContentStore) -> BookingService:
    if settings.booking_url:
        return HttpBookingService(settings.booking_url, settings.booking_token or None, tz=settings.tz)
    services = BookableServices(store)
    store.subscribe(services.apply, name="bookable services")
    return StoreBookingService(
        store.engine, BookingConfig.load(), sealer(settings), services, WorkCalendar.load(), tz=settings.tz
    )


class KnownRegions:
    """The districts and streets the knowledge base names (its guides' regions and halls),
    re-read after any publish or retire."""

    def __init__(self, store: ContentStore) -> None:
        self.store = store
        self._names: dict[str, str] | None = None
        store.subscribe(self.apply, name="known regions")

    def apply(self, _event: ChangeEvent) -> None:
        self._names = None

    def __call__(self) -> dict[str, str]:
        if self._names is None:
            self._names = region_names(self.store.published())
        return self._names


def build_complaints(
    settings: Settings, engine: Engine, regions: KnownRegions | None = None
) -> ComplaintService:
    return StoreComplaintService(
        engine,
        TicketRules.load(),
        sealer(settings),
        WorkCalendar.load(),
        forward=bool(settings.complaint_forward_url),
        tz=settings.tz,
        regions=regions,
    )


def build_outbox_worker(
    settings: Settings, engine: Engine, complaints: ComplaintService
) -> OutboxWorker | None:
    """Forwarding to the 12345 platform (None while no platform is configured)."""
    if not settings.complaint_forward_url:
        return None
    platform = HttpComplaintService(settings.complaint_forward_url, settings.complaint_token or None)
    return OutboxWorker(
        engine,
        sealer(settings),
        {FORWARD_KIND: platform.forward},
        on_delivered=lambda _kind, ref, remote: complaints.mark_forwarded(ref, remote),
    )

