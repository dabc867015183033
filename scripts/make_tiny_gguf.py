"""Write a tiny random-weight llama GGUF that llama-server loads, for fast protocol tests.

2 layers, 64 dimensions, a byte-level vocabulary (256 byte tokens plus <unk>, <s>, </s>), so
any text tokenizes and any JSON grammar can be followed. Its answers are noise, which is what
a protocol test with a bounded schema needs: the server's grammar, not the model, shapes them.

Usage: python scripts/make_tiny_gguf.py OUT.gguf [--force]
"""

from __future__ import annotations

import argparse
import os
import sys

N_EMBD = 64
N_LAYERS = 2
N_HEADS = 4
N_FF = 128
N_CTX = 2048
SEED = 1234

# gguf token types (llama.cpp's llama_token_type)
NORMAL, UNKNOWN, CONTROL, BYTE = 1, 2, 3, 6

# ChatML: a template is required by /v1/chat/completions; rendered as plain bytes here.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def byte_vocabulary():
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [UNKNOWN, CONTROL, CONTROL] + [BYTE] * 256
    scores = [0.0] * len(tokens)
    return tokens, scores, types


def tensors(n_vocab: int):
    """Name -> float32 array, shaped (rows, columns) as llama.cpp expects after gguf's reversal."""
    import numpy as np

    rng = np.random.default_rng(SEED)

    def weight(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    ones = np.ones(N_EMBD, dtype=np.float32)
    out = {"token_embd.weight": weight(n_vocab, N_EMBD), "output_norm.weight": ones, "output.weight": weight(n_vocab, N_EMBD)}
    for i in range(N_LAYERS):
        blk = f"blk.{i}."
        out.update(
            {
                blk + "attn_norm.weight": ones,
                blk + "attn_q.weight": weight(N_EMBD, N_EMBD),
                blk + "attn_k.weight": weight(N_EMBD, N_EMBD),
                blk + "attn_v.weight": weight(N_EMBD, N_EMBD),
                blk + "attn_output.weight": weight(N_EMBD, N_EMBD),
                blk + "ffn_norm.weight": ones,
                blk + "ffn_gate.weight": weight(N_FF, N_EMBD),
                blk + "ffn_up.weight": weight(N_FF, N_EMBD),
                blk + "ffn_down.weight": weight(N_EMBD, N_FF),
            }
        )
    return out


def write_tiny_gguf(path: str) -> None:
    import gguf

    tokens, scores, types = byte_vocabulary()
    tmp = path + ".tmp"
    writer = gguf.GGUFWriter(tmp, "llama")
    writer.add_name("aiagent-tiny-random")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYERS)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEADS)
    writer.add_head_count_kv(N_HEADS)
    writer.add_rope_dimension_count(N_EMBD // N_HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    # No "▁" before the text: llama-server checks the rendered generation prompt against the JSON
    # grammar token by token, and a leading space token would not match it.
    writer.add_add_space_prefix(False)
    writer.add_chat_template(CHAT_TEMPLATE)
    for name, array in tensors(len(tokens)).items():
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="path of the .gguf file to write")
    parser.add_argument("--force", action="store_true", help="rewrite it even if it exists")
    args = parser.parse_args(argv)
    if os.path.exists(args.out) and not args.force:
        print(f"already there: {args.out}")
        return 0
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_tiny_gguf(args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
