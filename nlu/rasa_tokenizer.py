"""Rasa's JiebaTokenizer without whitespace tokens (RasaHQ/rasa#7910).

jieba returns spaces as tokens ("我 想 办" → "我", " ", "想", …); they carry no meaning and
break entity spans and the featurizers' n-grams. This module is imported only by the Rasa
process (``.venv-rasa``, see ``config.yml``); the app never imports Rasa.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
class ChineseTokenizer(JiebaTokenizer):
    """Jieba with the project's dictionary folder, minus whitespace-only tokens."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        return [t for t in super().tokenize(message, attribute) if t.text.strip()]
