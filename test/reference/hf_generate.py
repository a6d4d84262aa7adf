#!/usr/bin/env python3
"""Hugging Face `generate` logits processing, written from transformers' generation/logits_process.py
(RepetitionPenaltyLogitsProcessor, MinNewTokensLengthLogitsProcessor, TemperatureLogitsWarper,
TopKLogitsWarper, TopPLogitsWarper) and the order `GenerationMixin._get_logits_processor` applies them in:
repetition penalty -> min new tokens (eos suppressed) -> temperature -> top-k -> top-p.

Usage: hf_generate.py --input cases.json --out result.json
cases.json: {"cases": [{"scores": [V floats], "ids": [seen token ids], "penalty": 1.0, "suppress": [ids],
             "temperature": 1.0, "top_k": 0, "top_p": 1.0}]}
result.json: {"scores": [[V floats, null for -inf]], "probs": [[V floats]]}
"""
import argparse
import json
import sys

try:
    import torch
except ImportError:  # pragma: no cover
    print("TUNEBOOK_REFERENCE_UNAVAILABLE: torch is not importable", file=sys.stderr)
    sys.exit(3)


def repetition_penalty(scores, ids, penalty):
    # RepetitionPenaltyLogitsProcessor.__call__
    if penalty == 1.0 or len(ids) == 0:
        return scores
    input_ids = torch.tensor([ids], dtype=torch.long)
    score = torch.gather(scores, 1, input_ids)
    score = torch.where(score < 0, score * penalty, score / penalty)
    return scores.scatter(1, input_ids, score)


def suppress(scores, ids):
    # MinNewTokensLengthLogitsProcessor: eos ids get -inf while too few new tokens
    if not ids:
        return scores
    scores = scores.clone()
    scores[:, torch.tensor(ids, dtype=torch.long)] = -float("inf")
    return scores


def top_k(scores, k, filter_value=-float("inf"), min_tokens_to_keep=1):
    # TopKLogitsWarper.__call__
    if k <= 0:
        return scores
    k = min(max(k, min_tokens_to_keep), scores.size(-1))
    indices_to_remove = scores < torch.topk(scores, k)[0][..., -1, None]
    return scores.masked_fill(indices_to_remove, filter_value)


def top_p(scores, p, filter_value=-float("inf"), min_tokens_to_keep=1):
    # TopPLogitsWarper.__call__
    if p >= 1.0:
        return scores
    sorted_logits, sorted_indices = torch.sort(scores, descending=False)
    cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    sorted_indices_to_remove = cumulative_probs <= (1 - p)
    sorted_indices_to_remove[..., -min_tokens_to_keep:] = 0
    indices_to_remove = sorted_indices_to_remove.scatter(1, sorted_indices, sorted_indices_to_remove)
    return scores.masked_fill(indices_to_remove, filter_value)


def process(case):
    scores = torch.tensor([case["scores"]], dtype=torch.float32)
    scores = repetition_penalty(scores, case.get("ids", []), case.get("penalty", 1.0))
    scores = suppress(scores, case.get("suppress", []))
    t = case.get("temperature", 1.0)
    if t != 1.0:
        scores = scores / t  # TemperatureLogitsWarper
    scores = top_k(scores, case.get("top_k", 0))
    scores = top_p(scores, case.get("top_p", 1.0))
    probs = scores.double().softmax(dim=-1)
    out = [None if v == -float("inf") else v for v in scores[0].tolist()]
    return out, probs[0].tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.input) as f:
        cases = json.load(f)["cases"]
    results = [process(c) for c in cases]
    with open(a.out, "w") as f:
        json.dump({"scores": [r[0] for r in results], "probs": [r[1] for r in results]}, f)


if __name__ == "__main__":
    main()
