import assert from "node:assert/strict";
import { test } from "node:test";
import { runPython } from "../../test/eval/run-python";
import { perplexity } from "./perplexity";

// Reference: PyTorch's token-averaged CrossEntropyLoss with ignore_index=-100 (the trainer's loss), on random
// logits with masked (prompt) positions. Python also returns the log-probabilities of the answer tokens.
const TORCH = `
import json, sys, torch
torch.manual_seed(0)
B, T, V = 5, 9, 11
logits = torch.randn(B, T, V, dtype=torch.float64) * 3
labels = torch.randint(0, V, (B, T))
mask = torch.rand(B, T) < 0.4
mask[2] = True          # a row with every token masked
labels[mask] = -100
loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=-100)
lp = torch.log_softmax(logits, -1)
rows = [[lp[b, t, labels[b, t]].item() for t in range(T) if labels[b, t] != -100] for b in range(B)]
per_row = [torch.exp(torch.nn.functional.cross_entropy(logits[b], labels[b], ignore_index=-100)).item() for b in range(B)]
print(json.dumps({"loss": loss.item(), "rows": rows, "perRow": [None if p != p else p for p in per_row]}))
`;

test("perplexity equals exp(PyTorch token-mean cross-entropy) over answer tokens", () => {
  const ref = runPython<{ loss: number; rows: number[][]; perRow: (number | null)[] }>(TORCH, null);
  const r = perplexity({ logProbs: ref.rows });
  assert.ok(Math.abs(r.crossEntropy - ref.loss) < 1e-12 * ref.loss, `${r.crossEntropy} vs ${ref.loss}`);
  assert.ok(Math.abs(r.value - Math.exp(ref.loss)) < 1e-12 * r.value);
  ref.perRow.forEach((p, i) => {
    if (p === null)
      assert.ok(Number.isNaN(r.perRow[i])); // torch gives NaN for a fully masked row
    else assert.ok(Math.abs(r.perRow[i] - p) < 1e-12 * p, `row ${i}`);
  });
  // The same from summed NLL and counts; and H2O LLM Studio's mean of per-row perplexities.
  const nll = ref.rows.map((row) => -row.reduce((a, b) => a + b, 0));
  const byCounts = perplexity({ nll, tokenCounts: ref.rows.map((row) => row.length) });
  assert.ok(Math.abs(byCounts.value - r.value) < 1e-12 * r.value);
  const rowMean = perplexity({ logProbs: ref.rows, reduce: "row-mean" }).value;
  const finite = ref.perRow.filter((p): p is number => p !== null);
  assert.ok(Math.abs(rowMean - finite.reduce((a, b) => a + b, 0) / finite.length) < 1e-12 * rowMean);
});

test("perplexity refuses empty input and positive log-probabilities", () => {
  assert.throws(() => perplexity({ logProbs: [[]] }), { name: "TunebookMetricInputError" });
  assert.throws(() => perplexity({ logProbs: [[0.5]] }), { name: "TunebookConfigError" });
});
