/**
 * The LLM judge against the project's own OpenAI-compatible server, with a real model: the embedded tiny Llama
 * is fine-tuned (LoRA, chat template) to grade arithmetic answers in the judge's `SCORE:` format, served on
 * loopback with `serve` + `servableBackbone`, and `Metrics.judge` grades held-out answers through the real
 * `openai` client. Every per-row score must equal the score parsed from the same backbone's in-process
 * generation for the same chat (no HTTP), so the whole judge path — template, chat messages, server, parsing,
 * aggregation — is checked against an independent path.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Dataset } from "../../sdk/data";
import { Metrics } from "../../sdk/eval";
import { parseJudgeScore } from "../../sdk/eval/judge/parse-score";
import { servableBackbone, serve } from "../../sdk/serve";
import { Experiment, LoRAConfig } from "../../sdk/train";
import { experimentsRoot } from "../train/fixtures";

const SYSTEM = "Grade the answer.";
const TEMPLATE = "Q: {prompt}\nA: {prediction}\nRef: {reference}";
const template = {
  name: "arithmetic",
  template: TEMPLATE,
  scale: [0, 9] as [number, number],
  system: SYSTEM,
};

interface Graded {
  prompt: string;
  prediction: string;
  reference: string;
}

function rows(n: number, offset: number): Graded[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const [a, b] = [i % 7, (i * 3) % 5];
    const right = i % 2 === 0;
    return { prompt: `${a}+${b}?`, prediction: `${right ? a + b : a + b + 2}`, reference: `${a + b}` };
  });
}

const fill = (r: Graded) =>
  TEMPLATE.replace("{prompt}", r.prompt)
    .replace("{prediction}", r.prediction)
    .replace("{reference}", r.reference);

test("the LLM judge grades through our own server exactly as the model does in process", async () => {
  const train = Dataset.fromRecords(
    rows(48, 0).map((r) => ({
      system: SYSTEM,
      question: fill(r),
      grade: `SCORE: ${r.prediction === r.reference ? 9 : 1}`,
    })),
  ).columns({ system: "system", prompt: "question", answer: "grade" });
  const run = await Experiment.create({ name: "judge", root: experimentsRoot() })
    .backbone("assets/tiny-llama")
    .dataset(train, { useChatTemplate: true })
    .lora(new LoRAConfig({ r: 8, alpha: 16, dropout: 0, targetModules: "all-linear" }))
    .train({ epochs: 20, batchSize: 8, learningRate: 1e-2, warmupEpochs: 0.5 })
    .environment({ seed: 3, threads: 2 })
    .fit({ display: false });
  assert.equal(run.status, "completed", run.error?.message);
  const backbone = run.backbone;
  const server = await serve({ model: servableBackbone({ backbone, id: "judge" }), port: 0 });
  try {
    const heldOut = rows(8, 100);
    const judge = Metrics.judge({
      baseURL: server.baseURL,
      apiKey: "none",
      model: "judge",
      template,
      maxTokens: 8,
    });
    const result = await judge.compute({
      prompts: heldOut.map((r) => r.prompt),
      predictions: heldOut.map((r) => r.prediction),
      references: heldOut.map((r) => r.reference),
    });
    const expected: number[] = [];
    for (const r of heldOut) {
      const messages = [
        { role: "system" as const, content: SYSTEM },
        { role: "user" as const, content: fill(r) },
      ];
      const [g] = await backbone.generate({ messages, maxNewTokens: 8, doSample: false });
      expected.push(parseJudgeScore(g.text, template.scale) ?? Number.NaN);
    }
    assert.deepEqual(result.perRow, expected);
    assert.ok(
      expected.every(Number.isFinite),
      `the fine-tuned judge answers in the SCORE format: ${expected}`,
    );
    const mean = result.perRow!.reduce((a, v) => a + v, 0) / heldOut.length;
    assert.ok(Math.abs(result.value - mean) < 1e-12);
    assert.deepEqual(result.warnings ?? [], [], "no fallback, no unscorable rows");
  } finally {
    await server.close();
    await backbone.dispose();
  }
});
