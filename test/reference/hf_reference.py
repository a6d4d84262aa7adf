#!/usr/bin/env python3
"""Reference logits / loss / gradients / greedy generation for a Hugging Face decoder directory, in PyTorch.

    /usr/bin/python3 test/reference/hf_reference.py --model DIR --input batch.json [--out result.json]
        [--float64] [--adapter LORA_DIR] [--labels] [--grads] [--grad-params NAME,...] [--generate N]
        [--stop-at-eos] [--positions auto|arange|mask] [--hidden] [--hidden-states]
        [--fd NAME:INDEX,...] [--fd-eps 1e-6]
    /usr/bin/python3 test/reference/hf_reference.py --ops ops.json      # unit ops (rms_norm, rope)
    /usr/bin/python3 test/reference/hf_reference.py --jobs jobs.json    # [[args...], ...] in one process

batch.json: {"input_ids": [[...]], "attention_mask"?: [[0|1...]], "labels"?: [[...]], "position_ids"?: [[...]]}.
Output: {"logits": [B][T][V], "loss"?, "grads"?: {name: {"shape", "data"}}, "generated"?: [B][N],
"hidden"?: [B][T][H], "hidden_states"?: [L+1][B][T][H], "fd"?: {"NAME:INDEX": central difference}}.

Positions: `arange` gives 0..T-1 on every row (what HF's model.forward does when no position_ids are passed);
`mask` gives cumsum(attention_mask) - 1 (1 at padding), what HF's generate() passes. `auto` = arange for the
forward pass, mask for generation. Logits at padding positions are unspecified. Generation is greedy, full
forward per step, no KV cache, exactly N tokens unless --stop-at-eos (then, as HF generate: eos ids from
generation_config.json, finished rows continue with pad_token_id, and it stops once every row has finished);
it needs left padding (or none).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import torch  # noqa: E402
except ModuleNotFoundError:
    sys.stderr.write(f"TUNEBOOK_REFERENCE_UNAVAILABLE: PyTorch is not importable by {sys.executable}\n")
    sys.exit(3)

from reference_model import ReferenceModel, apply_rope, causal_lm_loss, rms_norm, rope_cos_sin  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model")
    p.add_argument("--input", help="batch JSON file (default: stdin)")
    p.add_argument("--out", help="output JSON file (default: stdout)")
    p.add_argument("--float64", action="store_true")
    p.add_argument("--adapter")
    p.add_argument("--labels", action="store_true", help="loss with labels = input_ids (-100 at padding) if absent")
    p.add_argument("--grads", action="store_true")
    p.add_argument("--grad-params", default="")
    p.add_argument("--generate", type=int, default=0)
    p.add_argument("--stop-at-eos", action="store_true", help="generation stops at eos, then pads (HF generate)")
    p.add_argument("--positions", choices=("auto", "arange", "mask"), default="auto")
    p.add_argument("--hidden", action="store_true", help="also output the final normed hidden states")
    p.add_argument("--hidden-states", action="store_true", help="also output HF's output_hidden_states (L + 1)")
    p.add_argument("--fd", default="", help="NAME:FLAT_INDEX,... central differences of the loss")
    p.add_argument("--fd-eps", type=float, default=1e-6)
    p.add_argument("--ops", help="unit-op JSON file; no model needed")
    p.add_argument("--jobs", help="JSON list of argument lists, each run like one invocation (one torch import)")
    return p.parse_args(argv)


def position_ids(mask, mode):
    """[B, T] positions: 0..T-1 (`arange`) or cumsum(mask) - 1 with 1 at padding (`mask`, as HF generate)."""
    if mode == "mask":
        return (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 1)
    return torch.arange(mask.shape[1]).expand(mask.shape[0], -1)


def run_ops(path):
    """Evaluates unit ops in float64: rms_norm {x, weight, eps, gemma} and rope {x [T, D], positions, theta}."""
    with open(path, encoding="utf-8") as f:
        ops = json.load(f)
    results = []
    for op in ops:
        x = torch.tensor(op["x"], dtype=torch.float64)
        if op["op"] == "rms_norm":
            w = torch.tensor(op["weight"], dtype=torch.float64)
            results.append(rms_norm(x, w, op["eps"], op.get("gemma", False)).tolist())
        elif op["op"] == "rope":
            pos = torch.tensor([op["positions"]])
            d = x.shape[-1]
            inv_freq = 1.0 / (op["theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
            cos, sin = rope_cos_sin(pos, inv_freq, 1.0, torch.float64)
            results.append(apply_rope(x[None, None], cos, sin)[0, 0].tolist())
        else:
            raise ValueError(f"unknown op {op['op']!r}; expected rms_norm or rope")
    return {"results": results}


def lookup(model, names):
    """name -> tensor for HF base names or PEFT LoRA names; raises on unknown names."""
    pool = dict(model.weights)
    if model.adapter:
        pool.update(model.adapter.tensors)
    missing = [n for n in names if n not in pool]
    if missing:
        raise ValueError(f"unknown tensors {missing}; known: {sorted(pool)[:8]}…")
    return {n: pool[n] for n in names}


def trainable(model, names):
    """Marks the named tensors as requiring grad; returns name -> tensor."""
    params = lookup(model, names)
    for t in params.values():
        t.requires_grad_(True)
    return params


def stop_tokens(model_dir):
    """(eos ids, pad id) from generation_config.json, falling back to config.json, as HF generate reads them."""
    merged = {}
    for name in ("config.json", "generation_config.json"):
        path = os.path.join(model_dir, name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                merged.update({k: v for k, v in json.load(f).items() if v is not None})
    eos = merged.get("eos_token_id")
    eos = [] if eos is None else eos if isinstance(eos, list) else [eos]
    if not eos:
        raise ValueError(f"--stop-at-eos: {model_dir} names no eos_token_id")
    return eos, merged.get("pad_token_id", eos[0])


def greedy(model, ids, mask, steps, mode, stop=None):
    """Greedy decoding with a full forward per step; returns the new tokens [B, ≤ steps].

    With `stop` = (eos ids, pad id), as HF generate: a row that emitted an eos id continues with pad, and
    decoding ends early once every row has finished.
    """
    if bool((mask[:, -1] == 0).any()):
        raise ValueError("generation needs left padding: the last column of attention_mask must be all 1")
    new = []
    done = torch.zeros(ids.shape[0], dtype=torch.bool)
    with torch.no_grad():
        for _ in range(steps):
            logits, _ = model.forward(ids, mask, position_ids(mask, "mask" if mode == "auto" else mode))
            nxt = logits[:, -1].argmax(-1)
            if stop:
                nxt = nxt.masked_fill(done, stop[1])
                done = done | torch.isin(nxt, torch.tensor(stop[0]))
            new.append(nxt)
            ids = torch.cat([ids, nxt[:, None]], dim=1)
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            if stop and bool(done.all()):
                break
    return torch.stack(new, dim=1).tolist()


def finite_differences(model, specs, eps, ids, mask, pos, labels):
    """Central differences of the loss w.r.t. single elements `NAME:FLAT_INDEX`."""
    out = {}
    with torch.no_grad():
        for spec in specs:
            name, index = spec.rsplit(":", 1)
            tensor = lookup(model, [name])[name]
            view = tensor.view(-1)
            original = view[int(index)].item()
            losses = []
            for delta in (eps, -eps):
                view[int(index)] = original + delta
                losses.append(causal_lm_loss(model.forward(ids, mask, pos)[0], labels).item())
            view[int(index)] = original
            out[spec] = (losses[0] - losses[1]) / (2 * eps)
    return out


def run_model(args):
    dtype = torch.float64 if args.float64 else torch.float32
    model = ReferenceModel(args.model, dtype, args.adapter)
    with open(args.input, encoding="utf-8") if args.input else sys.stdin as f:
        batch = json.load(f)
    ids = torch.tensor(batch["input_ids"], dtype=torch.long)
    mask = torch.tensor(batch.get("attention_mask") or [[1] * ids.shape[1]] * ids.shape[0], dtype=torch.long)
    pos = batch.get("position_ids")
    if pos:
        pos = torch.tensor(pos, dtype=torch.long)
    else:
        pos = position_ids(mask, "arange" if args.positions == "auto" else args.positions)
    labels = batch.get("labels")
    if labels is None and (args.labels or args.grads or args.fd):
        labels = ids.masked_fill(mask == 0, -100).tolist()
    names = [n for n in args.grad_params.split(",") if n]
    if args.grads and not names:
        if not model.adapter:
            raise ValueError("--grads without --adapter needs --grad-params NAME,...")
        names = sorted(model.adapter.tensors)
    params = trainable(model, names) if args.grads else {}
    states = [] if args.hidden_states else None
    logits, hidden = model.forward(ids, mask, pos, states)
    result = {"logits": logits.tolist()}
    if args.hidden:
        result["hidden"] = hidden.tolist()
    if states is not None:
        result["hidden_states"] = [s.tolist() for s in states]
    if labels is not None:
        label_t = torch.tensor(labels, dtype=torch.long)
        loss = causal_lm_loss(logits, label_t)
        result["loss"] = loss.item()
        if params:
            grads = torch.autograd.grad(loss, list(params.values()))
            result["grads"] = {
                n: {"shape": list(g.shape), "data": g.reshape(-1).tolist()} for n, g in zip(params, grads)
            }
        if args.fd:
            for t in params.values():
                t.requires_grad_(False)
            specs = [s for s in args.fd.split(",") if s]
            result["fd"] = finite_differences(model, specs, args.fd_eps, ids, mask, pos, label_t)
    if args.generate:
        stop = stop_tokens(args.model) if args.stop_at_eos else None
        result["generated"] = greedy(model, ids, mask, args.generate, args.positions, stop)
    return result


def run_jobs(path):
    """Runs several invocations in this process; each job's own --out receives its result."""
    with open(path, encoding="utf-8") as f:
        jobs = json.load(f)
    for job in jobs:
        main(job)
    return {"jobs": len(jobs)}


def main(argv):
    args = parse_args(argv)
    if args.jobs:
        result = run_jobs(args.jobs)
    elif args.ops:
        result = run_ops(args.ops)
    elif args.model:
        result = run_model(args)
    else:
        raise SystemExit("give --model DIR (with a batch) or --ops FILE")
    text = json.dumps(result)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
