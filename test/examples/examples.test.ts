/**
 * The example scripts run as users run them (built, from the repository root) in their `--quick` mode: the
 * README demo, the LoRA-rank comparison, and evaluate-and-export. Each must exit 0 and print its results.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";

function runExample(name: string) {
  const r = spawnSync(process.execPath, [path.resolve(`dist/examples/${name}.js`), "--quick"], {
    encoding: "utf8",
    env: { ...process.env, OMP_WAIT_POLICY: "PASSIVE" },
  });
  assert.equal(r.status, 0, `${name} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test("demo: held-out perplexity falls more than tenfold", () => {
  const out = runExample("demo");
  const m = /before ([\d.]+), after ([\d.]+)/.exec(out);
  assert.ok(m, out);
  assert.ok(Number(m[2]) < Number(m[1]) / 10, out);
});

test("compare-lora-ranks: two runs and a comparison naming lora.r", () => {
  const out = runExample("compare-lora-ranks");
  assert.equal(out.match(/completed after \d+ steps/g)?.length, 2, out);
  assert.match(out, /settings that differ: .*lora\.r/);
});

test("evaluate-and-export: metrics, exports, merged model equal to the trained one", () => {
  const out = runExample("evaluate-and-export");
  for (const name of ["perplexity", "qa_exact_match", "bleu"])
    assert.match(out, new RegExp(`^${name}: [\\d.]+$`, "m"));
  assert.match(out, /merged vs trained max \|Δlogit\| = /);
});
