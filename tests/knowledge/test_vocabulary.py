from knowledge.vocabulary import kb_words


def test_kb_words_come_from_names_materials_and_licences(sample_entries):
    words = kb_words(sample_entries)
    assert {"居民身份证补领", "不动产权证书", "开办餐饮店"} <= words
