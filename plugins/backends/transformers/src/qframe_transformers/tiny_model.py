"""A tiny random Hugging Face llama checkpoint, written in well under a second, for tests and benches.

Two layers of width 64 (MLP 128, two heads of 32: a size vLLM's CPU attention supports), a byte-level BPE tokenizer trained on a few sentences (every
byte is a token, so any text tokenizes), BOS added to every encoded text, and a chat template.
Weights are random but seeded, so two folders written with the same seed are identical. The
widths are multiples of 32 and 64, so GPTQ/AWQ with those group sizes apply to every layer.
"""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}<s>{{ message['role'] }}\n{{ message['content'] }}</s>\n{% endfor %}"
    "{% if add_generation_prompt %}<s>assistant\n{% endif %}"
)

CORPUS = (
    "The capital of France is Paris. The capital of Italy is Rome.",
    "Water boils at one hundred degrees. Ice melts at zero degrees.",
    "A quantized model stores its weights in fewer bits than the original.",
    "Question: What is two plus two? Answer: four.",
    "user assistant system hello world the a an is of to and in",
)


def write_tiny_llama(path: str | Path, seed: int = 0, vocab_size: int = 384) -> Path:
    """Write a random llama checkpoint with its tokenizer to ``path`` (a folder) and return it."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<unk>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(CORPUS, trainer=trainer)
    bos = bpe.token_to_id("<s>")
    bpe.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>", chat_template=CHAT_TEMPLATE
    )
    tokenizer.save_pretrained(path)

    config = LlamaConfig(
        vocab_size=bpe.get_vocab_size(),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        bos_token_id=bos,
        eos_token_id=bpe.token_to_id("</s>"),
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = config.eos_token_id
    model.save_pretrained(path)
    return path
