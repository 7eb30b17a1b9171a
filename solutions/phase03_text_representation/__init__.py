"""Phase 3: text as numbers: character and byte-level BPE tokenizers, embeddings, word2vec (NumPy)."""
