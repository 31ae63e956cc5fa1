from knowledge.vocabulary import kb_words
from nlu.dictionary import write_dictionary
from nlu.synonyms import SynonymTable
from nlu.tokenizer import ChineseTokenizer


def test_stopwords_dropped_and_bigrams_do_not_cross_them():
    tk = ChineseTokenizer()
    tokens = tk.tokens("今天天气怎么样")
    assert "怎么样" not in tokens and "#气怎" not in tokens
    assert "#天气" in tokens


def test_domain_dictionary_keeps_service_words_whole(tmp_path, sample_entries):
    folder = write_dictionary(tmp_path / "dict", kb_words(sample_entries), SynonymTable.load())
    assert {"knowledge_base.txt", "curated.txt"} <= {p.name for p in folder.iterdir()}
    words = ChineseTokenizer(folder).words("出生医学证明在哪办")
    assert "出生医学证明" in words
