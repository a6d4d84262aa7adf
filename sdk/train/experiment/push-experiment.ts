/**
 * `tunebook push`: publishes a trained experiment (exported first, into a temporary folder, with its model card:
 * training configuration and metrics) or an existing model folder to a Hugging Face Hub repository.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type PushedModel, type PushToHubOptions, pushToHub } from "../../models";
import { type ExportFormat, exportExperiment } from "./trained-model";

/** Options of {@link pushExperiment}. */
export interface PushExperimentOptions extends Omit<PushToHubOptions, "dir"> {
  /** An experiment folder (exported first) or a model folder (pushed as it is, e.g. a previous export). */
  source: string;
  /** For an experiment: what to publish (default `merged`; `peft` for the adapter alone, or `onnx`). */
  format?: ExportFormat;
  /** For an experiment with `format: "onnx"`: the transformers.js dtypes (default fp32, q8, q4). */
  onnxDtypes?: Parameters<typeof exportExperiment>[0]["onnxDtypes"];
}

function isExperiment(dir: string): boolean {
  return ["status.json", "config.yaml"].some((f) => fs.existsSync(path.join(dir, f)));
}

/**
 * Publishes an experiment's trained model, or a model folder, to the Hub in one commit.
 * @param options - `source`, `repo`, `private`, `format`, `onnxDtypes`, `token`, `endpoint`, `branch`,
 *   `commitMessage`
 * @returns the repository, its URL, the commit and the files committed
 * @throws HubError when no token is set, it is refused or may not write to the repository, or the upload
 *   fails (nothing is committed then); ExportError when the experiment cannot be exported in `format`
 * @example
 * ```ts
 * await pushExperiment({ source: "runs/capitals-20261123-101500", repo: "me/capitals", private: true });
 * ```
 */
export async function pushExperiment(options: PushExperimentOptions): Promise<PushedModel> {
  const { source, format, onnxDtypes, ...push } = options;
  if (!isExperiment(source)) return pushToHub({ ...push, dir: source });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-push-"));
  try {
    const dir = await exportExperiment({
      experiment: source,
      output: path.join(tmp, path.basename(path.resolve(source))),
      format: format ?? "merged",
      onnxDtypes,
    });
    return await pushToHub({ ...push, dir });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
