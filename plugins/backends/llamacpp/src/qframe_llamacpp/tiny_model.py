"""A tiny, hermetic llama model written from scratch, for tests and benchmarks that need no download.

The file is a complete llama GGUF: SentencePiece ("llama") tokenizer, chat template and random,
seeded weights. Every tensor is stored as F32, so the file is the lossless top of any ladder built
from it and its bits per weight are exactly 32. Every matrix row is a multiple of 256 wide, so all
K-quants apply without fallback types.
"""

from __future__ import annotations

from pathlib import Path

from .atomic import save_gguf

TINY_WORDS = (
    "the",
    "a",
    "cat",
    "dog",
    "sat",
    "on",
    "mat",
    "is",
    "was",
    "and",
    "to",
    "of",
    "in",
    "it",
    "yes",
    "no",
    "hello",
    "world",
    "Paris",
    "France",
    "capital",
    "answer",
    "question",
    "red",
    "blue",
    "green",
    "one",
    "two",
    "three",
    "four",
    "big",
    "small",
    "runs",
    "jumps",
    "sleeps",
    "happy",
    "sad",
    "What",
    "Answer",
    "user",
    "assistant",
)
# The template writes the BOS token itself, as real llama templates do; llama-cpp-python then
# tokenizes the rendered prompt without adding another.
TINY_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)
_SPACE = "\u2581"
_SPECIAL_TOKENS = ("<unk>", "<s>", "</s>")


def tiny_vocabulary() -> tuple[list[str], list[float], list[int]]:
    """Tokens, scores and token types of the tiny SentencePiece vocabulary.

    Unknown, BOS and EOS come first (ids 0, 1, 2), then the 256 byte tokens so any text can be
    encoded, then the word-boundary piece and every prefix of each "▁word" piece. SentencePiece
    merges two symbols only when the merged string is itself a token, so the prefixes are what
    let whole words tokenize as one piece.
    """
    import gguf

    tokens = list(_SPECIAL_TOKENS)
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    tokens += [f"<0x{byte:02X}>" for byte in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    pieces = dict.fromkeys(
        [_SPACE] + [f"{_SPACE}{word}"[:end] for word in TINY_WORDS for end in range(2, len(word) + 2)]
    )
    tokens += list(pieces)
    types += [gguf.TokenType.NORMAL] * len(pieces)
    scores = [0.0] * (len(tokens) - len(pieces)) + [-float(rank) for rank in range(len(pieces))]
    return tokens, scores, [int(t) for t in types]


def write_tiny_llama(
    path: str | Path,
    seed: int = 0,
    width: int = 256,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    ffn_width: int = 512,
    context_length: int = 2048,
    add_bos: bool = True,
) -> Path:
    """Write the tiny llama GGUF to ``path`` and return the path.

    Weights are drawn from a normal distribution seeded by ``seed`` and scaled by
    1/sqrt(fan-in), so logits have unit order and the next-token distribution is neither flat
    nor degenerate. Keep ``width`` and ``ffn_width`` multiples of 256 for fallback-free K-quants.
    ``add_bos=False`` makes a tokenizer that adds no BOS token to prompts (as GPT-2 style ones do).
    """
    import gguf
    import numpy as np

    rng = np.random.default_rng(seed)
    tokens, scores, token_types = tiny_vocabulary()
    head_width = width // heads

    def matrix(rows: int, columns: int) -> np.ndarray:
        return (rng.standard_normal((rows, columns)) / np.sqrt(columns)).astype(np.float32)

    writer = gguf.GGUFWriter(None, "llama")
    writer.add_name("qframe tiny llama")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_context_length(context_length)
    writer.add_embedding_length(width)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ffn_width)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_dimension_count(head_width)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(token_types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(add_bos)
    writer.add_add_eos_token(False)
    writer.add_chat_template(TINY_CHAT_TEMPLATE)

    ones = np.ones(width, dtype=np.float32)
    writer.add_tensor("token_embd.weight", rng.standard_normal((len(tokens), width)).astype(np.float32))
    for layer in range(layers):
        prefix = f"blk.{layer}"
        writer.add_tensor(f"{prefix}.attn_norm.weight", ones)
        writer.add_tensor(f"{prefix}.attn_q.weight", matrix(width, width))
        writer.add_tensor(f"{prefix}.attn_k.weight", matrix(kv_heads * head_width, width))
        writer.add_tensor(f"{prefix}.attn_v.weight", matrix(kv_heads * head_width, width))
        writer.add_tensor(f"{prefix}.attn_output.weight", matrix(width, width))
        writer.add_tensor(f"{prefix}.ffn_norm.weight", ones)
        writer.add_tensor(f"{prefix}.ffn_gate.weight", matrix(ffn_width, width))
        writer.add_tensor(f"{prefix}.ffn_up.weight", matrix(ffn_width, width))
        writer.add_tensor(f"{prefix}.ffn_down.weight", matrix(width, ffn_width))
    writer.add_tensor("output_norm.weight", ones)
    writer.add_tensor("output.weight", matrix(len(tokens), width))
    return save_gguf(writer, path)
