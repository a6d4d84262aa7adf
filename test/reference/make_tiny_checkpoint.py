#!/usr/bin/env python3
"""Writes a tiny random decoder checkpoint in Hugging Face format (and optionally a PEFT LoRA adapter).

    /usr/bin/python3 test/reference/make_tiny_checkpoint.py --arch llama --out /tmp/tiny-llama
    /usr/bin/python3 test/reference/make_tiny_checkpoint.py --arch qwen2 --shards 2 --dtype bfloat16 \\
        --out /tmp/tiny-qwen2 --lora-out /tmp/tiny-qwen2-lora --lora-targets q_proj,v_proj

Needs only numpy. Output is a pure function of the options (weights from numpy's PCG64 seeded by --seed).
Written files: config.json, model.safetensors (or model-0000k-of-0000n.safetensors + index), tokenizer.json,
tokenizer_config.json, generation_config.json; with --lora-out: adapter_config.json, adapter_model.safetensors.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import DTYPE_NAMES, write_safetensors  # noqa: E402
from tiny_bpe import build_tokenizer_json  # noqa: E402

ARCHS = (
    "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "gemma3", "phi3", "smollm3", "olmo2",
)
GEMMAS = ("gemma", "gemma2", "gemma3_text", "gemma3")
NUM_MERGES = 253
TRANSFORMERS_VERSION = "4.51.0"
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
# Per family: class name, defaults that differ, and whether head_dim is written to config.json.
FAMILY = {
    "llama": dict(cls="LlamaForCausalLM", theta=10000.0, eps=1e-5, kv=2, explicit_head_dim=False),
    "mistral": dict(cls="MistralForCausalLM", theta=1000000.0, eps=1e-5, kv=2, explicit_head_dim=False),
    "qwen2": dict(cls="Qwen2ForCausalLM", theta=1000000.0, eps=1e-6, kv=2, explicit_head_dim=False),
    "qwen3": dict(cls="Qwen3ForCausalLM", theta=1000000.0, eps=1e-6, kv=2, explicit_head_dim=True),
    "gemma": dict(cls="GemmaForCausalLM", theta=10000.0, eps=1e-6, kv=1, explicit_head_dim=True),
    "gemma2": dict(cls="Gemma2ForCausalLM", theta=10000.0, eps=1e-6, kv=2, explicit_head_dim=True),
    "gemma3_text": dict(cls="Gemma3ForCausalLM", theta=1000000.0, eps=1e-6, kv=2, explicit_head_dim=True),
    # The image-text checkpoint: config.json holds the text tower in text_config, its weights under language_model.
    "gemma3": dict(cls="Gemma3ForConditionalGeneration", theta=1000000.0, eps=1e-6, kv=2, explicit_head_dim=True),
    "phi3": dict(cls="Phi3ForCausalLM", theta=10000.0, eps=1e-5, kv=2, explicit_head_dim=False),
    "smollm3": dict(cls="SmolLM3ForCausalLM", theta=5000000.0, eps=1e-6, kv=2, explicit_head_dim=False),
    "olmo2": dict(cls="Olmo2ForCausalLM", theta=500000.0, eps=1e-6, kv=2, explicit_head_dim=False),
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=ARCHS, default="llama")
    p.add_argument("--out", required=True, help="directory to write the checkpoint into (created)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--intermediate", type=int, default=None, help="default: 2 × hidden")
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=None, help="default: 2 (gemma: 1)")
    p.add_argument("--head-dim", type=int, default=None, help="default: hidden/heads (qwen3, gemma: 2×that)")
    p.add_argument("--vocab", type=int, default=None, help="model vocab size ≥ tokenizer size (default: equal)")
    p.add_argument("--tie", action="store_true", help="tie lm_head to embed_tokens (gemma*: always tied)")
    p.add_argument(
        "--sliding-window",
        type=int,
        default=None,
        help="sliding window size (mistral, phi3: every layer; qwen2/qwen3: use_sliding_window on layers >= "
        "--max-window-layers; gemma2/gemma3*: their layer pattern). Default: the family's usual config",
    )
    p.add_argument("--max-window-layers", type=int, default=None, help="qwen2/qwen3 (default: layers // 2)")
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default="float32")
    p.add_argument("--partial-rotary", type=float, default=None, help="write partial_rotary_factor (phi3: 0.75 as Phi-4-mini)")
    p.add_argument(
        "--longrope",
        type=int,
        default=None,
        help="phi3: longrope with this original_max_position_embeddings (max_position_embeddings 4 × that), as Phi-3.5",
    )
    p.add_argument("--no-rope-layers", default=None, help="smollm3: comma-separated 1 (RoPE) / 0 (NoPE) per layer")
    p.add_argument("--lora-out", default=None, help="also write a random PEFT LoRA adapter here")
    p.add_argument("--lora-r", type=int, default=4)
    p.add_argument("--lora-alpha", type=float, default=8)
    p.add_argument("--lora-targets", default="q_proj,v_proj")
    p.add_argument("--lora-rslora", action="store_true", help="write use_rslora: true (scale alpha/sqrt(r))")
    p.add_argument(
        "--lora-dora",
        action="store_true",
        help="write use_dora: true and a random lora_magnitude_vector [out] per module (‖W + s·B·A‖ × U(0.7, 1.3))",
    )
    return p.parse_args(argv)


def model_dims(args, tokenizer_vocab):
    """Resolves the defaults into the numbers config.json will hold."""
    fam = FAMILY[args.arch]
    base_head_dim = args.hidden // args.heads
    head_dim = args.head_dim or (2 * base_head_dim if fam["explicit_head_dim"] else base_head_dim)
    vocab = args.vocab or tokenizer_vocab
    if vocab < tokenizer_vocab:
        raise SystemExit(f"--vocab {vocab} is smaller than the tokenizer's {tokenizer_vocab} tokens")
    kv = args.kv_heads or fam["kv"]
    if args.heads % kv:
        raise SystemExit(f"--heads {args.heads} must be a multiple of --kv-heads {kv}")
    tie = args.tie or args.arch in GEMMAS
    return dict(head_dim=head_dim, vocab=vocab, kv=kv, tie=tie, inter=args.intermediate or 2 * args.hidden)


def make_config(args, dims, ids):
    """Builds config.json with the fields the real family's config carries."""
    fam = FAMILY[args.arch]
    cfg = {
        "architectures": [fam["cls"]],
        "attention_dropout": 0.0,
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "hidden_act": "silu",
        "hidden_size": args.hidden,
        "initializer_range": 0.02,
        "intermediate_size": dims["inter"],
        "max_position_embeddings": 2048,
        "model_type": args.arch,
        "num_attention_heads": args.heads,
        "num_hidden_layers": args.layers,
        "num_key_value_heads": dims["kv"],
        "rms_norm_eps": fam["eps"],
        "rope_theta": fam["theta"],
        "tie_word_embeddings": dims["tie"],
        "torch_dtype": args.dtype,
        "transformers_version": TRANSFORMERS_VERSION,
        "use_cache": True,
        "vocab_size": dims["vocab"],
    }
    if fam["explicit_head_dim"]:
        cfg["head_dim"] = dims["head_dim"]
    if args.arch in ("llama", "qwen3", "gemma"):
        cfg["attention_bias"] = False
    if args.arch == "llama":
        cfg.update(mlp_bias=False, pretraining_tp=1, rope_scaling=None)
    if args.arch == "qwen3":
        cfg["rope_scaling"] = None
    if args.arch == "mistral":
        cfg["sliding_window"] = args.sliding_window or 4096
    if args.arch in ("qwen2", "qwen3"):
        if args.sliding_window:
            mwl = args.layers // 2 if args.max_window_layers is None else args.max_window_layers
            cfg.update(max_window_layers=mwl, sliding_window=args.sliding_window, use_sliding_window=True)
        else:
            cfg.update(max_window_layers=args.layers, sliding_window=None, use_sliding_window=False)
    if args.partial_rotary is not None:
        cfg["partial_rotary_factor"] = args.partial_rotary
    if args.arch == "phi3":
        phi3_fields(args, dims, cfg)
    if args.arch == "smollm3":
        # As SmolLM3-3B writes them: the explicit list (1 = RoPE) next to the interval it came from.
        flags = args.no_rope_layers or ",".join(str(int((i + 1) % 2 != 0)) for i in range(args.layers))
        no_rope = [int(f) for f in flags.split(",")]
        cfg.update(
            attention_bias=False,
            mlp_bias=False,
            no_rope_layers=no_rope,
            no_rope_layer_interval=2,
            layer_types=["full_attention"] * args.layers,
            rope_scaling=None,
            sliding_window=None,
            use_sliding_window=False,
            pad_token_id=ids["<|endoftext|>"],
        )
    if args.arch == "olmo2":
        cfg.update(attention_bias=False, rope_scaling=None, pad_token_id=ids["<|endoftext|>"])
    if args.arch in ("gemma2", "gemma3_text", "gemma3"):
        return gemma2_or_3_config(args, dims, cfg, ids)
    if args.arch == "gemma":
        # Real Gemma configs omit tie_word_embeddings (GemmaConfig defaults it to true) and carry both keys.
        del cfg["tie_word_embeddings"]
        cfg.update(
            hidden_act="gelu_pytorch_tanh",
            hidden_activation="gelu_pytorch_tanh",
            pad_token_id=ids["<|endoftext|>"],
            rope_scaling=None,
        )
    return dict(sorted(cfg.items()))


def phi3_fields(args, dims, cfg):
    """Phi-3's config fields (dropouts, sliding_window, original_max_position_embeddings; longrope as Phi-3.5)."""
    window = args.sliding_window or 262144
    cfg.update(attention_bias=False, embd_pdrop=0.0, resid_pdrop=0.0, sliding_window=window, rope_scaling=None)
    cfg["original_max_position_embeddings"] = args.longrope or 4096
    if args.longrope:
        pairs = int(dims["head_dim"] * (args.partial_rotary or 1.0)) // 2
        ramp = [1.0 + k / max(pairs - 1, 1) for k in range(pairs)]
        cfg["max_position_embeddings"] = 4 * args.longrope
        cfg["rope_scaling"] = {
            "long_factor": [1.0 + 5.0 * (r - 1.0) for r in ramp],
            "short_factor": [1.0 + 0.5 * (r - 1.0) for r in ramp],
            "type": "longrope",
        }


def gemma2_or_3_config(args, dims, cfg, ids):
    """Gemma 2 / Gemma 3 fields; query_pre_attn_scalar differs from head_dim so the scale is visible."""
    del cfg["tie_word_embeddings"]
    cfg["hidden_act"] = "gelu_pytorch_tanh"
    cfg.update(
        attention_bias=False,
        hidden_activation="gelu_pytorch_tanh",
        pad_token_id=ids["<|endoftext|>"],
        query_pre_attn_scalar=args.hidden // args.heads,
        sliding_window=args.sliding_window or 4096,
    )
    if args.arch == "gemma2":
        cfg.update(attn_logit_softcapping=50.0, final_logit_softcapping=30.0, cache_implementation="hybrid")
        return dict(sorted(cfg.items()))
    # Gemma 3: global RoPE base rope_theta (+ rope_scaling), local rope_local_base_freq; one global layer in 2.
    cfg.update(
        attn_logit_softcapping=None,
        final_logit_softcapping=None,
        rope_local_base_freq=10000.0,
        rope_scaling=None,
        sliding_window_pattern=2,
    )
    if args.arch == "gemma3_text":
        return dict(sorted(cfg.items()))
    text = {k: v for k, v in cfg.items() if k not in ("architectures", "transformers_version", "torch_dtype")}
    text["model_type"] = "gemma3_text"
    return {
        "architectures": [FAMILY["gemma3"]["cls"]],
        "boi_token_index": ids["<|im_start|>"],
        "eoi_token_index": ids["<|im_end|>"],
        "eos_token_id": ids["<|im_end|>"],
        "image_token_index": ids["<|endoftext|>"],
        "mm_tokens_per_image": 4,
        "model_type": "gemma3",
        "text_config": dict(sorted(text.items())),
        "torch_dtype": args.dtype,
        "transformers_version": TRANSFORMERS_VERSION,
        "vision_config": {"hidden_size": 8, "model_type": "siglip_vision_model", "num_hidden_layers": 1},
    }


def make_weights(args, dims, rng):
    """Random weights with HF names and [out, in] layout, scaled so activations stay O(1)."""
    H, hd, nh, kv, inter = args.hidden, dims["head_dim"], args.heads, dims["kv"], dims["inter"]
    gemma = args.arch in GEMMAS
    sandwich = args.arch in ("gemma2", "gemma3_text", "gemma3")

    def linear(out_dim, in_dim):
        return rng.standard_normal((out_dim, in_dim)) / np.sqrt(in_dim)

    def norm(size):
        # Gemma stores w and uses (1 + w); the others use w directly.
        return (0.0 if gemma else 1.0) + 0.1 * rng.standard_normal(size)

    w = {"model.embed_tokens.weight": rng.standard_normal((dims["vocab"], H)) / np.sqrt(H)}
    for i in range(args.layers):
        p = f"model.layers.{i}."
        if args.arch != "olmo2":
            w[p + "input_layernorm.weight"] = norm(H)
        w[p + "self_attn.q_proj.weight"] = linear(nh * hd, H)
        w[p + "self_attn.k_proj.weight"] = linear(kv * hd, H)
        w[p + "self_attn.v_proj.weight"] = linear(kv * hd, H)
        w[p + "self_attn.o_proj.weight"] = linear(H, nh * hd)
        if args.arch == "qwen2":
            w[p + "self_attn.q_proj.bias"] = 0.1 * rng.standard_normal(nh * hd)
            w[p + "self_attn.k_proj.bias"] = 0.1 * rng.standard_normal(kv * hd)
            w[p + "self_attn.v_proj.bias"] = 0.1 * rng.standard_normal(kv * hd)
        if args.arch in ("qwen3", "gemma3_text", "gemma3"):
            w[p + "self_attn.q_norm.weight"] = norm(hd)
            w[p + "self_attn.k_norm.weight"] = norm(hd)
        if args.arch == "olmo2":
            w[p + "self_attn.q_norm.weight"] = norm(nh * hd)
            w[p + "self_attn.k_norm.weight"] = norm(kv * hd)
        w[p + "post_attention_layernorm.weight"] = norm(H)
        if sandwich:
            w[p + "pre_feedforward_layernorm.weight"] = norm(H)
            w[p + "post_feedforward_layernorm.weight"] = norm(H)
        w[p + "mlp.gate_proj.weight"] = linear(inter, H)
        w[p + "mlp.up_proj.weight"] = linear(inter, H)
        w[p + "mlp.down_proj.weight"] = linear(H, inter)
        if args.arch == "olmo2":
            w[p + "post_feedforward_layernorm.weight"] = norm(H)
        if args.arch == "phi3":  # fused as Phi-3 stores them: q|k|v rows, gate|up rows
            qkv = [w.pop(p + f"self_attn.{n}_proj.weight") for n in "qkv"]
            w[p + "self_attn.qkv_proj.weight"] = np.concatenate(qkv, axis=0)
            gate_up = [w.pop(p + f"mlp.{n}_proj.weight") for n in ("gate", "up")]
            w[p + "mlp.gate_up_proj.weight"] = np.concatenate(gate_up, axis=0)
    w["model.norm.weight"] = norm(H)
    # Drawn last and always, so tied and untied checkpoints of one seed share every other tensor.
    lm_head = linear(dims["vocab"], H)
    if not dims["tie"]:
        w["lm_head.weight"] = lm_head
    if args.arch == "gemma3":  # the image-text layout: text tower under language_model., plus a vision tensor
        w = {"language_model." + k: v for k, v in w.items()}
        w["vision_tower.vision_model.post_layernorm.weight"] = norm(8)
    return {k: v.astype(np.float32) for k, v in w.items()}


def write_weights(out_dir, weights, shards, dtype):
    """Writes model.safetensors, or `shards` files plus model.safetensors.index.json."""
    st_dtype = DTYPE_NAMES[dtype]
    for stale in os.listdir(out_dir):  # a rerun into the same directory must not leave old shards behind
        if stale.startswith("model") and (stale.endswith(".safetensors") or stale.endswith(".index.json")):
            os.remove(os.path.join(out_dir, stale))
    if shards <= 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), weights, st_dtype)
        return
    names = sorted(weights)
    groups = [names[k::shards] for k in range(shards)]
    weight_map, total = {}, 0
    for k, group in enumerate(groups):
        fname = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        total += write_safetensors(os.path.join(out_dir, fname), {n: weights[n] for n in group}, st_dtype)
        weight_map.update({n: fname for n in group})
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    write_json(os.path.join(out_dir, "model.safetensors.index.json"), index)


def tokenizer_config(args, ids):
    """tokenizer_config.json: special tokens, added_tokens_decoder and a ChatML chat template."""
    qwen = args.arch in ("qwen2", "qwen3")
    decoder = {
        str(i): {
            "content": tok,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for tok, i in ids.items()
    }
    return {
        "add_prefix_space": False,
        "added_tokens_decoder": decoder,
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        "bos_token": None if qwen else "<|endoftext|>",
        "chat_template": CHATML_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 2048,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer" if qwen else "PreTrainedTokenizerFast",
        "unk_token": None,
    }


def generation_config(args, ids):
    """generation_config.json; Qwen-style families list two eos ids, the others one."""
    qwen = args.arch in ("qwen2", "qwen3")
    eos = [ids["<|im_end|>"], ids["<|endoftext|>"]] if qwen else ids["<|im_end|>"]
    return {
        "bos_token_id": ids["<|endoftext|>"],
        "do_sample": False,
        "eos_token_id": eos,
        "pad_token_id": ids["<|endoftext|>"],
        "transformers_version": TRANSFORMERS_VERSION,
    }


def write_lora(args, dims, weights, out_dir):
    """Writes a random PEFT LoRA adapter (B non-zero; with --lora-dora a magnitude too) for every module named in
    --lora-targets."""
    rng = np.random.default_rng([args.seed, 1])
    targets = [t.strip() for t in args.lora_targets.split(",") if t.strip()]
    tensors = {}
    for name in sorted(weights):
        module = name[: -len(".weight")]
        if not name.endswith(".weight") or module.split(".")[-1] not in targets or weights[name].ndim != 2:
            continue
        out_dim, in_dim = weights[name].shape
        tensors[f"base_model.model.{module}.lora_A.weight"] = rng.standard_normal((args.lora_r, in_dim)) / np.sqrt(
            in_dim
        )
        tensors[f"base_model.model.{module}.lora_B.weight"] = 0.2 * rng.standard_normal((out_dim, args.lora_r))
        if args.lora_dora:
            scale = args.lora_alpha / (np.sqrt(args.lora_r) if args.lora_rslora else args.lora_r)
            a, b = tensors[f"base_model.model.{module}.lora_A.weight"], tensors[f"base_model.model.{module}.lora_B.weight"]
            norm = np.linalg.norm(weights[name].astype(np.float64) + scale * (b @ a), axis=1)
            tensors[f"base_model.model.{module}.lora_magnitude_vector"] = norm * rng.uniform(0.7, 1.3, out_dim)
    if not tensors:
        raise SystemExit(f"--lora-targets {args.lora_targets} matched no linear layer")
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, "adapter_model.safetensors"), tensors, "F32")
    write_json(os.path.join(out_dir, "adapter_config.json"), adapter_config(args, targets))


def adapter_config(args, targets):
    """adapter_config.json with the keys PEFT's LoraConfig.save_pretrained writes."""
    return {
        "alpha_pattern": {},
        "auto_mapping": None,
        "base_model_name_or_path": os.path.abspath(args.out),
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": True,
        "layer_replication": None,
        "layers_pattern": None,
        "layers_to_transform": None,
        "loftq_config": {},
        "lora_alpha": args.lora_alpha,
        "lora_dropout": 0.0,
        "megatron_config": None,
        "megatron_core": "megatron.core",
        "modules_to_save": None,
        "peft_type": "LORA",
        "r": args.lora_r,
        "rank_pattern": {},
        "revision": None,
        "target_modules": sorted(targets),
        "task_type": "CAUSAL_LM",
        "use_dora": args.lora_dora,
        "use_rslora": args.lora_rslora,
    }


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main(argv):
    args = parse_args(argv)
    tokenizer, ids = build_tokenizer_json(NUM_MERGES)
    dims = model_dims(args, len(tokenizer["model"]["vocab"]) + len(ids))
    weights = make_weights(args, dims, np.random.default_rng(args.seed))
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "config.json"), make_config(args, dims, ids))
    write_weights(args.out, weights, args.shards, args.dtype)
    write_json(os.path.join(args.out, "tokenizer.json"), tokenizer)
    write_json(os.path.join(args.out, "tokenizer_config.json"), tokenizer_config(args, ids))
    write_json(os.path.join(args.out, "generation_config.json"), generation_config(args, ids))
    if args.lora_out:
        write_lora(args, dims, weights, args.lora_out)


if __name__ == "__main__":
    main(sys.argv[1:])
