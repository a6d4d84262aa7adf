"""An independent PyTorch implementation of Hugging Face decoder forward passes, written from HF conventions.

Families: llama, mistral (sliding window ignored), qwen2 (q/k/v biases), qwen3 (per-head q/k RMSNorm before
RoPE, explicit head_dim), gemma (embeddings × √hidden, RMSNorm with (1 + w), gelu-tanh gated MLP).
Dimension letters: B batch, T sequence, H hidden, N query heads, K key/value heads, D head_dim, V vocab.
Runs in float32 (or float64), eager, no KV cache. LoRA (PEFT) deltas are added to any linear layer that has one.
"""

import json
import math
import os
import re

import torch

from rope_reference import rope_parameters
from safetensors_io import read_checkpoint_weights, read_safetensors

FAMILIES = ("llama", "mistral", "qwen2", "qwen3", "gemma")
_TIED_BY_DEFAULT = {"gemma"}


def rms_norm(x, weight, eps, gemma=False):
    """HF RMSNorm: x / sqrt(mean(x²) + eps) times w (Llama) or (1 + w) (Gemma)."""
    normed = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return normed * ((1.0 + weight) if gemma else weight)


def rotate_half(x):
    """Non-interleaved RoPE helper: [x1, x2] -> [-x2, x1] over the last dimension."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope_cos_sin(positions, inv_freq, attention_factor, dtype):
    """cos/sin tables [B, T, R] for integer positions [B, T] (R = 2 × len(inv_freq)), angles duplicated, times
    the RoPE variant's attention factor."""
    angles = positions.to(torch.float64)[..., None] * inv_freq
    emb = torch.cat((angles, angles), dim=-1)
    return (emb.cos() * attention_factor).to(dtype), (emb.sin() * attention_factor).to(dtype)


def apply_rope(x, cos, sin):
    """Rotates the first R dims of x [B, heads, T, D] by the [B, T, R] tables; the rest pass (partial rotary)."""
    r = cos.shape[-1]
    rot, rest = x[..., :r], x[..., r:]
    return torch.cat((rot * cos[:, None] + rotate_half(rot) * sin[:, None], rest), dim=-1)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


ACTIVATIONS = {"silu": torch.nn.functional.silu, "gelu_pytorch_tanh": gelu_tanh, "gelu": torch.nn.functional.gelu}


def read_config(model_dir):
    """Reads config.json and resolves the per-family defaults the model code relies on."""
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    family = cfg.get("model_type")
    if family not in FAMILIES:
        raise ValueError(f"model_type {family!r} is not supported; expected one of {', '.join(FAMILIES)}")
    heads = cfg["num_attention_heads"]
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // heads
    rope_parameters(cfg, head_dim)  # fails early on an unsupported variant
    # Gemma reads hidden_activation (falling back to hidden_act); the others read hidden_act.
    act = (cfg.get("hidden_activation") or cfg.get("hidden_act")) if family == "gemma" else cfg.get("hidden_act")
    if act not in ACTIVATIONS:
        raise ValueError(f"activation {act!r} is not supported; expected one of {', '.join(ACTIVATIONS)}")
    return {
        "family": family,
        "hidden": cfg["hidden_size"],
        "layers": cfg["num_hidden_layers"],
        "heads": heads,
        "kv_heads": cfg.get("num_key_value_heads") or heads,
        "head_dim": head_dim,
        "eps": cfg["rms_norm_eps"],
        "config": cfg,
        "vocab": cfg["vocab_size"],
        "tie": cfg.get("tie_word_embeddings", family in _TIED_BY_DEFAULT),
        "act": act,
    }


class LoraAdapter:
    """A PEFT LoRA adapter: module name -> (A [r, in], B [out, r]) and one scale (alpha/r or alpha/√r)."""

    def __init__(self, adapter_dir, dtype):
        with open(os.path.join(adapter_dir, "adapter_config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        if cfg.get("peft_type") != "LORA" or cfg.get("use_dora") or cfg.get("rank_pattern") or cfg.get(
            "alpha_pattern"
        ):
            raise ValueError("only plain LoRA adapters (no DoRA, rank_pattern or alpha_pattern) are supported")
        r, alpha = cfg["r"], cfg["lora_alpha"]
        self.scale = alpha / math.sqrt(r) if cfg.get("use_rslora") else alpha / r
        self.tensors = {}
        for name, value in read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors")).items():
            self.tensors[name] = torch.tensor(value, dtype=dtype)
        self.targets = cfg["target_modules"]

    def pair(self, module):
        """Returns (A, B) for an HF module name such as `model.layers.0.self_attn.q_proj`, or None."""
        a = self.tensors.get(f"base_model.model.{module}.lora_A.weight")
        b = self.tensors.get(f"base_model.model.{module}.lora_B.weight")
        if a is None or b is None:
            return None
        if isinstance(self.targets, str):
            matched = re.fullmatch(self.targets, module) is not None
        else:
            matched = any(module == t or module.endswith("." + t) for t in self.targets)
        return (a, b) if matched else None


class ReferenceModel:
    """Weights (torch tensors in one dtype) plus the config; `forward` returns logits and final hidden states."""

    def __init__(self, model_dir, dtype=torch.float32, adapter_dir=None):
        self.cfg = read_config(model_dir)
        self.dtype = dtype
        self.weights = {k: torch.tensor(v, dtype=dtype) for k, v in read_checkpoint_weights(model_dir).items()}
        self.adapter = LoraAdapter(adapter_dir, dtype) if adapter_dir else None
        if not self.cfg["tie"] and "lm_head.weight" not in self.weights:
            raise ValueError(f"{model_dir}: tie_word_embeddings is false but there is no lm_head.weight")

    def linear(self, x, module):
        """x @ Wᵀ (+ b) (+ scale · x @ Aᵀ @ Bᵀ when the adapter targets this module)."""
        y = x @ self.weights[module + ".weight"].T
        bias = self.weights.get(module + ".bias")
        if bias is not None:
            y = y + bias
        lora = self.adapter.pair(module) if self.adapter else None
        if lora is not None:
            y = y + (x @ lora[0].T @ lora[1].T) * self.adapter.scale
        return y

    def attention(self, x, prefix, cos, sin, mask):
        c = self.cfg
        B, T, _ = x.shape
        N, K, D = c["heads"], c["kv_heads"], c["head_dim"]
        q = self.linear(x, prefix + "q_proj").view(B, T, N, D)
        k = self.linear(x, prefix + "k_proj").view(B, T, K, D)
        v = self.linear(x, prefix + "v_proj").view(B, T, K, D).transpose(1, 2)
        if c["family"] == "qwen3":
            q = rms_norm(q, self.weights[prefix + "q_norm.weight"], c["eps"])
            k = rms_norm(k, self.weights[prefix + "k_norm.weight"], c["eps"])
        q = apply_rope(q.transpose(1, 2), cos, sin)
        k = apply_rope(k.transpose(1, 2), cos, sin)
        k = k.repeat_interleave(N // K, dim=1)
        v = v.repeat_interleave(N // K, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        scores = scores.masked_fill(~mask[:, None], torch.finfo(scores.dtype).min)
        out = torch.softmax(scores, dim=-1) @ v
        return self.linear(out.transpose(1, 2).reshape(B, T, N * D), prefix + "o_proj")

    def mlp(self, x, prefix):
        act = ACTIVATIONS[self.cfg["act"]]
        gated = act(self.linear(x, prefix + "gate_proj")) * self.linear(x, prefix + "up_proj")
        return self.linear(gated, prefix + "down_proj")

    def layer(self, x, p, cos, sin, mask):
        """One pre-norm decoder layer (attention and MLP, each with its residual) of module prefix `p`."""
        c, w = self.cfg, self.weights
        gemma = c["family"] == "gemma"
        h = rms_norm(x, w[p + "input_layernorm.weight"], c["eps"], gemma)
        x = x + self.attention(h, p + "self_attn.", cos, sin, mask)
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], c["eps"], gemma)
        return x + self.mlp(h, p + "mlp.")

    def run_layer(self, x, p, cos, sin, mask):
        """Runs `layer`; a subclass may wrap it (e.g. in torch.utils.checkpoint)."""
        return self.layer(x, p, cos, sin, mask)

    def forward(self, input_ids, attention_mask, position_ids, hidden_states=None):
        """Logits [B, T, V] and the final normed hidden states [B, T, H].

        When `hidden_states` is a list, it receives HF's `output_hidden_states` tuple: the embeddings (Gemma:
        scaled), the output of every layer but the last, and the final normed hidden states (L + 1 entries).
        """
        collect = hidden_states.append if hidden_states is not None else (lambda _: None)
        c, w = self.cfg, self.weights
        gemma = c["family"] == "gemma"
        x = w["model.embed_tokens.weight"][input_ids]
        if gemma:
            x = x * torch.tensor(c["hidden"] ** 0.5, dtype=x.dtype)
        T = input_ids.shape[1]
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        mask = causal[None] & attention_mask.bool()[:, None, :]
        inv_freq, attention_factor, _ = rope_parameters(c["config"], c["head_dim"], int(position_ids.max()) + 1)
        cos, sin = rope_cos_sin(position_ids, inv_freq, attention_factor, self.dtype)
        for i in range(c["layers"]):
            collect(x)
            x = self.run_layer(x, f"model.layers.{i}.", cos, sin, mask)
        hidden = rms_norm(x, w["model.norm.weight"], c["eps"], gemma)
        collect(hidden)
        head = w["model.embed_tokens.weight"] if c["tie"] else w["lm_head.weight"]
        lora = self.adapter.pair("lm_head") if self.adapter else None
        logits = hidden @ head.T
        if lora is not None:
            logits = logits + (hidden @ lora[0].T @ lora[1].T) * self.adapter.scale
        return logits, hidden


def causal_lm_loss(logits, labels):
    """HF causal-LM loss: logits[:, :-1] predict labels[:, 1:]; mean over labels != -100."""
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100, reduction="mean"
    )
