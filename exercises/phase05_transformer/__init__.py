"""Phase 5: the transformer (Vaswani et al. 2017) in NumPy: layer norm, GELU, positions, blocks, the full
encoder-decoder forward and backward, trained on reversal and on Shakespeare's characters."""
