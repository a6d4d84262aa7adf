/**
 * The advisor's protocol against our own OpenAI-compatible server (`serve()`, the real `openai` client) with a
 * scripted model (TEST DOUBLE: `test/serve/scripted-model.ts`, deterministic replies per call): valid proposals
 * are used with their reasons, an invalid one is answered with the problems and retried, and after the retries
 * or an endpoint failure the slot goes to TPE; never a crash, never an unchecked setting.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AdvisorSampler, askAboutSearch, parseSearchSpace, Space, type TrialRecord } from "../../sdk/automl";
import { serve } from "../../sdk/serve";
import { ScriptedModel } from "../serve/scripted-model";

const space = parseSearchSpace({
  "training.learning_rate": Space.logUniform(1e-5, 1e-2),
  "lora.r": [4, 8, 16],
});

test("advisor proposals are checked; invalid ones are answered and retried, then TPE takes the slot", async () => {
  const replies = [
    // 1st proposal: valid, in a code fence, snake_case keys.
    'Here:\n```json\n{"params": {"training.learning_rate": 0.0003, "lora.r": 8}, "reason": "a common starting point"}\n```',
    // 2nd proposal: out of range, then a key that is not searched, then valid.
    '{"params": {"training.learning_rate": 0.5, "lora.r": 8}, "reason": "bold"}',
    '{"params": {"training.learning_rate": 0.001, "lora.r": 8, "lora.alpha": 4}, "reason": "x"}',
    '{"params": {"training.learningRate": 0.001, "lora.r": 16}, "reason": "more capacity"}',
    // 3rd proposal: three invalid replies → TPE.
    "no json at all",
    '{"params": {"training.learning_rate": 0.001}}',
    '{"params": {"training.learning_rate": 0.001, "lora.r": 5}}',
  ];
  const model = new ScriptedModel({
    id: "advisor-double",
    contextLength: 8192,
    script: (_p, call) => replies[call] ?? "{}",
  });
  const server = await serve({ model, port: 0 });
  try {
    const sampler = new AdvisorSampler(
      { space, seed: 1, base: () => undefined },
      { baseURL: server.baseURL, model: "advisor-double", context: "arithmetic QA, 32 rows", retries: 2 },
    );
    const history: TrialRecord[] = [];
    const first = await sampler.propose(history);
    assert.deepEqual(first, { "training.learningRate": 0.0003, "lora.r": 8 });
    assert.deepEqual(sampler.lastProposal, { source: "advisor", reason: "a common starting point" });
    history.push({
      number: 0,
      params: first,
      state: "complete",
      value: 2.5,
      intermediate: new Map([[4, 2.5]]),
    });

    const second = await sampler.propose(history);
    assert.deepEqual(second, { "training.learningRate": 0.001, "lora.r": 16 });
    assert.equal(sampler.lastProposal?.reason, "more capacity");
    // What the advisor was told: the task, the settings with their ranges, the trial table, and each problem.
    const prompts = model.calls.map((c) => c.prompt);
    assert.match(prompts[1]!, /arithmetic QA, 32 rows/);
    assert.match(prompts[1]!, /training\.learning_rate: a number in \[0\.00001, 0\.01\] \(log scale\)/);
    assert.match(
      prompts[1]!,
      /trial 0: training\.learning_rate=0\.0003, lora\.r=8 → complete objective 2\.5000/,
    );
    assert.match(
      prompts[2]!,
      /not valid: training\.learningRate: expected a value in \[0\.00001, 0\.01\], got 0\.5/,
    );
    assert.match(prompts[3]!, /lora\.alpha: not a setting of this search/);
    history.push({ number: 1, params: second, state: "pruned", intermediate: new Map([[4, 3.1]]) });

    const third = await sampler.propose(history);
    assert.equal(sampler.lastProposal?.source, "tpe");
    assert.match(
      sampler.lastProposal?.reason ?? "",
      /advisor fallback after 3 attempts: .*lora\.r: expected one of \[4,8,16\], got 5/,
    );
    const lr = third["training.learningRate"] as number;
    assert.ok(
      lr >= 1e-5 && lr <= 1e-2 && [4, 8, 16].includes(third["lora.r"] as number),
      JSON.stringify(third),
    );
    assert.equal(model.calls.length, 7);
  } finally {
    await server.close();
  }
});

test("an unreachable endpoint falls back to TPE with the reason, and `trials` hands over to TPE", async () => {
  const sampler = new AdvisorSampler(
    { space, seed: 2, base: () => undefined },
    { baseURL: "http://127.0.0.1:9/v1", model: "none", retries: 1, timeoutMs: 2000 },
  );
  const p = await sampler.propose([]);
  assert.equal(sampler.lastProposal?.source, "tpe");
  assert.match(sampler.lastProposal?.reason ?? "", /endpoint failed/);
  assert.ok(typeof p["training.learningRate"] === "number");
  const limited = new AdvisorSampler(
    { space, seed: 2, base: () => undefined },
    { baseURL: "http://127.0.0.1:9/v1", model: "none", trials: 0 },
  );
  await limited.propose([]);
  assert.deepEqual(limited.lastProposal, { source: "tpe" });
});

test("questions about a search are sent with its trial table and answered by the endpoint", async () => {
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-ask-"));
  const trial = (
    number: number,
    state: string,
    value: number | undefined,
    curve: [number, number][],
    reason?: string,
  ) => ({
    number,
    params: { "training.learning_rate": number === 1 ? 0.003 : 0.0001 },
    state,
    value,
    bestStep: curve.at(-1)?.[0],
    curve,
    reason,
    tokens: 100,
    seconds: 1,
  });
  writeFileSync(
    path.join(dir, "search.json"),
    JSON.stringify({
      version: 1,
      strategy: "tpe",
      pruner: "asha",
      metric: { name: "loss", direction: "minimize" },
      budget: { trials: 2 },
      seed: 0,
      space: {},
      trials: [
        trial(0, "pruned", 3.2, [[2, 3.2]], "ASHA rung 0 (step 2): …"),
        trial(1, "complete", 1.7, [
          [2, 2.4],
          [4, 1.7],
        ]),
      ],
    }),
  );
  const model = new ScriptedModel({
    id: "m",
    contextLength: 8192,
    script: () => "Trial 1 used the larger learning rate.",
  });
  const server = await serve({ model, port: 0 });
  try {
    const answer = await askAboutSearch(dir, "why did trial 1 do better?", {
      baseURL: server.baseURL,
      model: "m",
    });
    assert.equal(answer, "Trial 1 used the larger learning rate.");
    const prompt = model.calls[0]!.prompt;
    assert.match(prompt, /Question: why did trial 1 do better\?/);
    assert.match(prompt, /1 \| complete \| 1\.7 \| 4 \| 0\.003/);
    assert.match(prompt, /0 \| pruned \| 3\.2 .*ASHA rung 0/);
    assert.match(prompt, /trial 1: step 2: 2\.4000, step 4: 1\.7000/);
  } finally {
    await server.close();
  }
});
