"""Phase 10: the learner's own results as figures and numbers a blog post can cite (make blog)."""
