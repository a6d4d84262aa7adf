/**
 * Learning rates of a whole run as Hugging Face transformers computes them, for the schedule tests.
 */
import { runPython } from "../eval/run-python";

// Reference: transformers' lr lambdas (src/transformers/optimization.py: _get_constant_schedule_with_warmup_lr_lambda,
// _get_linear_schedule_with_warmup_lr_lambda, _get_cosine_schedule_with_warmup_lr_lambda with num_cycles 0.5 and
// min_lr_rate as get_cosine_with_min_lr_schedule_with_warmup passes it) in torch's LambdaLR, driving a real torch
// AdamW as transformers' Trainer does: backward on every micro-batch, then optimizer.step(), scheduler.step() and
// zero_grad() once per optimizer step (the last group of an epoch may be short). The learning rate a step ran at
// is the optimizer's before its step().
const PY = `
import json, math, sys, torch
from functools import partial
from torch.optim.lr_scheduler import LambdaLR
def constant(k, *, w):
    if k < w: return float(k) / float(max(1.0, w))
    return 1.0
def linear(k, *, w, t, m):
    if k < w: return float(k) / float(max(1, w))
    f = max(0.0, float(t - k) / float(max(1, t - w)))
    return max(0, f * (1 - m) + m)
def cosine(k, *, w, t, m, num_cycles=0.5):
    if k < w: return float(k) / float(max(1, w))
    progress = float(k - w) / float(max(1, t - w))
    f = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    return max(0, f * (1 - m) + m)
out = []
for c in json.load(sys.stdin):
    p = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.AdamW([p], lr=c["peak"])
    per_epoch = -(-c["micro"] // c["ga"])
    t = per_epoch * c["epochs"]
    w, m = c["warmup"], c["minLrRatio"]
    lam = {"constant": partial(constant, w=w), "linear": partial(linear, w=w, t=t, m=m),
           "cosine": partial(cosine, w=w, t=t, m=m)}[c["schedule"]]
    sched = LambdaLR(opt, lam)
    lrs = []
    for epoch in range(c["epochs"]):
        for i in range(c["micro"]):
            (p * (i + 1)).sum().backward()
            if (i + 1) % c["ga"] == 0 or i + 1 == c["micro"]:
                lrs.append(opt.param_groups[0]["lr"])
                opt.step(); sched.step(); opt.zero_grad()
    out.append(lrs)
print(json.dumps(out))
`;

/** A run to schedule: shape, peak, warmup steps, floor, micro-batches per epoch, accumulation, epochs. */
export interface HfScheduleCase {
  schedule: "constant" | "linear" | "cosine";
  peak: number;
  /** Warmup in optimizer steps. */
  warmup: number;
  minLrRatio: number;
  /** Micro-batches per epoch. */
  micro: number;
  /** Micro-batches per optimizer step. */
  ga: number;
  epochs: number;
}

/**
 * The learning rate of every optimizer step of each run, from transformers' lambdas in torch's LambdaLR.
 * @param cases - the runs
 * @returns per run, the learning rate each optimizer step ran at
 * @example
 * ```ts
 * hfLearningRates([{ schedule: "linear", peak: 1, warmup: 1, minLrRatio: 0, micro: 2, ga: 1, epochs: 1 }]); // [[0, 1]]
 * ```
 */
export function hfLearningRates(cases: readonly HfScheduleCase[]): number[][] {
  return runPython<number[][]>(PY, cases);
}
