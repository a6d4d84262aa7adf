// The data warnings reach a notebook's output under a real Jupyter server and the tunebook kernel: during
// `fit()` a truncation warning gets a display entry of its own (the progress note alone is replaced at the next
// step), and `Dataset.tokenize()` without `onWarning` prints it to the cell's stderr.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import type { KernelMessage } from "@jupyterlab/services";
import { JupyterHarness, type KernelSession } from "../notebooks/jupyter-harness";

const SDK = JSON.stringify(path.resolve("dist/sdk"));
const TINY = JSON.stringify(path.resolve("assets/tiny-llama"));
let jupyter: JupyterHarness;
let kernel: KernelSession;

before(async () => {
  jupyter = await JupyterHarness.start();
  kernel = await jupyter.startKernel();
  const setup = await kernel.run(`import { Dataset, Experiment, LoRAConfig, loadTokenizer } from ${SDK};
const long = "Call me Ishmael. Some years ago I went to sea. ".repeat(40);
const records = Array.from({ length: 8 }, (_, i) => ({ q: \`What is \${i} plus 1?\`, a: i === 3 ? long : \`\${i + 1}\` }));
const data = Dataset.fromRecords(records).columns({ prompt: "q", answer: "a" }).validation({ size: 0.25, seed: 3 });`);
  assert.equal(setup.status, "ok", setup.text());
});
after(async () => {
  await jupyter?.shutdown();
});

const html = (msgs: KernelMessage.IIOPubMessage[]) =>
  msgs
    .filter((m) => m.header.msg_type === "display_data")
    .map((m) => String((m.content as { data: Record<string, string> }).data["text/html"] ?? ""));

test("fit() shows the truncation warning as an output entry of its own", async () => {
  const run =
    await kernel.run(`const run = await Experiment.create({ name: "warn", root: ${JSON.stringify(path.join(jupyter.dir, "experiments"))} })
  .backbone(${TINY})
  .dataset(data)
  .tokenizer({ maxLength: 64 })
  .lora(new LoRAConfig({ r: 2, alpha: 4, targetModules: ["q_proj"] }))
  .train({ epochs: 1, batchSize: 2 })
  .fit();
console.log("RUN " + run.status);`);
  assert.equal(run.status, "ok", run.text());
  assert.match(run.text(), /RUN completed/);
  const warnings = html(run.iopub).filter((h) => h.includes("tunebook-warn"));
  assert.equal(warnings.length, 1, html(run.iopub).join("\n"));
  assert.match(warnings[0], /warn: 1 of \d examples were longer than maxLength 64 tokens/);
});

test("tokenize() without onWarning prints the warning to the cell's stderr", async () => {
  const run = await kernel.run(`const tokenizer = await loadTokenizer({ dir: ${TINY} });
console.log("examples " + data.tokenize({ tokenizer, maxLength: 32 }).examples.length);`);
  assert.equal(run.status, "ok", run.text());
  const stderr = run.iopub
    .filter((m) => m.header.msg_type === "stream" && (m.content as { name: string }).name === "stderr")
    .map((m) => (m.content as { text: string }).text)
    .join("");
  assert.match(stderr, /warning: 1 of 8 examples were longer than maxLength 32 tokens/);
});
