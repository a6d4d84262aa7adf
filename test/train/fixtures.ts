/**
 * Shared fixtures of the trainer tests: a tiny Llama checkpoint (real Hugging Face format, written by the
 * PyTorch reference script) and a small arithmetic question/answer dataset.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Dataset } from "../../sdk/data";
import { Metrics } from "../../sdk/eval";
import { Experiment, type Run, type StepEvent } from "../../sdk/train";
import { makeTinyCheckpoint } from "../reference";

/** A tiny Llama model directory (2 layers, hidden 64, 512-token byte-level BPE tokenizer). */
export function tinyLlama(): Promise<string> {
  return makeTinyCheckpoint({ arch: "llama", seed: 11 });
}

/** `n` distinct "a plus b" questions (n ≤ 80) with their answers, as records. */
export function arithmeticRecords(n = 32): { question: string; answer: string }[] {
  return Array.from({ length: n }, (_, i) => {
    const a = i % 8;
    const b = Math.floor(i / 8) + 1;
    return { question: `What is ${a} plus ${b}?`, answer: `${a + b}` };
  });
}

/** The arithmetic dataset with a 25% validation split. */
export function arithmeticDataset(n = 32): Dataset {
  return Dataset.fromRecords(arithmeticRecords(n))
    .columns({ prompt: "question", answer: "answer" })
    .validation({ size: 0.25, seed: 3 });
}

/** A fresh folder for experiment folders. */
export function experimentsRoot(): string {
  return mkdtempSync(path.join(os.tmpdir(), "tunebook-exp-"));
}

/** Fits without a display, releases the run's backbone, and asserts the run completed. */
export async function fitCompleted(exp: Experiment): Promise<Run> {
  const run = await exp.fit({ display: false });
  await run.backbone.dispose();
  assert.equal(run.status, "completed", run.error?.message);
  return run;
}

/** The validation losses of a run, in order. */
export const evalLosses = (run: Run): number[] =>
  run.history.flatMap((r) => (r.type === "eval" ? [r.loss] : []));

/**
 * A workspace with a copy of the tiny Llama and an experiment trained there by the built `tunebook train`.
 * @returns the workspace, the base model folder in it, and the trained experiment folder
 * @example
 * ```ts
 * const { ws, trained } = await cliTrainedExperiment();
 * ```
 */
export async function cliTrainedExperiment(): Promise<{ ws: string; model: string; trained: string }> {
  const { cliWorkspace, onlyExperiment, tunebook } = await import("../support/cli-workspace");
  const ws = experimentsRoot();
  const model = path.join(ws, "model");
  cpSync(await tinyLlama(), model, { recursive: true });
  await cliWorkspace({ dir: ws, backbone: model });
  const r = tunebook(["train", "--config", "exp.yaml"], ws);
  assert.equal(r.code, 0, r.err);
  return { ws, model, trained: onlyExperiment(path.join(ws, "runs")) };
}

/**
 * Fits to the end, then fits again cancelled after optimizer step `step` (the checkpoint a resume continues
 * from); both without a display.
 * @returns the uninterrupted run and the cancelled one
 */
export async function fullAndCancelled(exp: Experiment, step: number): Promise<{ full: Run; cut: Run }> {
  const full = await exp.fit({ display: false });
  const controller = new AbortController();
  const cut = await exp.fit({
    display: false,
    signal: controller.signal,
    callbacks: [{ onStep: (e) => (e.step === step ? controller.abort() : undefined) }],
  });
  assert.equal(cut.status, "cancelled");
  return { full, cut };
}

/** The training losses of a run's step events, in order. */
export const stepLosses = (run: Run): number[] =>
  run.history.flatMap((r) => (r.type === "step" ? [(r as StepEvent).loss] : []));

/**
 * Cancels a run of `exp` after optimizer step `step`, resumes it from its checkpoint (on the arithmetic dataset,
 * with perplexity), and asserts that it ends with exactly the step losses of an uninterrupted run.
 * @param exp - an experiment logging every step
 * @param step - the step to cancel after
 */
export async function assertResumesExactly(exp: Experiment, step: number): Promise<void> {
  const { full, cut } = await fullAndCancelled(exp, step);
  const resumed = await Experiment.resume(cut.dir, {
    dataset: arithmeticDataset(),
    metrics: [Metrics.perplexity()],
  });
  try {
    assert.equal(resumed.status, "completed", resumed.error?.message);
    assert.deepEqual(stepLosses(resumed), stepLosses(full));
  } finally {
    for (const r of [full, cut, resumed]) await r.backbone.dispose();
  }
}

const POSITIVE = ["wonderful", "great", "lovely", "superb", "good", "fine", "brilliant", "pleasant"];
const NEGATIVE = ["awful", "terrible", "boring", "dreadful", "bad", "poor", "dull", "horrible"];
const SUBJECTS = ["The film", "This book", "The meal", "Our trip", "The show", "That song"];

/**
 * `n` short templated reviews with a sentiment label (1 positive, 0 negative), alternating, deterministic, and
 * a `stars` regression target (1–5, higher for positive words).
 */
export function sentimentRecords(n = 48): { text: string; label: number; stars: number }[] {
  return Array.from({ length: n }, (_, i) => {
    const positive = i % 2 === 0;
    const words = positive ? POSITIVE : NEGATIVE;
    const word = words[Math.floor(i / 2) % words.length];
    const subject = SUBJECTS[Math.floor(i / 3) % SUBJECTS.length];
    return {
      text: `${subject} was ${word}.`,
      label: positive ? 1 : 0,
      stars: positive ? 4 + (i % 3) / 2 : 1 + (i % 3) / 2,
    };
  });
}
