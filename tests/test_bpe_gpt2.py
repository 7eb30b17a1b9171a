"""Engine test (slow, about 5 s): the reference BPETokenizer.gpt2() equals tiktoken's GPT-2 encoding on the
whole Shakespeare corpus, token for token. Phase 3's checks test a random 400,000-character slice."""
from grading.trees import Tree


def test_reference_gpt2_bpe_equals_tiktoken_on_the_whole_corpus():
    from data.gpt2_tokenizer import tiktoken_gpt2
    from data.shakespeare import load_text

    bpe = Tree("solutions").load("phase03_text_representation.bpe")
    text = load_text()
    ours, theirs = bpe.BPETokenizer.gpt2().encode(text), tiktoken_gpt2().encode_ordinary(text)
    assert len(ours) == len(theirs), f"{len(ours)} tokens against tiktoken's {len(theirs)}"
    first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), None)
    assert first is None, f"first difference at token {first}: {ours[first:first + 5]} vs {theirs[first:first + 5]}"
