"""Independent PyTorch reference for the engine's end-to-end tests.

Reads JSON on stdin: {"model": "mlp"|"decoder", "params": {name: {shape, values}}, "batches": [...],
"steps": n, "lr": x, "weight_decay": x, "max_grad_norm": x|null, "dims": {...}}
and writes {"losses": [...], "params": {name: [...]}} after `steps` AdamW updates (torch.optim.AdamW,
torch.nn.utils.clip_grad_norm_), computed in float64. Written from the PyTorch / Hugging Face conventions.
"""
import json
import math
import sys

import torch

torch.set_default_dtype(torch.float64)


def mlp_loss(p, batch, dims):
    x = torch.tensor(batch["x"]).reshape(-1, dims["inputs"])
    y = torch.tensor(batch["y"], dtype=torch.long)
    h = torch.nn.functional.silu(x @ p["w1"].T + p["b1"])
    return torch.nn.functional.cross_entropy(h @ p["w2"].T + p["b2"], y)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def decoder_loss(p, batch, d):
    B, T = batch["B"], batch["T"]
    ids = torch.tensor(batch["input_ids"]).reshape(B, T)
    labels = torch.tensor(batch["labels"]).reshape(B, T)
    mask = torch.tensor(batch["attention_mask"]).reshape(B, T)
    pos = torch.tensor(batch["position_ids"]).reshape(B, T)
    H, K, D = d["heads"], d["kvHeads"], d["headDim"]
    x = p["emb"][ids]
    h = rms_norm(x, p["ln1"], d["eps"])
    inv = 1.0 / (d["theta"] ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    freqs = pos[..., None].double() * inv
    emb = torch.cat((freqs, freqs), dim=-1)[:, None]
    cos, sin = emb.cos(), emb.sin()
    q = (h @ p["wq"].T).view(B, T, H, D).transpose(1, 2)
    k = (h @ p["wk"].T).view(B, T, K, D).transpose(1, 2)
    v = (h @ p["wv"].T).view(B, T, K, D).transpose(1, 2)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    k = k.repeat_interleave(H // K, dim=1)
    v = v.repeat_interleave(H // K, dim=1)
    scores = q @ k.transpose(-1, -2) / math.sqrt(D)
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    allowed = causal[None, None] & (mask[:, None, None, :] == 1)
    scores = scores.masked_fill(~allowed, -1e9)
    att = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H * D)
    x = x + att @ p["wo"].T
    h2 = rms_norm(x, p["ln2"], d["eps"])
    x = x + (torch.nn.functional.silu(h2 @ p["wg"].T) * (h2 @ p["wu"].T)) @ p["wd"].T
    logits = rms_norm(x, p["lnf"], d["eps"]) @ p["head"].T
    return torch.nn.functional.cross_entropy(logits.reshape(B * T, -1), labels.reshape(-1), ignore_index=-100)


def main():
    req = json.load(sys.stdin)
    params = {
        n: torch.tensor(s["values"]).reshape(s["shape"]).requires_grad_(True) for n, s in req["params"].items()
    }
    opt = torch.optim.AdamW(params.values(), lr=req["lr"], betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=req["weight_decay"])
    loss_fn = mlp_loss if req["model"] == "mlp" else decoder_loss
    losses = []
    for i in range(req["steps"]):
        batch = req["batches"][i % len(req["batches"])]
        opt.zero_grad()
        loss = loss_fn(params, batch, req["dims"])
        loss.backward()
        if req.get("max_grad_norm"):
            torch.nn.utils.clip_grad_norm_(params.values(), req["max_grad_norm"])
        opt.step()
        losses.append(loss.item())
    json.dump({"losses": losses, "params": {n: t.detach().reshape(-1).tolist() for n, t in params.items()}}, sys.stdout)


main()
