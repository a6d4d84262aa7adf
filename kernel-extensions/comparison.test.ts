import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { after, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { applyOverrides, compareExperiments, ExperimentStore, parseExperimentConfig } from "../sdk/train";
import { compareRuns, showComparison } from "./comparison";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-comparison-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Two real experiment folders that differ in the LoRA rank, with step and eval records. */
async function makeRuns(): Promise<string[]> {
  const base = parseExperimentConfig({ architecture: { backbone: "./tiny" } });
  const dirs: string[] = [];
  for (const [i, r] of [4, 16].entries()) {
    const config = applyOverrides(base, [`lora.r=${r}`, `logging.name=rank-${r}`]);
    const store = await ExperimentStore.create({
      root,
      name: `rank-${r}`,
      config,
      now: new Date(2025, 0, 1, i),
    });
    for (let step = 1; step <= 6; step++) {
      store.appendMetrics([
        {
          type: "step",
          step,
          totalSteps: 6,
          epoch: step / 3,
          loss: 3 - step * 0.1 * (i + 1),
          learningRate: 1e-3,
          gradNorm: 1,
          tokens: 64,
          tokensPerSecond: 1,
          elapsedSeconds: step,
        },
      ]);
      if (step % 2 === 0) {
        const loss = 2.9 - step * 0.05 * (i + 1);
        store.appendMetrics([
          { type: "eval", step, epoch: step / 3, loss, metrics: { perplexity: Math.exp(loss) } },
        ]);
      }
    }
    await store.writeStatus("completed", { step: 6 });
    dirs.push(store.dir);
  }
  return dirs;
}

/** Reads a folder's metrics.jsonl and config.yaml directly (the reference for what the helper shows). */
function reference(dir: string) {
  const lines = fs
    .readFileSync(path.join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map(
      (l) => JSON.parse(l) as { type: string; step: number; loss: number; metrics?: Record<string, number> },
    );
  const evals = lines.filter((l) => l.type === "eval");
  const config = parseYaml(fs.readFileSync(path.join(dir, "config.yaml"), "utf8")) as { lora: { r: number } };
  return { evals, last: lines.filter((l) => l.type === "step").at(-1)!, r: config.lora.r };
}

test("compareRuns reads each run's settings, final losses, metrics and validation curve from its folder", async () => {
  const dirs = await makeRuns();
  const cmp = compareRuns({ experiments: [dirs[0]!, { dir: dirs[1]! }] });
  // The names differ too, but the run column shows them.
  assert.deepEqual(compareExperiments(dirs).differingSettings.sort(), ["lora.r"]);
  assert.deepEqual(cmp.differingSettings, ["lora.r"]);
  assert.equal(cmp.rows.length, 2);
  for (const [i, dir] of dirs.entries()) {
    const ref = reference(dir);
    const row = cmp.rows[i]!;
    assert.equal(row.run, path.basename(dir));
    assert.equal(row["lora.r"], ref.r);
    assert.equal(row.status, "completed");
    assert.equal(row.step, ref.last.step);
    assert.equal(row.train_loss, ref.last.loss);
    assert.equal(row.eval_loss, ref.evals.at(-1)!.loss);
    assert.equal(row.best_eval_loss, Math.min(...ref.evals.map((e) => e.loss)));
    assert.equal(row["metric.perplexity"], ref.evals.at(-1)!.metrics!.perplexity);
    assert.deepEqual(cmp.validationLoss[i], {
      name: path.basename(dir),
      x: ref.evals.map((e) => e.step),
      y: ref.evals.map((e) => e.loss),
    });
  }
  // Only the differing setting is a column unless every setting is asked for.
  assert.ok(!("training.learning_rate" in cmp.rows[0]!));
  assert.ok("training.learning_rate" in compareRuns({ experiments: dirs, settings: "all" }).rows[0]!);
});

test("showComparison prints the table and one chart line per run in text mode; bad options throw", async () => {
  const dirs = (await makeRuns()).slice(0, 2);
  const out = new PassThrough();
  let text = "";
  out.on("data", (b: Buffer) => {
    text += b.toString();
  });
  showComparison({ experiments: dirs, title: "rank 4 vs 16", mode: "text", output: out });
  const names = dirs.map((d) => path.basename(d));
  assert.match(text, /rank 4 vs 16\nrun +lora\.r +status +step +train_loss +eval_loss/);
  for (const n of names) assert.match(text, new RegExp(`${n}: last \\S+ @ 6, min \\S+`));
  assert.throws(() => showComparison({ experiments: [] }), { name: "TunebookConfigError" });
  assert.throws(() => compareRuns({ experiments: [path.join(root, "nope")] }), {
    name: "TunebookExperimentNotFoundError",
  });
});
