"""Checks a saved PEFT LoRA adapter and a merged export against the base model, in PyTorch.

Written from PEFT's LoRA layer (peft/tuners/lora/layer.py), not from tunebook's TypeScript: an adapter holds
`base_model.model.<module>.lora_A.weight` [r, in] and `lora_B.weight` [out, r] for modules whose name ends with
one of `target_modules`; the unmerged forward is `x W^T + scaling * (x A^T) B^T` with `scaling = lora_alpha / r`
(`lora_alpha / sqrt(r)` with `use_rslora`); merging is `W += (B @ A) * scaling` in the weight's dtype.
PEFT itself is not installable here (no PyPI), and neither is the `safetensors` package: files are read with the
hand-written reader in safetensors_io.py.

With `--dequantize 8|4` the base's linear weights (`*_proj.weight`, `lm_head.weight`) are first replaced by the
values a quantized tunebook base computes with (the adapter was trained on them), written here from the scheme's
description in sdk/engine/ops/quant-pack.ts: per row S = max|w| / 127 (int8) or max|w| / 112 (int4); int8
q = round(w / S); int4 blocks of 32 along the input, scale S·m for the m among the smallest one covering the
block's largest value and the three below it with the least squared error, q = clamp(round(w / (S·m)), -8, 7);
Ŵ = float32(S) · q · m (round: half up, as JavaScript's Math.round).

Usage:
    peft_merge_reference.py --base DIR --adapter DIR [--exported DIR] [--dequantize 8|4] --out result.json

Output JSON: scale, r, and per adapted module `lora_max_abs` (largest |scaling * x A^T B^T|, to show the adapter
is not a no-op) and, with --exported, `weight_max_abs` (|W_exported - merged|), `output_max_abs` (largest
|x W_exported^T - unmerged forward|); `unchanged_max_abs` (other tensors vs the base), `missing`/`extra` names,
`dtypes` of the exported files and the exported config's `torch_dtype`; `rounded_mismatch` (elements of the
exported weight that differ from the float32 merge rounded to the exported `torch_dtype`) and `rounded_max_ulps`
(their largest difference in units in the last place of that dtype).
"""

import argparse
import json
import math
import os
import re
import struct
import sys

import numpy as np

sys.dont_write_bytecode = True

try:
    import torch
except ImportError:
    sys.stderr.write("TUNEBOOK_REFERENCE_UNAVAILABLE: cannot import torch\n")
    sys.exit(3)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_checkpoint_weights, read_safetensors  # noqa: E402

PEFT_KEY = re.compile(r"^base_model\.model\.(.+)\.lora_([AB])\.weight$")
TIED_BY_DEFAULT = {"gemma", "smollm3"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="the base Hugging Face model directory")
    p.add_argument("--adapter", required=True, help="the PEFT adapter directory")
    p.add_argument("--exported", default=None, help="a merged export of base + adapter to check")
    p.add_argument("--out", required=True)
    p.add_argument("--rows", type=int, default=5, help="random input rows per module")
    p.add_argument("--dequantize", type=int, choices=[4, 8], default=None, help="quantized base (bits)")
    return p.parse_args(argv)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def header_dtypes(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    meta = header.pop("__metadata__", {})
    return {info["dtype"] for info in header.values()}, meta


def load_adapter(adapter_dir):
    cfg = read_json(os.path.join(adapter_dir, "adapter_config.json"))
    if cfg.get("peft_type") != "LORA" or cfg.get("task_type") != "CAUSAL_LM":
        raise SystemExit(f"adapter_config.json: peft_type {cfg.get('peft_type')}, task_type {cfg.get('task_type')}")
    if cfg.get("fan_in_fan_out") or cfg.get("use_dora") or cfg.get("bias") != "none":
        raise SystemExit("adapter_config.json: expected fan_in_fan_out false, use_dora false, bias none")
    file = os.path.join(adapter_dir, "adapter_model.safetensors")
    _, meta = header_dtypes(file)
    if meta.get("format") != "pt":
        raise SystemExit(f"adapter_model.safetensors: __metadata__ {meta}, expected format pt")
    pairs = {}
    for key, value in read_safetensors(file).items():
        m = PEFT_KEY.match(key)
        if not m:
            raise SystemExit(f"adapter_model.safetensors: unexpected key {key}")
        pairs.setdefault(m.group(1), {})[m.group(2)] = torch.from_numpy(value.copy())
    return cfg, pairs


def base_weight(weights, config, module):
    name = f"{module}.weight"
    if name in weights:
        return weights[name]
    tied = config.get("tie_word_embeddings", config.get("model_type") in TIED_BY_DEFAULT)
    if module == "lm_head" and tied:
        return weights["model.embed_tokens.weight"]
    raise SystemExit(f"adapter module {module} has no base weight {name}")


def check_module(cfg, module, pair, weight):
    targets = cfg["target_modules"]
    if not any(module == t or module.endswith("." + t) for t in targets):
        raise SystemExit(f"{module} is not matched by target_modules {targets}")
    r = cfg["r"]
    out_dim, in_dim = weight.shape
    if tuple(pair["A"].shape) != (r, in_dim) or tuple(pair["B"].shape) != (out_dim, r):
        raise SystemExit(f"{module}: A {tuple(pair['A'].shape)}, B {tuple(pair['B'].shape)}; weight {weight.shape}")


def js_round(x):
    return np.floor(x + 0.5)


def dequantize(w, bits):
    """The dequantized float32 weight a tunebook int8/int4 base computes with (see the module docstring)."""
    w = w.astype(np.float32)
    out = np.empty_like(w)
    for o, row in enumerate(w.astype(np.float64)):
        row_max = float(np.abs(row).max())
        S = (row_max / 127 if bits == 8 else row_max / 112) if row_max > 0 else 1.0
        S32 = np.float32(S)
        if bits == 8:
            out[o] = S32 * np.clip(js_round(row / S), -127, 127).astype(np.float32)
            continue
        for b in range(0, row.size, 32):
            block = row[b : b + 32]
            top = min(16, max(1, math.ceil(float(np.abs(block).max()) / (7 * S) - 1e-6)))
            best, best_err = top, math.inf
            for m in range(top, max(1, top - 3) - 1, -1):
                q = np.clip(js_round(block / (S * m)), -8, 7)
                err = float(((q * (S * m) - block) ** 2).sum())
                if err < best_err:
                    best, best_err = m, err
            q = np.clip(js_round(block / (S * best)), -8, 7)
            out[o, b : b + 32] = S32 * (q * best).astype(np.float32)
    return out


def is_quantized_linear(name, value):
    return value.ndim == 2 and (name.endswith("_proj.weight") or name == "lm_head.weight")


def main(argv):
    args = parse_args(argv)
    torch.manual_seed(0)
    config = read_json(os.path.join(args.base, "config.json"))
    stored = read_checkpoint_weights(args.base)
    if args.dequantize:
        stored = {k: dequantize(v, args.dequantize) if is_quantized_linear(k, v) else v for k, v in stored.items()}
    base = {k: torch.from_numpy(v.copy()).float() for k, v in stored.items()}
    cfg, pairs = load_adapter(args.adapter)
    r = cfg["r"]
    scale = cfg["lora_alpha"] / (math.sqrt(r) if cfg.get("use_rslora") else r)
    exported = None
    result = {"scale": scale, "r": r, "modules": {}}
    if args.exported:
        exported = {k: torch.from_numpy(v.copy()) for k, v in read_checkpoint_weights(args.exported).items()}
        files = [f for f in os.listdir(args.exported) if f.endswith(".safetensors")]
        result["dtypes"] = sorted(set().union(*(header_dtypes(os.path.join(args.exported, f))[0] for f in files)))
        result["torch_dtype"] = read_json(os.path.join(args.exported, "config.json")).get("torch_dtype")
    for module, pair in sorted(pairs.items()):
        w = base_weight(base, config, module)
        check_module(cfg, module, pair, w)
        a, b = pair["A"], pair["B"]
        x = torch.randn(args.rows, w.shape[1])
        lora_out = scale * ((x @ a.T) @ b.T)
        unmerged = x @ w.T + lora_out
        entry = {"lora_max_abs": lora_out.abs().max().item()}
        if exported is not None:
            merged = w.clone()
            merged += (b @ a) * scale
            got = exported[f"{module}.weight"].float()
            entry["weight_max_abs"] = (got - merged).abs().max().item()
            entry["output_max_abs"] = (x @ got.T - unmerged).abs().max().item()
            dtype = getattr(torch, result["torch_dtype"] or "float32")
            rounded = merged.to(dtype).float()
            diff = (got - rounded).abs()
            info = torch.finfo(dtype)
            ulp = torch.clamp(rounded.abs() * info.eps, min=info.tiny * info.eps)
            entry["rounded_mismatch"] = int((diff > 0).sum().item())
            entry["rounded_max_ulps"] = (diff / ulp).max().item()
        result["modules"][module] = entry
    if exported is not None:
        adapted = {f"{m}.weight" for m in pairs}
        others = [k for k in base if k not in adapted and k in exported]
        as_exported = getattr(torch, result["torch_dtype"] or "float32")
        result["unchanged_max_abs"] = max(
            (exported[k].float() - base[k].to(as_exported).float()).abs().max().item() for k in others
        )
        result["missing"] = sorted(k for k in base if k not in exported)
        result["extra"] = sorted(k for k in exported if k not in base and k not in adapted)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1:])
