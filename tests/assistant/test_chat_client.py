"""`yichuang chat`: a terminal conversation with the running service, numbers pick buttons."""

from __future__ import annotations

from assistant.chat_client import run
from tests.connectors.fakes import serve


def _session(url, lines):
    said, inputs = [], iter(lines)

    def read(prompt):
        try:
            return next(inputs)
        except StopIteration:
            raise EOFError from None

    assert run(url, read=read, write=said.append) == 0
    return said


def test_a_terminal_conversation_with_numbered_choices(app_client, stub_retriever):
    client = app_client(stub_retriever)
    with serve(client.app) as url:
        said = _session(url, ["身份证的事", "1", "", "/quit", "never read"])
    # the degraded notice once (no Rasa here), the clarify question with numbered choices, the answer
    assert said[1].startswith("（对话服务暂时不可用")
    assert "您是不是想问" in said[2] and "回复 1：" in said[2]
    first = said[2].split("回复 1：")[1].split("\n")[0]
    assert said[3].startswith(f"助手：【{first}】")
    assert len(said) == 4


def test_a_service_that_is_not_running_is_explained():
    said = _session("http://127.0.0.1:9", ["你好"])  # then Ctrl-D
    assert "连不上助手服务" in said[1] and "make run" in said[1] and said[2] == ""


def test_a_superscript_digit_is_sent_as_words_not_taken_for_a_choice():
    from assistant.chat_client import ChatClient

    session = ChatClient("http://127.0.0.1:9")
    session.choices = ["居民身份证补领", "居民身份证换领"]
    mode, text = session.turn("²")  # isdigit() is true for it, int() refuses it
    assert "连不上助手服务" in text
