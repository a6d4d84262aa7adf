"""Checks an exported sequence-classification folder the way transformers would read it, without transformers:
config.json as LlamaForSequenceClassification expects it (architectures, id2label/label2id giving num_labels,
problem_type, pad_token_id), the weights exactly the base model's without lm_head.weight plus score.weight
[num_labels, hidden], and a forward written from that layout: the reference decoder's final hidden states, the
last non-padding token found as transformers >= 4.45 does (rightmost position whose id is not pad_token_id),
score.weight applied, softmax / sigmoid by problem_type. Also checks a PEFT adapter export's modules_to_save.

usage: seq_cls_reference.py JOB.json  with {model, base, adapter?, ids [B][T], hidden}
prints {probabilities [B][K], problems [..]}"""
import json
import os
import sys

import torch

from reference_model import ReferenceModel, read_config
from safetensors_io import read_checkpoint_weights, read_safetensors


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    problems = []
    cfg = json.load(open(os.path.join(job["model"], "config.json")))
    arch = cfg.get("architectures", [""])[0]
    if not arch.endswith("ForSequenceClassification"):
        problems.append(f"architectures {cfg.get('architectures')}")
    id2label = cfg.get("id2label", {})
    num_labels = len(id2label)
    if sorted(id2label) != [str(i) for i in range(num_labels)]:
        problems.append(f"id2label keys {sorted(id2label)}")
    if {v: int(k) for k, v in id2label.items()} != cfg.get("label2id"):
        problems.append("label2id is not the inverse of id2label")
    if cfg.get("pad_token_id") is None:
        problems.append("no pad_token_id")
    if cfg.get("problem_type") not in ("regression", "single_label_classification", "multi_label_classification"):
        problems.append(f"problem_type {cfg.get('problem_type')}")
    weights = read_checkpoint_weights(job["model"])
    base = read_checkpoint_weights(job["base"])
    expected = (set(base) - {"lm_head.weight"}) | {"score.weight"}
    if set(weights) != expected:
        problems.append(f"keys differ: extra {sorted(set(weights) - expected)}, missing {sorted(expected - set(weights))}")
    score = torch.tensor(weights["score.weight"], dtype=torch.float64)
    if list(score.shape) != [num_labels, cfg["hidden_size"]]:
        problems.append(f"score.weight shape {list(score.shape)}")
    # The backbone from the layout: the reference decoder over the exported weights (its LM head unused).
    model = ReferenceModel.__new__(ReferenceModel)
    model.cfg = read_config(job["model"])
    model.cfg["tie"] = True
    model.dtype = torch.float64
    model.weights = {k: torch.tensor(v, dtype=torch.float64) for k, v in weights.items()}
    model.adapter = None
    ids = torch.tensor(job["ids"], dtype=torch.long)
    pad = cfg["pad_token_id"]
    non_pad = (ids != pad).long()
    positions = torch.arange(ids.shape[1]).expand_as(ids)
    _, hidden = model.forward(ids, non_pad, positions)
    last = (positions * non_pad).argmax(-1)
    logits = hidden[torch.arange(ids.shape[0]), last] @ score.T
    kind = cfg["problem_type"]
    probs = logits if kind == "regression" else (
        logits.softmax(-1) if kind == "single_label_classification" else logits.sigmoid())
    if job.get("adapter"):
        ac = json.load(open(os.path.join(job["adapter"], "adapter_config.json")))
        if ac.get("modules_to_save") != ["score"] or ac.get("task_type") != "SEQ_CLS":
            problems.append(f"adapter_config modules_to_save {ac.get('modules_to_save')} task_type {ac.get('task_type')}")
        tensors = read_safetensors(os.path.join(job["adapter"], "adapter_model.safetensors"))
        head = tensors.get("base_model.model.score.weight")
        if head is None or not torch.equal(torch.tensor(head, dtype=torch.float64), score):
            problems.append("adapter: base_model.model.score.weight missing or not the merged score.weight")
    json.dump({"probabilities": probs.tolist(), "problems": problems}, sys.stdout)


if __name__ == "__main__":
    main()
