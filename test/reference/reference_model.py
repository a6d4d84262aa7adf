"""An independent PyTorch implementation of Hugging Face decoder forward passes, written from HF conventions.

Families: llama, mistral (sliding_window on every layer), qwen2 (q/k/v biases; use_sliding_window on layers
>= max_window_layers), qwen3 (per-head q/k RMSNorm before RoPE, explicit head_dim), gemma (embeddings × √hidden,
RMSNorm with (1 + w), gelu-tanh gated MLP), gemma2 (gemma + attention/final tanh soft-capping, scores scaled by
query_pre_attn_scalar^-1/2, norms after attention and MLP outputs and before the MLP, sliding window on even
layers), gemma3_text / gemma3 (gemma2's block with (1 + w) q/k norms, no attention soft-cap by default, sliding
window on layers with (i + 1) % sliding_window_pattern != 0 rotated with rope_local_base_freq; a gemma3 config's
text_config with its weights under language_model.), phi3 (fused qkv_proj sliced q|k|v and gate_up_proj chunked
gate|up; "su"/"yarn" rope types mean longrope; original_max_position_embeddings defaults to 4096; sliding_window
on every layer), smollm3 (no RoPE where no_rope_layers[i] == 0, by default every no_rope_layer_interval-th layer;
tied by default), olmo2 (no pre-norms: RMSNorm on the attention and MLP outputs before each residual add; q/k
RMSNorm over the whole projection before the head split). Sliding window W: query q sees keys k with
q - W < k <= q (indices in the padded sequence, as transformers' sliding_window_overlay).
Dimension letters: B batch, T sequence, H hidden, N query heads, K key/value heads, D head_dim, V vocab.
Runs in float32 (or float64), eager, no KV cache. LoRA (PEFT) deltas are added to any linear layer that has one
(DoRA's weight-decomposed form with `use_dora`).
"""

import json
import math
import os
import re

import torch

from rope_reference import rope_parameters
from safetensors_io import read_checkpoint_weights, read_safetensors

FAMILIES = (
    "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "gemma3", "phi3", "smollm3", "olmo2",
)
_TIED_BY_DEFAULT = {"gemma", "gemma2", "gemma3_text", "gemma3", "smollm3"}
_DEFAULT_THETA = {"smollm3": 2000000.0}
# q/k RMSNorm: per head (Qwen3, Gemma 3) or over the whole projection (OLMo 2); other families have none.
_QK_NORM = {"qwen3": "head", "gemma3_text": "head", "gemma3": "head", "olmo2": "projection"}
# Defaults of Gemma2Config and Gemma3TextConfig for the fields the forward reads (a gemma3 text_config is sparse).
_DEFAULTS = {
    "gemma2": dict(
        head_dim=256, query_pre_attn_scalar=256, attn_logit_softcapping=50.0, final_logit_softcapping=30.0,
        sliding_window=4096, rope_theta=10000.0, rms_norm_eps=1e-6,
    ),
    "gemma3_text": dict(
        vocab_size=262208, hidden_size=2304, intermediate_size=9216, num_hidden_layers=26, num_attention_heads=8,
        num_key_value_heads=4, head_dim=256, hidden_activation="gelu_pytorch_tanh", rms_norm_eps=1e-6,
        rope_theta=1000000.0, rope_local_base_freq=10000.0, query_pre_attn_scalar=256, sliding_window=4096,
        sliding_window_pattern=6, attn_logit_softcapping=None, final_logit_softcapping=None,
        max_position_embeddings=131072,
    ),
}


def sliding_layers(family, cfg, layers):
    """Per layer: True where attention uses the sliding window (transformers' layer_types rules)."""
    if cfg.get("layer_types"):
        return [t == "sliding_attention" for t in cfg["layer_types"]]
    if family in ("mistral", "phi3"):
        return [cfg.get("sliding_window") is not None] * layers
    if family in ("qwen2", "qwen3"):
        on = bool(cfg.get("use_sliding_window")) and cfg.get("sliding_window") is not None
        return [on and i >= cfg.get("max_window_layers", 28) for i in range(layers)]
    if family == "gemma2":
        return [i % 2 == 0 for i in range(layers)]
    if family in ("gemma3_text", "gemma3"):
        return [(i + 1) % cfg["sliding_window_pattern"] != 0 for i in range(layers)]
    return [False] * layers


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
    if family == "gemma3":
        cfg = {**cfg["text_config"], "model_type": "gemma3"}
    defaults = _DEFAULTS.get("gemma3_text" if family == "gemma3" else family, {})
    cfg = {**defaults, **cfg}
    heads = cfg["num_attention_heads"]
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // heads
    cfg = family_config(family, cfg)
    rope_parameters(cfg, head_dim)  # fails early on an unsupported variant
    # Gemma reads hidden_activation (falling back to hidden_act); the others read hidden_act.
    gemma = family.startswith("gemma")
    act = (cfg.get("hidden_activation") or cfg.get("hidden_act")) if gemma else cfg.get("hidden_act")
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
        "gemma": gemma,
        "sliding": sliding_layers(family, cfg, cfg["num_hidden_layers"]),
        "window": cfg.get("sliding_window"),
        "scale": cfg["query_pre_attn_scalar"] ** -0.5 if family != "gemma" and gemma else head_dim**-0.5,
        "attn_cap": cfg.get("attn_logit_softcapping") if gemma else None,
        "final_cap": cfg.get("final_logit_softcapping") if gemma else None,
        "qk_norm": _QK_NORM.get(family),
        "sandwich": family in ("gemma2", "gemma3_text", "gemma3"),
        "local_theta": cfg.get("rope_local_base_freq") if family in ("gemma3_text", "gemma3") else None,
        "config": cfg,
        "vocab": cfg["vocab_size"],
        "tie": cfg.get("tie_word_embeddings", family in _TIED_BY_DEFAULT),
        "act": act,
        "use_rope": rope_layers(family, cfg),
    }


def family_config(family, cfg):
    """config.json with the family's config-class defaults filled in (what the model code then reads)."""
    cfg = dict(cfg)
    if family in _DEFAULT_THETA:
        cfg.setdefault("rope_theta", _DEFAULT_THETA[family])
    if family == "phi3":
        # Phi3Config: original_max_position_embeddings defaults to 4096; "su" and "yarn" are old names of longrope.
        cfg.setdefault("original_max_position_embeddings", 4096)
        scaling = cfg.get("rope_scaling")
        if scaling:
            key = "rope_type" if "rope_type" in scaling else "type"
            if scaling.get(key) in ("su", "yarn"):
                cfg["rope_scaling"] = {**scaling, key: "longrope"}
    return cfg


def rope_layers(family, cfg):
    """Per layer, whether it applies RoPE (SmolLM3Config: no_rope_layers[i] == 1 means RoPE)."""
    n = cfg["num_hidden_layers"]
    if family != "smollm3":
        return [True] * n
    flags = cfg.get("no_rope_layers")
    if flags is None:
        interval = cfg.get("no_rope_layer_interval", 4)
        flags = [int((i + 1) % interval != 0) for i in range(n)]
    return [bool(flags[i]) for i in range(n)]


def text_tower_name(name):
    """A gemma3 image-text checkpoint's text weights under Gemma3ForCausalLM's names (others unchanged)."""
    for stored, plain in (("language_model.model.", "model."), ("model.language_model.", "model."),
                          ("language_model.lm_head.", "lm_head.")):
        if name.startswith(stored):
            return plain + name[len(stored):]
    return name


def softcap(x, cap):
    """Gemma 2's tanh soft-capping: cap * tanh(x / cap); identity when cap is None."""
    return x if cap is None else torch.tanh(x / cap) * cap


class LoraAdapter:
    """A PEFT LoRA adapter: module name -> (A [r, in], B [out, r]) and one scale (alpha/r or alpha/√r); with
    `use_dora` also a magnitude m [out] per module (`lora_magnitude_vector`), applied as PEFT's DoraLinearLayer."""

    def __init__(self, adapter_dir, dtype):
        with open(os.path.join(adapter_dir, "adapter_config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        if cfg.get("peft_type") != "LORA" or cfg.get("rank_pattern") or cfg.get("alpha_pattern"):
            raise ValueError("only LoRA / DoRA adapters (no rank_pattern or alpha_pattern) are supported")
        r, alpha = cfg["r"], cfg["lora_alpha"]
        self.scale = alpha / math.sqrt(r) if cfg.get("use_rslora") else alpha / r
        self.dora = bool(cfg.get("use_dora"))
        self.tensors = {}
        root = "base_model.model."
        for name, value in read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors")).items():
            if name.startswith(root):  # PEFT on Gemma3ForConditionalGeneration names the text tower's modules
                name = root + text_tower_name(name[len(root):])
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

    def apply(self, x, module, weight, result, bias):
        """The layer's output with the adapter: `result` (x Wᵀ + bias) plus LoRA's `scale · x Aᵀ Bᵀ`, or DoRA's
        `(m/‖W + scale·B A‖ − 1) · (x Wᵀ) + m/‖W + scale·B A‖ · scale · x Aᵀ Bᵀ` with the row norm detached from
        the gradient (DoRA paper section 4.3, as PEFT's DoraLinearLayer.forward; no dropout at evaluation)."""
        lora = self.pair(module)
        if lora is None:
            return result
        a, b = lora
        lora_result = x @ a.T @ b.T
        if not self.dora:
            return result + lora_result * self.scale
        magnitude = self.tensors[f"base_model.model.{module}.lora_magnitude_vector"]
        lora_weight = (b @ a).detach()
        weight_norm = torch.linalg.norm(weight + self.scale * lora_weight, dim=1).detach()
        mag_norm_scale = (magnitude / weight_norm).view(1, -1)
        base_result = result - bias if bias is not None else result
        return result + (mag_norm_scale - 1) * base_result + mag_norm_scale * lora_result * self.scale


class ReferenceModel:
    """Weights (torch tensors in one dtype) plus the config; `forward` returns logits and final hidden states."""

    def __init__(self, model_dir, dtype=torch.float32, adapter_dir=None):
        self.cfg = read_config(model_dir)
        self.dtype = dtype
        stored = read_checkpoint_weights(model_dir)
        self.weights = {text_tower_name(k): torch.tensor(v, dtype=dtype) for k, v in stored.items()}
        self.adapter = LoraAdapter(adapter_dir, dtype) if adapter_dir else None
        if not self.cfg["tie"] and "lm_head.weight" not in self.weights:
            raise ValueError(f"{model_dir}: tie_word_embeddings is false but there is no lm_head.weight")

    def linear(self, x, module):
        """x @ Wᵀ (+ b), with the adapter's LoRA or DoRA branch when it targets this module."""
        weight = self.weights[module + ".weight"]
        y = x @ weight.T
        bias = self.weights.get(module + ".bias")
        if bias is not None:
            y = y + bias
        return self.adapter.apply(x, module, weight, y, bias) if self.adapter else y

    def qkv(self, x, prefix):
        """The q [B, T, N·D], k and v [B, T, K·D] projections (phi3: one qkv_proj sliced in that order)."""
        c = self.cfg
        N, K, D = c["heads"], c["kv_heads"], c["head_dim"]
        if c["family"] == "phi3":
            qkv = self.linear(x, prefix + "qkv_proj")
            return qkv[..., : N * D], qkv[..., N * D : (N + K) * D], qkv[..., (N + K) * D :]
        return tuple(self.linear(x, prefix + name) for name in ("q_proj", "k_proj", "v_proj"))

    def attention(self, x, prefix, cos, sin, mask, use_rope=True):
        c = self.cfg
        B, T, _ = x.shape
        N, K, D = c["heads"], c["kv_heads"], c["head_dim"]
        q, k, v = self.qkv(x, prefix)
        if c["qk_norm"] == "projection":  # olmo2: over the whole projection, before the head split
            q = rms_norm(q, self.weights[prefix + "q_norm.weight"], c["eps"])
            k = rms_norm(k, self.weights[prefix + "k_norm.weight"], c["eps"])
        q, k = q.view(B, T, N, D), k.view(B, T, K, D)
        v = v.view(B, T, K, D).transpose(1, 2)
        if c["qk_norm"] == "head":
            q = rms_norm(q, self.weights[prefix + "q_norm.weight"], c["eps"], c["gemma"])
            k = rms_norm(k, self.weights[prefix + "k_norm.weight"], c["eps"], c["gemma"])
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        if use_rope:
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        k = k.repeat_interleave(N // K, dim=1)
        v = v.repeat_interleave(N // K, dim=1)
        scores = softcap((q @ k.transpose(-1, -2)) * c["scale"], c["attn_cap"])
        scores = scores.masked_fill(~mask[:, None], torch.finfo(scores.dtype).min)
        out = torch.softmax(scores, dim=-1) @ v
        return self.linear(out.transpose(1, 2).reshape(B, T, N * D), prefix + "o_proj")

    def mlp(self, x, prefix):
        act = ACTIVATIONS[self.cfg["act"]]
        if self.cfg["family"] == "phi3":
            gate, up = self.linear(x, prefix + "gate_up_proj").chunk(2, dim=-1)
        else:
            gate, up = self.linear(x, prefix + "gate_proj"), self.linear(x, prefix + "up_proj")
        gated = act(gate) * up
        return self.linear(gated, prefix + "down_proj")

    def layer(self, x, p, cos, sin, mask):
        """One decoder layer of module prefix `p` (attention and MLP, each with its norms and residual)."""
        c, w = self.cfg, self.weights
        gemma = c["gemma"]
        i = int(p.split(".")[2])
        if c["family"] == "olmo2":  # norms on the sublayer outputs, none on their inputs
            out = self.attention(x, p + "self_attn.", cos, sin, mask)
            x = x + rms_norm(out, w[p + "post_attention_layernorm.weight"], c["eps"])
            return x + rms_norm(self.mlp(x, p + "mlp."), w[p + "post_feedforward_layernorm.weight"], c["eps"])
        h = rms_norm(x, w[p + "input_layernorm.weight"], c["eps"], gemma)
        a = self.attention(h, p + "self_attn.", cos, sin, mask, c["use_rope"][i])
        if c["sandwich"]:
            x = x + rms_norm(a, w[p + "post_attention_layernorm.weight"], c["eps"], gemma)
            m = self.mlp(rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], c["eps"], gemma), p + "mlp.")
            return x + rms_norm(m, w[p + "post_feedforward_layernorm.weight"], c["eps"], gemma)
        x = x + a
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
        gemma = c["gemma"]
        x = w["model.embed_tokens.weight"][input_ids]
        if gemma:
            x = x * torch.tensor(c["hidden"] ** 0.5, dtype=x.dtype)
        T = input_ids.shape[1]
        idx = torch.arange(T)
        causal = idx[None, :] <= idx[:, None]  # [q, k]
        full_mask = causal[None] & attention_mask.bool()[:, None, :]
        window_mask = full_mask & (idx[None, :] > idx[:, None] - (c["window"] or 0))[None]
        seq_len = int(position_ids.max()) + 1
        inv_freq, attention_factor, _ = rope_parameters(c["config"], c["head_dim"], seq_len)
        tables = rope_cos_sin(position_ids, inv_freq, attention_factor, self.dtype)
        local = tables
        if c["local_theta"] is not None:
            local_inv, local_factor, _ = rope_parameters({"rope_theta": c["local_theta"]}, c["head_dim"], seq_len)
            local = rope_cos_sin(position_ids, local_inv, local_factor, self.dtype)
        for i in range(c["layers"]):
            collect(x)
            p = f"model.layers.{i}."
            sliding = c["sliding"][i]
            cos, sin = local if sliding else tables
            x = self.run_layer(x, p, cos, sin, window_mask if sliding else full_mask)
        hidden = rms_norm(x, w["model.norm.weight"], c["eps"], gemma)
        collect(hidden)
        head = w["model.embed_tokens.weight"] if c["tie"] else w["lm_head.weight"]
        logits = hidden @ head.T
        if self.adapter:
            logits = self.adapter.apply(hidden, "lm_head", head, logits, None)
        return softcap(logits, c["final_cap"]), hidden


def causal_lm_loss(logits, labels):
    """HF causal-LM loss: logits[:, :-1] predict labels[:, 1:]; mean over labels != -100."""
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100, reduction="mean"
    )
