"""Phase 6: PyTorch, proven to compute what phases 1, 4 and 5 compute by hand."""
