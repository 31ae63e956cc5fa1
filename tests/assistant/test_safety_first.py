"""An emergency is answered before Rasa, any form or any search, in every mode."""

from __future__ import annotations

import pytest

from assistant.conversation import Conversation
from assistant.retrieval_dialogue import Context, RetrievalDialogue
from tests.assistant.test_conversation import rasa, run  # noqa: F401  (the fake dialogue server)


def test_emergency_is_answered_without_asking_rasa(rasa, stub_retriever, loaded_store):  # noqa: F811
    conv = Conversation(RetrievalDialogue(stub_retriever, loaded_store), rasa.url, timeout=1.0)
    [(mode, replies)] = run(conv, ("web:s1", "家里一股煤气味，好像燃气泄漏了"))
    assert mode == "safety" and not rasa.seen
    text = replies[0].text
    assert "阀门" in text and "通风" in text and "119" in text and "抢修" in text


@pytest.mark.parametrize(
    ("message", "number"),
    [
        ("楼下着火了", "119"),
        ("孩子误吃了药", "120"),
        ("老人走失了", "110"),
        ("电梯困人", "96333"),
        ("不想活了", "12356"),
    ],
)
def test_fallback_answers_emergencies_first(stub_retriever, loaded_store, message, number):
    dialogue = RetrievalDialogue(stub_retriever, loaded_store)
    replies = dialogue.respond("web:s2", message)
    assert number in replies[0].text
    assert "事情发生在哪里" not in replies[0].text and not replies[0].about


def test_the_core_turn_rasa_actions_call_answers_emergencies_too(stub_retriever, loaded_store):
    dialogue = RetrievalDialogue(stub_retriever, loaded_store)
    replies = dialogue.turn(Context(), "我被困在电梯里了")
    assert "96333" in replies[0].text
    assert any(b.payload == "/complain" for b in replies[0].buttons)  # 12345 offered afterwards


def test_ordinary_question_sharing_the_words_is_not_an_emergency(rasa, stub_retriever, loaded_store):  # noqa: F811
    conv = Conversation(RetrievalDialogue(stub_retriever, loaded_store), rasa.url, timeout=1.0)
    [(mode, _)] = run(conv, ("web:s3", "燃气报装要什么材料"))
    assert mode == "rasa" and rasa.seen


def test_a_follow_up_of_an_emergency_gets_its_advice_again(stub_retriever, loaded_store):
    dialogue = RetrievalDialogue(stub_retriever, loaded_store)
    dialogue.respond("web:s4", "楼下着火了，烟很大")
    again = dialogue.respond("web:s4", "我们住在12楼，下不去怎么办")[0].text
    assert "119" in again and "湿毛巾" in again
    other = dialogue.respond("web:s5", "我们住在12楼，下不去怎么办")[0].text  # nobody reported a fire
    assert "119" not in other


def test_the_follow_up_reaching_another_worker_gets_the_advice_too(stub_retriever, loaded_store, redis_url):
    """Two workers on one Redis: the fire is reported to one, "下不去怎么办" reaches the other."""
    from assistant.dialogue.context import ConversationMemory
    from assistant.dialogue.safety import RECENT
    from foundation.shared_state import RedisState

    states = [RedisState(redis_url), RedisState(redis_url)]
    try:
        reporting, other = (
            Conversation(RetrievalDialogue(stub_retriever, loaded_store, memory=ConversationMemory(s)), "")
            for s in states
        )
        [(mode, _)] = run(reporting, ("web:s6", "楼下着火了，烟很大"))
        assert mode == "safety" and RECENT.get("web:s6") is None  # in Redis, not in this process
        [(mode, replies)] = run(other, ("web:s6", "我们住在12楼，下不去怎么办"))
        assert mode == "safety" and "119" in replies[0].text and "湿毛巾" in replies[0].text
        [(mode, replies)] = run(other, ("web:s7", "我们住在12楼，下不去怎么办"))  # nobody reported a fire
        assert mode != "safety" and "119" not in replies[0].text
    finally:
        for state in states:
            state.close()
