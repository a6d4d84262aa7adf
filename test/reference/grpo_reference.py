"""GRPO's clipped policy loss and group advantages, written from the formulas (TRL's GRPOTrainer conventions).

    /usr/bin/python3 test/reference/grpo_reference.py cases.json
      [{logp, old_logp, advantages, mask, eps_low, eps_high, loss_type, beta?, ref_logp?}] -> [{loss, grad}]
      [{rewards, group_size, scale}] -> [{advantages}]                                         (advantage cases)

logp/old_logp/mask are [B][T] lists, advantages [B]. The loss: r = exp(logp - old_logp),
l = -min(r A, clamp(r, 1 - eps_low, 1 + eps_high) A); grpo = mean over each sequence's tokens, then over sequences;
bnpo and dapo = mean over all completion tokens. With beta, + beta * (exp(ref - logp) - (ref - logp) - 1) per
token (the k3 estimator of KL(policy || reference)). grad = d loss / d logp (autograd), float64.
Advantages: (r - mean_group) / (std + 1e-4) with torch's unbiased std over the group, the batch, or none.
"""

import json
import sys

import torch


def policy_loss(c):
    logp = torch.tensor(c["logp"], dtype=torch.float64, requires_grad=True)
    old = torch.tensor(c["old_logp"], dtype=torch.float64)
    adv = torch.tensor(c["advantages"], dtype=torch.float64).unsqueeze(1)
    mask = torch.tensor(c["mask"], dtype=torch.float64)
    coef_1 = torch.exp(logp - old)
    coef_2 = torch.clamp(coef_1, 1 - c["eps_low"], 1 + c["eps_high"])
    per_token = -torch.min(coef_1 * adv, coef_2 * adv)
    if c.get("beta"):
        ref = torch.tensor(c["ref_logp"], dtype=torch.float64)
        per_token = per_token + c["beta"] * (torch.exp(ref - logp) - (ref - logp) - 1)
    if c["loss_type"] == "grpo":
        loss = ((per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean()
    else:  # bnpo, and dapo over one (accumulated) batch
        loss = (per_token * mask).sum() / mask.sum().clamp(min=1.0)
    loss.backward()
    return {"loss": loss.item(), "grad": logp.grad.tolist()}


def advantages(c):
    r = torch.tensor(c["rewards"], dtype=torch.float64)
    g = r.view(-1, c["group_size"])
    mean = g.mean(dim=1, keepdim=True)
    centred = (g - mean).view(-1)
    if c["scale"] == "none":
        return {"advantages": centred.tolist()}
    std = g.std(dim=1, keepdim=True).expand_as(g).reshape(-1) if c["scale"] == "group" else r.std()
    return {"advantages": (centred / (std + 1e-4)).tolist()}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    print(json.dumps([policy_loss(c) if "logp" in c else advantages(c) for c in cases]))


if __name__ == "__main__":
    main()
