"""Phase 9: modern developments: RMSNorm, RoPE, SwiGLU, grouped-query and sliding-window attention, tiled
attention with an online softmax, LoRA, preference learning, Muon, and a LLaMA-style GPT built from them."""
from .norm import rms_norm
from .rope import apply_rope

__all__ = ["apply_rope", "rms_norm"]
