"""The conversation suite (issue 12) against a live Rasa + the app, and against the app alone.

Each mode plays every conversation of ``tests/assistant/conversations`` once (module-scoped)
and prints its report; the gates are issue 12's: ≥ 95 % of conversations with Rasa, ≥ 85 %
in the fallback, every emergency turn right and no false alarm, in both modes. The product
is being brought up to them, so a gate not yet reached is an expected failure whose reason
carries the current figures; ``GATES_ENFORCED = True`` turns them into plain failures.
"""

from __future__ import annotations

import httpx
import pytest

from assistant.app import create_app
from assistant.settings import Settings
from tests.assistant.conversation_runner import Report, http_sender, run_suite
from tests.assistant.conversation_suite import kb_names, load_suite

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
GATES_ENFORCED = False  # issue 12: set True once the product reaches the gates
GATE = pytest.mark.xfail(strict=False, reason="issue 12 gate not reached yet: see the figures")
RASA_GATE, FALLBACK_GATE = 0.95, 0.85


@pytest.fixture(scope="module")
def suite(sample_entries):
    return load_suite(names=kb_names(sample_entries))


@pytest.fixture(scope="module")
def rasa_report(live, suite, capsys_disabled):
    with httpx.Client(base_url=live[0], timeout=30) as client:
        report = Report("Rasa", run_suite(suite, http_sender(client), "suite-rasa", want_mode="rasa"))
    capsys_disabled(report.text())
    return report


@pytest.fixture(scope="module")
def fallback_report(real_retriever, sample_entries, suite, tmp_path_factory, capsys_disabled):
    from fastapi.testclient import TestClient

    settings = Settings(
        var_dir=tmp_path_factory.mktemp("suite-fallback"), search_enabled=False, rasa_url="",
        rate_limit_per_minute=100_000, rate_limit_burst=100_000,
    )  # fmt: skip
    with TestClient(create_app(settings, retriever=real_retriever)) as client:
        client.app.state.services.store.save_many(sample_entries, author="seed", publish=True)
        report = Report("fallback", run_suite(suite, http_sender(client), "suite-fb", want_mode="retrieval"))
    capsys_disabled(report.text())
    return report


@pytest.fixture(scope="module")
def capsys_disabled(pytestconfig):
    """Print a report past pytest's capture (the figures belong in the test log)."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def show(text: str) -> None:
        with capture.global_and_fixture_disabled():
            print("\n" + text)

    return show


def gate(ok: bool, figures: str) -> None:
    if ok:
        return
    if GATES_ENFORCED:
        pytest.fail(figures)
    pytest.xfail(figures)


def test_every_conversation_was_played(rasa_report, fallback_report, suite):
    for report in (rasa_report, fallback_report):
        assert len(report.results) == len(suite)
        errors = [
            (r.conversation.id, t.index, t.reasons) for r in report.results for t in r.turns if t.mode == "error"
        ]
        assert not errors, errors  # a 500 or a timeout is never an acceptable answer


@GATE
def test_pass_rate_with_rasa(rasa_report):
    gate(rasa_report.rate()[0] >= RASA_GATE, rasa_report.figures())


@GATE
def test_pass_rate_in_the_fallback(fallback_report):
    gate(fallback_report.rate()[0] >= FALLBACK_GATE, fallback_report.figures())


@GATE
@pytest.mark.parametrize("mode", ["rasa", "fallback"])
def test_every_emergency_answered_first_with_the_right_numbers(mode, request):
    report = request.getfixturevalue(f"{mode}_report")
    gate(report.emergency[0] == 1.0, report.figures())


@GATE
@pytest.mark.parametrize("mode", ["rasa", "fallback"])
def test_no_false_alarms(mode, request):
    report = request.getfixturevalue(f"{mode}_report")
    alarms, ordinary = report.false_alarms
    assert ordinary >= 40  # issue 12: at least 40 ordinary questions that share emergency words
    gate(alarms == 0, report.figures())
