#!/usr/bin/env python3
"""Preference losses (DPO, hinge, IPO, paired KTO, CPO, SimPO, ORPO) in PyTorch float64, written from the papers.

    /usr/bin/python3 test/reference/preference_reference.py --losses cases.json
    /usr/bin/python3 test/reference/preference_reference.py --model DIR --adapter LORA_DIR --pairs pairs.json

cases.json: [{"loss": NAME, "beta", "simpo_gamma", "label_smoothing", "cpo_alpha", "chosen": [P], "rejected": [P],
"ref_chosen"?: [P], "ref_rejected"?: [P], "chosen_nll"?: number}, ...]. Output: [{"loss", "chosen_rewards",
"rejected_rewards", "grads": {"chosen", "rejected", "chosen_nll"?}}, ...]: the loss and its gradient with respect
to the policy's log-probabilities (and the NLL term).

pairs.json: {"input_ids": [2P][T], "attention_mask": [2P][T], "labels": [2P][T] (already shifted: position t holds
the token after it, -100 = not learned), "cases": [settings without log-probabilities]}: rows 0..P-1 are the chosen
answers, P..2P-1 the rejected ones. The policy is the model with the adapter, the reference the same weights
without it. Output per case: the loss, per-pair log-probabilities and the gradient of every adapter tensor.

Formulas (β = beta, ε = label_smoothing, γ = simpo_gamma, α = cpo_alpha; π, ρ: policy and reference
log-probabilities of the chosen (c) and rejected (r) answers; h = (π_c − ρ_c) − (π_r − ρ_r)):
  DPO (Rafailov et al. 2023, eq. 7; conservative DPO for ε):  (1−ε)·softplus(−βh) + ε·softplus(βh)
  SLiC hinge (Zhao et al. 2023):                               max(0, 1 − βh)
  IPO (Azar et al. 2023, eq. 17, β = τ):                        (h − 1/(2τ))²
  paired KTO (Ethayarajh et al. 2024): z_c = max(0, E[π_c − ρ_c]), z_r = max(0, E[π_r − ρ_r]);
      mean of [1 − σ(β(π_c − ρ_c − z_r))] and [1 − σ(β(z_c − (π_r − ρ_r)))] over both halves
  CPO (Xu et al. 2024, eq. 3 + the behaviour-cloning NLL):     sigmoid loss of β(π_c − π_r) + α·NLL(chosen)
  SimPO (Meng et al. 2024, eq. 6, length-normalised π):         sigmoid loss of β(π_c − π_r) − γ
  ORPO (Hong et al. 2024, eqs. 4–7, length-normalised π, λ = β): NLL(chosen) − λ·log σ(log odds_c − log odds_r),
      log odds = π − log(1 − e^π)
Length normalisation (token means instead of sums): hinge, IPO, SimPO (H2O LLM Studio) and ORPO.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import torch  # noqa: E402
    import torch.nn.functional as F  # noqa: E402
except ModuleNotFoundError:
    sys.stderr.write(f"TUNEBOOK_REFERENCE_UNAVAILABLE: PyTorch is not importable by {sys.executable}\n")
    sys.exit(3)

from reference_model import ReferenceModel  # noqa: E402

WITH_REFERENCE = {"DPOLoss", "DPOHingeLoss", "DPOIPOLoss", "KTOPairLoss"}
MEAN_LOGPS = {"DPOHingeLoss", "DPOIPOLoss", "SimPOLoss", "ORPOLoss"}


def smoothed_sigmoid_loss(z, eps):
    """(1−ε)·(−log σ(z)) + ε·(−log σ(−z)), with −log σ(z) = softplus(−z)."""
    return (1 - eps) * F.softplus(-z) + eps * F.softplus(z)


def loss_of(case, pc, pr, rc=None, rr=None, nll=None):
    """The mean loss over the pairs and the per-pair rewards."""
    name, beta = case["loss"], case["beta"]
    eps = case.get("label_smoothing", 0.0)
    if name in WITH_REFERENCE:
        lc, lr = pc - rc, pr - rr
        h = lc - lr
        if name == "DPOLoss":
            per = smoothed_sigmoid_loss(beta * h, eps)
        elif name == "DPOHingeLoss":
            per = torch.clamp(1 - beta * h, min=0)
        elif name == "DPOIPOLoss":
            per = (h - 1 / (2 * beta)) ** 2
        else:
            z_c = torch.clamp(lc.mean(), min=0)
            z_r = torch.clamp(lr.mean(), min=0)
            per = torch.cat([1 - torch.sigmoid(beta * (lc - z_r)), 1 - torch.sigmoid(beta * (z_c - lr))])
        return per.mean(), beta * lc, beta * lr
    if name == "CPOLoss":
        loss = smoothed_sigmoid_loss(beta * (pc - pr), eps).mean()
        if case["cpo_alpha"] > 0:
            loss = loss + case["cpo_alpha"] * nll
    elif name == "SimPOLoss":
        loss = smoothed_sigmoid_loss(beta * (pc - pr) - case["simpo_gamma"], eps).mean()
    elif name == "ORPOLoss":
        log_odds_c = pc - torch.log1p(-torch.exp(pc))
        log_odds_r = pr - torch.log1p(-torch.exp(pr))
        loss = nll - beta * F.logsigmoid(log_odds_c - log_odds_r).mean()
    else:
        raise ValueError(f"unknown loss {name}")
    return loss, beta * pc, beta * pr


def run_losses(path):
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    out = []
    for case in cases:
        t = lambda k: torch.tensor(case[k], dtype=torch.float64, requires_grad=True)  # noqa: E731
        pc, pr = t("chosen"), t("rejected")
        rc = torch.tensor(case["ref_chosen"], dtype=torch.float64) if "ref_chosen" in case else None
        rr = torch.tensor(case["ref_rejected"], dtype=torch.float64) if "ref_rejected" in case else None
        nll = t("chosen_nll") if "chosen_nll" in case else None
        loss, cr, rj = loss_of(case, pc, pr, rc, rr, nll)
        wrt = [pc, pr] + ([nll] if nll is not None else [])
        grads = torch.autograd.grad(loss, wrt, allow_unused=True)
        g = {"chosen": grads[0].tolist(), "rejected": grads[1].tolist()}
        if nll is not None:
            g["chosen_nll"] = 0.0 if grads[2] is None else grads[2].item()
        out.append({"loss": loss.item(), "chosen_rewards": cr.tolist(), "rejected_rewards": rj.tolist(), "grads": g})
    return out


def sequence_logps(model, ids, mask, labels):
    """Per-row sum and token mean of log p(label) over positions whose label is not -100, and the counts."""
    pos = torch.arange(ids.shape[1])[None].expand_as(ids)
    logits, _ = model.forward(ids, mask, pos)
    logp = torch.log_softmax(logits, dim=-1)
    valid = labels != -100
    picked = torch.gather(logp, 2, labels.clamp(min=0)[..., None])[..., 0] * valid
    total, count = picked.sum(1), valid.sum(1).to(logits.dtype)
    return total, total / count.clamp(min=1), count


def run_pairs(args):
    with open(args.pairs, encoding="utf-8") as f:
        batch = json.load(f)
    ids = torch.tensor(batch["input_ids"], dtype=torch.long)
    mask = torch.tensor(batch["attention_mask"], dtype=torch.long)
    labels = torch.tensor(batch["labels"], dtype=torch.long)
    P = ids.shape[0] // 2
    model = ReferenceModel(args.model, torch.float64, args.adapter)
    adapter = model.adapter
    names = sorted(adapter.tensors)
    out = []
    for case in batch["cases"]:
        for n in names:
            adapter.tensors[n].requires_grad_(True)
        total, avg, count = sequence_logps(model, ids, mask, labels)
        seq = avg if case["loss"] in MEAN_LOGPS else total
        pc, pr = seq[:P], seq[P:]
        model.adapter = None  # the reference: the same weights without the adapter
        with torch.no_grad():
            r_total, r_avg, _ = sequence_logps(model, ids, mask, labels)
        model.adapter = adapter
        r_seq = r_avg if case["loss"] in MEAN_LOGPS else r_total
        nll = -total[:P].sum() / count[:P].sum()
        loss, cr, rj = loss_of(case, pc, pr, r_seq[:P], r_seq[P:], nll)
        grads = torch.autograd.grad(loss, [adapter.tensors[n] for n in names])
        out.append(
            {
                "loss": loss.item(),
                "chosen_logps": pc.tolist(),
                "rejected_logps": pr.tolist(),
                "chosen_rewards": cr.tolist(),
                "rejected_rewards": rj.tolist(),
                "grads": {n: g.reshape(-1).tolist() for n, g in zip(names, grads)},
            }
        )
    return out


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--losses")
    p.add_argument("--model")
    p.add_argument("--adapter")
    p.add_argument("--pairs")
    args = p.parse_args(argv)
    if args.losses:
        result = run_losses(args.losses)
    elif args.model and args.adapter and args.pairs:
        result = run_pairs(args)
    else:
        raise SystemExit("give --losses FILE, or --model DIR --adapter DIR --pairs FILE")
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
