"""The score head of tunebook's causal_classification / causal_regression in PyTorch (float64), written from
transformers' LlamaForSequenceClassification: the hidden state of each row's last non-padding token (right
padding), times score.weight^T, then torch.nn's CrossEntropyLoss, BCEWithLogitsLoss, MSELoss or L1Loss (H2O LLM
Studio's losses). Reads a JSON file (argv[1]) {hidden [B][T][C], mask [B][T], weight [K][C], loss, labels}; prints
{logits, loss, grad} (grad = d loss / d score.weight)."""
import json
import sys

import torch


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    hidden = torch.tensor(job["hidden"], dtype=torch.float64)
    mask = torch.tensor(job["mask"], dtype=torch.long)
    weight = torch.tensor(job["weight"], dtype=torch.float64, requires_grad=True)
    # transformers: sequence_lengths = index of the last non-pad token (right padding).
    last = mask.sum(dim=1) - 1
    pooled = hidden[torch.arange(hidden.shape[0]), last]
    logits = torch.nn.functional.linear(pooled, weight)
    name = job["loss"]
    if name == "CrossEntropyLoss":
        loss = torch.nn.CrossEntropyLoss()(logits, torch.tensor(job["labels"], dtype=torch.long))
    else:
        y = torch.tensor(job["labels"], dtype=torch.float64)
        fn = {"BinaryCrossEntropyLoss": torch.nn.BCEWithLogitsLoss(), "MSELoss": torch.nn.MSELoss(),
              "MAELoss": torch.nn.L1Loss()}[name]
        loss = fn(logits, y)
    loss.backward()
    json.dump({"logits": logits.tolist(), "loss": loss.item(), "grad": weight.grad.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
