"""Search indexes over the short texts of guides and bundles: BM25 (jieba tokens) and faiss (vectors)."""
