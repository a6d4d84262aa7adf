/**
 * Exports of a scores model (`causal_classification`, `causal_regression`) in Hugging Face's
 * sequence-classification layout, as transformers' `<Family>ForSequenceClassification` saves it: the backbone's
 * weights without `lm_head.weight`, the head as `score.weight` `[num_labels, hidden]`, and `config.json` with
 * `architectures: ["<Family>ForSequenceClassification"]`, `id2label` / `label2id` (whose length is
 * `num_labels`), `problem_type` and `pad_token_id` (the last non-padding token is found through it). The PEFT
 * adapter gets the head as `modules_to_save: ["score"]`, saved under `base_model.model.score.weight` as PEFT's
 * `get_peft_model_state_dict` writes a ModulesToSaveWrapper's weights, with `task_type: "SEQ_CLS"`.
 */
import fs from "node:fs";
import path from "node:path";
import { encodeSafetensors, readTensorFloat32, SafetensorsFile } from "../../models";
import type { ExperimentConfig } from "../config";
import { SCORE_WEIGHT, type ScoreSettings } from "../problems";
import { scoreSettingsOf } from "./score-texts";

/** `id2label` of a scores model: class indices, label column names, or target column names. */
export function scoreLabels(s: ScoreSettings): string[] {
  if (s.kind === "multiclass") return Array.from({ length: s.outputs }, (_, k) => String(k));
  if (s.kind === "binary") return ["1"];
  return [...s.columns];
}

/** transformers' `problem_type` for the settings. */
function hfProblemType(s: ScoreSettings): string {
  if (s.kind === "regression") return "regression";
  return s.loss === "CrossEntropyLoss" ? "single_label_classification" : "multi_label_classification";
}

/** Rewrites one safetensors file without `lm_head.weight`, with `score.weight` when `head` is given. */
async function rewriteWeights(file: string, head: { data: Float32Array; shape: number[] } | undefined) {
  const st = await SafetensorsFile.open({ path: file });
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const ref of st.tensors) {
    if (ref.name === "lm_head.weight") continue;
    tensors[ref.name] = { shape: [...ref.shape], data: await readTensorFloat32(ref) };
  }
  if (head) tensors[SCORE_WEIGHT] = head;
  fs.writeFileSync(file, encodeSafetensors(tensors, { format: "pt" }));
}

/**
 * Turns an exported merged Hugging Face model folder into a sequence-classification model folder.
 * @param dir - the merged export
 * @param head - trained `score.weight` values
 * @param config - the experiment's configuration
 * @returns when rewritten
 * @example
 * ```ts
 * await toSequenceClassification("out/merged", head, config);
 * ```
 */
export async function toSequenceClassification(
  dir: string,
  head: Float32Array,
  config: ExperimentConfig,
): Promise<void> {
  const s = scoreSettingsOf(config);
  const cfgFile = path.join(dir, "config.json");
  const hf = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
  const family = String(hf.architectures?.[0] ?? "LlamaForCausalLM").replace(/For\w+$/, "");
  const labels = scoreLabels(s);
  const shape = [s.outputs, head.length / s.outputs];
  hf.architectures = [`${family}ForSequenceClassification`];
  hf.id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
  hf.label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
  hf.problem_type = hfProblemType(s);
  hf.pad_token_id ??= Array.isArray(hf.eos_token_id) ? hf.eos_token_id[0] : (hf.eos_token_id ?? 0);
  hf.tie_word_embeddings = false;
  fs.writeFileSync(cfgFile, `${JSON.stringify(hf, null, 2)}\n`);
  const index = path.join(dir, "model.safetensors.index.json");
  if (!fs.existsSync(index))
    return rewriteWeights(path.join(dir, "model.safetensors"), { data: head, shape });
  const map = JSON.parse(fs.readFileSync(index, "utf8"));
  const lmFile = map.weight_map["lm_head.weight"];
  if (lmFile) await rewriteWeights(path.join(dir, lmFile), undefined);
  delete map.weight_map["lm_head.weight"];
  fs.writeFileSync(
    path.join(dir, "model-score.safetensors"),
    encodeSafetensors({ [SCORE_WEIGHT]: { data: head, shape } }, { format: "pt" }),
  );
  map.weight_map[SCORE_WEIGHT] = "model-score.safetensors";
  fs.writeFileSync(index, `${JSON.stringify(map, null, 2)}\n`);
}

/**
 * Adds the head to an exported PEFT adapter folder as PEFT saves `modules_to_save`.
 * @param dir - the adapter export
 * @param head - trained `score.weight` values
 * @param config - the experiment's configuration
 * @returns when rewritten
 * @example
 * ```ts
 * await addHeadToAdapter("out/adapter", head, config);
 * ```
 */
export async function addHeadToAdapter(
  dir: string,
  head: Float32Array,
  config: ExperimentConfig,
): Promise<void> {
  const s = scoreSettingsOf(config);
  const file = path.join(dir, "adapter_model.safetensors");
  const st = await SafetensorsFile.open({ path: file });
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const ref of st.tensors)
    tensors[ref.name] = { shape: [...ref.shape], data: await readTensorFloat32(ref) };
  tensors[`base_model.model.${SCORE_WEIGHT}`] = { data: head, shape: [s.outputs, head.length / s.outputs] };
  fs.writeFileSync(file, encodeSafetensors(tensors, { format: "pt" }));
  const cfgFile = path.join(dir, "adapter_config.json");
  const ac = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
  ac.modules_to_save = ["score"];
  ac.task_type = "SEQ_CLS";
  fs.writeFileSync(cfgFile, `${JSON.stringify(ac, null, 2)}\n`);
}
