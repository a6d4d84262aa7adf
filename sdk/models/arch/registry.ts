/**
 * The one list of architectures, keyed by `config.json`'s `model_type`. Adding a family: one file beside this
 * one and one line in {@link ARCHITECTURES}.
 */
import type { Architecture } from "./architecture";
import type { DecoderConfig } from "./decoder-config";
import { gemma } from "./gemma";
import { gemma2 } from "./gemma2";
import { gemma3 } from "./gemma3";
import { llama } from "./llama";
import { mistral } from "./mistral";
import { mixtureOfExpertsReason } from "./mixture-of-experts";
import { olmo2 } from "./olmo2";
import { phi3 } from "./phi3";
import { qwen2 } from "./qwen2";
import { qwen3 } from "./qwen3";
import { smollm3 } from "./smollm3";
import { UnknownModelTypeError } from "./unknown-model-type-error";

/** Every architecture tunebook builds. */
export const ARCHITECTURES: readonly Architecture[] = [
  llama,
  mistral,
  qwen2,
  qwen3,
  gemma,
  gemma2,
  gemma3,
  phi3,
  smollm3,
  olmo2,
];

const byModelType = new Map<string, Architecture>();
for (const arch of ARCHITECTURES) {
  for (const type of arch.modelTypes) {
    if (byModelType.has(type)) throw new Error(`model_type "${type}" is registered twice`);
    byModelType.set(type, arch);
  }
}

/**
 * Every supported `model_type`, sorted.
 * @returns the names
 * @example
 * ```ts
 * supportedModelTypes();
 * // ["gemma", "gemma2", "gemma3", "gemma3_text", "llama", "mistral", "olmo2", "phi3", "qwen2", "qwen3", "smollm3"]
 * ```
 */
export function supportedModelTypes(): string[] {
  return [...byModelType.keys()].sort();
}

/**
 * The architecture serving a `model_type`.
 * @param modelType - `config.json`'s `model_type`
 * @param dir - the model directory, for the message
 * @returns the architecture
 * @throws {@link UnknownModelTypeError} listing the supported types (for a mixture-of-experts family, saying
 *   that MoE is not supported and naming the dense alternatives)
 * @example
 * ```ts
 * architectureFor("qwen2").name; // "qwen2"
 * ```
 */
export function architectureFor(modelType: string, dir?: string): Architecture {
  const arch = byModelType.get(modelType);
  if (!arch) {
    const reason = mixtureOfExpertsReason(modelType);
    throw new UnknownModelTypeError({ modelType, supported: supportedModelTypes(), dir, reason });
  }
  return arch;
}

/**
 * Normalises a stored `config.json` with its family's normaliser.
 * @param raw - `config.json` as stored (must have `model_type`)
 * @param dir - the model directory, for messages
 * @returns the normalised configuration
 * @throws {@link UnknownModelTypeError} for an unsupported `model_type`; ConfigError for invalid fields
 * @example
 * ```ts
 * const config = normalizeConfig(modelDir.config);
 * ```
 */
export function normalizeConfig(raw: Readonly<Record<string, unknown>>, dir?: string): DecoderConfig {
  return architectureFor(String(raw.model_type), dir).normalize(raw);
}
