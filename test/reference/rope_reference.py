"""RoPE inverse frequencies and attention scaling, written from transformers' `modeling_rope_utils.py` conventions.

    /usr/bin/python3 test/reference/rope_reference.py cases.json   # [{config, head_dim}] -> [{inv_freq, scaling, dim}]

Variants: default, linear, llama3, yarn, longrope, dynamic (NTK, stateless: from this forward's seq_len); `partial_rotary_factor` shortens the rotated part of each head.
Computed in float64 (transformers uses float32; the formulas are the same).
"""

import json
import math
import sys

import torch


def rope_parameters(cfg, head_dim, seq_len=None):
    """(inv_freq [dim/2] float64, attention_factor, dim) for a config.json dict; `seq_len` is
    max(position_ids) + 1 of the forward pass (longrope's short/long switch)."""
    base = cfg.get("rope_theta", 10000.0)
    dim = int(head_dim * (cfg.get("partial_rotary_factor") or 1.0))
    scaling = cfg.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    exponents = torch.arange(0, dim, 2, dtype=torch.float64) / dim
    inv_freq = 1.0 / (base**exponents)
    if kind == "default":
        return inv_freq, 1.0, dim
    if kind == "dynamic":
        max_positions = cfg["max_position_embeddings"]
        factor = scaling["factor"]
        seq = seq_len if seq_len is not None and seq_len > max_positions else max_positions
        base = base * ((factor * seq / max_positions) - (factor - 1)) ** (dim / (dim - 2))
        return 1.0 / (base**exponents), 1.0, dim
    if kind == "linear":
        return inv_freq / scaling["factor"], 1.0, dim
    if kind == "llama3":
        factor = scaling["factor"]
        low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > old / low, inv_freq / factor, inv_freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < old / high) & ~(wavelen > old / low)
        return torch.where(medium, smoothed, scaled), 1.0, dim
    if kind == "yarn":
        factor = scaling["factor"]
        if "original_max_position_embeddings" in scaling:
            original = scaling["original_max_position_embeddings"]
            factor = cfg["max_position_embeddings"] / original
        else:
            original = cfg["max_position_embeddings"]

        def get_mscale(scale, mscale=1.0):
            return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0

        attention = scaling.get("attention_factor")
        mscale, mscale_all_dim = scaling.get("mscale"), scaling.get("mscale_all_dim")
        if attention is None:
            if mscale and mscale_all_dim:
                attention = get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
            else:
                attention = get_mscale(factor)
        beta_fast = scaling.get("beta_fast") or 32
        beta_slow = scaling.get("beta_slow") or 1

        def correction_dim(rotations):
            return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

        lo, hi = correction_dim(beta_fast), correction_dim(beta_slow)
        if scaling.get("truncate", True):
            lo, hi = math.floor(lo), math.ceil(hi)
        lo, hi = max(lo, 0), min(hi, dim - 1)
        if lo == hi:
            hi += 0.001
        ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float64) - lo) / (hi - lo), 0, 1)
        extrapolation_factor = 1 - ramp
        pos_freqs = base**exponents
        inv = (1.0 / (factor * pos_freqs)) * (1 - extrapolation_factor) + (1.0 / pos_freqs) * extrapolation_factor
        return inv, float(attention), dim
    if kind == "longrope":
        factor = scaling.get("factor")
        if cfg.get("original_max_position_embeddings") is not None:
            original = cfg["original_max_position_embeddings"]
            factor = cfg["max_position_embeddings"] / original
        else:
            original = cfg["max_position_embeddings"]
        attention = scaling.get("attention_factor")
        if attention is None:
            attention = 1.0 if factor is None or factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(original))
        long = seq_len is not None and seq_len > original
        ext = torch.tensor(scaling["long_factor" if long else "short_factor"], dtype=torch.float64)
        return 1.0 / (ext * base**exponents), float(attention), dim
    raise ValueError(f"rope_type {kind!r} is not supported by the reference")


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    out = []
    for case in cases:
        inv, scaling, dim = rope_parameters(case["config"], case["head_dim"], case.get("seq_len"))
        out.append({"inv_freq": inv.tolist(), "scaling": scaling, "dim": dim})
    json.dump(out, sys.stdout)
