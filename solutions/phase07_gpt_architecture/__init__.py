"""Phase 7: a decoder-only GPT that is GPT-2 Small to the parameter and to the logit."""
