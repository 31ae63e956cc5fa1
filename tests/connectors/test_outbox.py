"""A ticket accepted from a citizen reaches the 12345 platform exactly once, whatever fails on the way."""

from __future__ import annotations

from datetime import timedelta

from assistant.database import open_store
from connectors.calendar import WorkCalendar
from connectors.complaint.builtin import FORWARD_KIND, StoreComplaintService
from connectors.complaint.http import HttpComplaintService
from connectors.complaint.protocol import TicketRequest
from connectors.complaint.rules import TicketRules
from connectors.http_client import RetryPolicy
from connectors.outbox import OutboxWorker
from tests.connectors.fakes import Fake12345, serve


def _worker(engine, sealer, url, complaints):
    platform = HttpComplaintService(url, retry=RetryPolicy(attempts=1), timeout=2)
    return OutboxWorker(
        engine,
        sealer,
        {FORWARD_KIND: platform.forward},
        base_delay=0.0,
        lease=timedelta(0),
        on_delivered=lambda _k, ref, remote: complaints.mark_forwarded(ref, remote),
    )


def test_outbox_survives_outage_lost_answer_and_restart(db_url, sealer):
    fake = Fake12345()
    store = open_store(db_url)
    complaints = StoreComplaintService(store.engine, TicketRules.load(), sealer, WorkCalendar(), forward=True)
    ticket = complaints.file(
        TicketRequest("小区门口的路灯坏了一个月", district="东城区", contact_phone="13800000001")
    )
    assert complaints.outbox.counts() == {"pending": 1}  # written with the ticket, before any delivery

    with serve(fake.app) as url:
        fake.mode = "down"
        assert _worker(store.engine, sealer, url, complaints).run_once() == 0
        fake.mode = "drop_after_commit"  # the platform stores it, the answer is lost midway
        assert _worker(store.engine, sealer, url, complaints).run_once() == 0
        assert len(fake.tickets) == 1
        store.engine.dispose()  # the process dies

        restarted = open_store(db_url)  # a new process on the same database
        complaints2 = StoreComplaintService(
            restarted.engine, TicketRules.load(), sealer, WorkCalendar(), forward=True
        )
        pending = complaints2.outbox.items("pending")
        assert len(pending) == 1 and pending[0].attempts == 2 and "504" in (pending[0].last_error or "")
        fake.mode = "ok"
        assert _worker(restarted.engine, sealer, url, complaints2).run_once() == 1
        assert _worker(restarted.engine, sealer, url, complaints2).run_once() == 0  # nothing left to send

    assert len(fake.tickets) == 1  # exactly once on the far side
    remote = next(iter(fake.tickets))
    assert complaints2.outbox.counts() == {"delivered": 1}
    forwarded = complaints2.get(ticket.number)
    assert forwarded.external_ref == remote and "已转 12345 平台" in forwarded.history[-1].note
    restarted.engine.dispose()


def test_a_payload_the_platform_keeps_refusing_goes_dead_after_bounded_attempts(db_url, sealer):
    """Issue 14 item 12: a reply missing a required field was re-posted forever."""
    store = open_store(db_url)
    complaints = StoreComplaintService(store.engine, TicketRules.load(), sealer, WorkCalendar(), forward=True)
    complaints.file(TicketRequest("小区门口的路灯坏了一个月", district="东城区", anonymous=True))
    posts = []

    def platform_without_number(payload, key):
        posts.append(key)
        return {"status": "ok"}["number"]  # the platform's reply lacks the field we need

    worker = OutboxWorker(
        store.engine, sealer, {FORWARD_KIND: platform_without_number}, base_delay=0.0, lease=timedelta(0), max_attempts=3
    )
    for _ in range(6):
        worker.run_once()
    assert len(posts) == 3 and len(set(posts)) == 1  # bounded, and always the same idempotency key
    assert complaints.outbox.counts() == {"dead": 1}
    [dead] = complaints.outbox.items("dead")
    assert dead.attempts == 3 and "number" in dead.last_error
    assert complaints.outbox.retry_now(dead.id) == 1  # an operator requeues it after fixing the cause
    assert complaints.outbox.counts() == {"pending": 1} and complaints.outbox.items("pending")[0].attempts == 0
    store.engine.dispose()
