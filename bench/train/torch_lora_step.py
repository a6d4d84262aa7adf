#!/usr/bin/env python3
"""PyTorch side of bench/train/lora-throughput.ts: the same LoRA causal-LM training step, timed.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/train/torch_lora_step.py --model DIR --threads 2 \\
        --batch 8 --seq 256 --targets q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj --steps 8

The forward is test/reference/reference_model.py (a Llama decoder written from Hugging Face conventions, eager,
float32, attention as HF's eager path); LoRA as PEFT computes it (B·A·dropout(x)·alpha/r, A kaiming-uniform,
B zeros) on the named modules; mean cross-entropy over labels != -100 (labels already shifted, as the
trainer's batches); backward; clip_grad_norm_; torch.optim.AdamW. Prints one JSON line with the step times
and memory. Dimension letters: B batch, T sequence, V vocabulary.
"""

import argparse
import json
import math
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torch.utils.checkpoint

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "reference"))
from reference_model import ReferenceModel, read_config  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--r", type=int, default=8)
    p.add_argument("--alpha", type=float, default=16)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--targets", default="q_proj,v_proj")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--max-grad-norm", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--gradient-checkpointing",
        default="false",
        choices=["true", "false"],
        help="recompute each layer in the backward (torch.utils.checkpoint, non-reentrant)",
    )
    return p.parse_args(argv)


def rss_mb():
    """Current resident set size in MB (from /proc/self/statm)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def load_weights(model_dir):
    """Float32 torch tensors sharing one buffer per file (no second copy, unlike a numpy astype)."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    files = ["model.safetensors"]
    if os.path.exists(index):
        with open(index, encoding="utf-8") as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    out = {}
    for name in files:
        path = os.path.join(model_dir, name)
        with open(path, "rb") as f:
            raw = bytearray(f.read())
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8 : 8 + n].decode("utf-8"))
        if any(v["dtype"] != "F32" for k, v in header.items() if k != "__metadata__"):
            del raw
            out.update({k: torch.from_numpy(v) for k, v in read_safetensors(path).items()})
            continue
        for key, info in header.items():
            if key == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            arr = np.frombuffer(raw, dtype="<f4", count=(end - begin) // 4, offset=8 + n + begin)
            out[key] = torch.from_numpy(arr).view(info["shape"])
    return out


class LoraModel(ReferenceModel):
    """The reference decoder with trainable PEFT-style LoRA adapters on the target modules."""

    def __init__(self, model_dir, r, alpha, dropout, targets, seed, checkpointing=False):
        self.checkpointing = checkpointing
        self.cfg = read_config(model_dir)
        self.dtype = torch.float32
        self.weights = load_weights(model_dir)
        self.adapter = None
        self.scale = alpha / r
        self.dropout = dropout
        torch.manual_seed(seed)
        self.lora = {}
        for name in sorted(self.weights):
            module = name[: -len(".weight")]
            w = self.weights[name]
            if not name.endswith(".weight") or w.dim() != 2 or module.split(".")[-1] not in targets:
                continue
            a = torch.empty(r, w.shape[1])
            torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))
            self.lora[module] = (a.requires_grad_(), torch.zeros(w.shape[0], r, requires_grad=True))

    def run_layer(self, x, p, cos, sin, mask):
        """The layer, recomputed in the backward with --gradient-checkpointing true (as HF's checkpointing)."""
        if not self.checkpointing:
            return self.layer(x, p, cos, sin, mask)
        return torch.utils.checkpoint.checkpoint(self.layer, x, p, cos, sin, mask, use_reentrant=False)

    def params(self):
        return [t for pair in self.lora.values() for t in pair]

    def linear(self, x, module):
        """nn.Linear (+ PEFT LoRA: lora_B(lora_A(dropout(x))) · scale)."""
        y = F.linear(x, self.weights[module + ".weight"], self.weights.get(module + ".bias"))
        pair = self.lora.get(module)
        if pair is not None:
            h = F.dropout(x, self.dropout, training=True) if self.dropout > 0 else x
            y = y + F.linear(F.linear(h, pair[0]), pair[1]) * self.scale
        return y


def lcg_tokens(seed, count, V):
    """The ours-worker.ts token stream: a 32-bit LCG (Numerical Recipes constants), state % V."""
    state, out = seed & 0xFFFFFFFF, []
    for _ in range(count):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        out.append(state % V)
    return out


def random_batch(seed, B, T, V, index):
    """Pseudo-random token rows (as ours-worker.ts) with real shifted labels (the last position unlabelled)."""
    ids = torch.tensor(lcg_tokens(seed * 1000 + index, B * T, V), dtype=torch.long).view(B, T)
    labels = torch.full((B, T), -100, dtype=torch.long)
    labels[:, :-1] = ids[:, 1:]
    mask = torch.ones(B, T, dtype=torch.long)
    pos = torch.arange(T).expand(B, T)
    return ids, mask, pos, labels


def main(argv):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    targets = [t for t in args.targets.split(",") if t]
    checkpointing = args.gradient_checkpointing == "true"
    model = LoraModel(args.model, args.r, args.alpha, args.dropout, targets, args.seed, checkpointing)
    params = model.params()
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=args.weight_decay)
    load_s = time.perf_counter() - t0
    rss_after_load = rss_mb()
    V = model.cfg["vocab"]
    batches = [random_batch(args.seed, args.batch, args.seq, V, i) for i in range(4)]
    times, losses = [], []
    for i in range(args.warmup + args.steps):
        ids, mask, pos, labels = batches[i % len(batches)]
        s0 = time.perf_counter()
        logits, _ = model.forward(ids, mask, pos)
        loss = F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm)
        opt.step()
        losses.append(loss.item())
        times.append(time.perf_counter() - s0)
    result = {
        "impl": "pytorch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "trainableParams": sum(p.numel() for p in params),
        "loadSeconds": load_s,
        "warmupSeconds": times[: args.warmup],
        "stepSeconds": times[args.warmup :],
        "losses": losses,
        "rssAfterLoadMB": rss_after_load,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
