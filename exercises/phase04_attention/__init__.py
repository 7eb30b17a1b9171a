"""Phase 4: attention: Bahdanau and Luong scores, scaled dot-product, causal and multi-head attention (NumPy)."""
