"""Phase 0: the math foundations (pure Python, then NumPy)."""
