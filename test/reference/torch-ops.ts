// Unit ops of the reference (RMSNorm, RoPE) evaluated by PyTorch in float64, for known-answer tests.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../../sdk/errors";
import { DEFAULT_PYTHON, runReferenceScript } from "./run-script";

const vector = z.array(z.number());

/** One unit op: HF RMSNorm over the last axis, or non-interleaved RoPE of a [T, D] block. */
export const ReferenceOpSchema = z.discriminatedUnion("op", [
  z.object({
    op: z.literal("rms_norm"),
    x: z.array(vector),
    weight: vector,
    eps: z.number(),
    gemma: z.boolean(),
  }),
  z.object({
    op: z.literal("rope"),
    x: z.array(vector),
    positions: z.array(z.number().int()),
    theta: z.number(),
  }),
]);

/** A unit op for {@link torchOps}. */
export type ReferenceOp = z.infer<typeof ReferenceOpSchema>;

const TorchOpsOptionsSchema = z
  .object({ ops: z.array(ReferenceOpSchema).nonempty(), python: z.string().default(DEFAULT_PYTHON) })
  .strict();

/**
 * Evaluates unit ops with the reference's own RMSNorm and RoPE functions (float64).
 * @param opts - `ops` to evaluate, optional `python`
 * @returns one [rows][cols] result per op
 * @throws ConfigError for invalid ops; ReferenceUnavailableError when python3-torch is missing
 * @example
 * ```ts
 * const [y] = await torchOps({ ops: [{ op: "rms_norm", x: [[3, 4]], weight: [1, 1], eps: 0, gemma: false }] });
 * ```
 */
export async function torchOps(opts: z.input<typeof TorchOpsOptionsSchema>): Promise<number[][][]> {
  const parsed = TorchOpsOptionsSchema.safeParse(opts);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ path: i.path, message: i.message })),
      { source: "torchOps options" },
    );
  }
  const work = await mkdtemp(path.join(os.tmpdir(), "tunebook-ops-"));
  try {
    const file = path.join(work, "ops.json");
    await writeFile(file, JSON.stringify(parsed.data.ops));
    const stdout = await runReferenceScript(parsed.data.python, "hf_reference.py", ["--ops", file]);
    return (JSON.parse(stdout) as { results: number[][][] }).results;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
