"""Phase 8: training GPT: data sampling, AdamW, schedules, precision, checkpoints, the trainer."""
