/**
 * Mixture-of-experts `model_type`s tunebook refuses at load, each with the dense families to use instead.
 */

/** MoE `model_type` → the dense alternatives (families tunebook builds, with example checkpoints). */
export const MIXTURE_OF_EXPERTS: Readonly<Record<string, string>> = {
  deepseek_v2:
    "qwen2 (deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B, -7B, -14B, -32B) or llama (DeepSeek-R1-Distill-Llama-8B)",
  deepseek_v3:
    "qwen2 (deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B, -7B, -14B, -32B) or llama (DeepSeek-R1-Distill-Llama-8B)",
  qwen2_moe: "qwen2 (Qwen/Qwen2.5-0.5B … 32B)",
  qwen3_moe: "qwen3 (Qwen/Qwen3-0.6B, -1.7B, -4B, -8B, -14B, -32B)",
  mixtral: "mistral (mistralai/Mistral-7B-v0.3)",
  phimoe: "phi3 (microsoft/Phi-3.5-mini-instruct, microsoft/Phi-4-mini-instruct)",
  olmoe: "olmo2 (allenai/OLMo-2-0425-1B, OLMo-2-1124-7B)",
  granitemoe: "llama, qwen2 or phi3 models of a similar size",
  llama4: "llama (meta-llama/Llama-3.2-1B, -3B, Llama-3.1-8B)",
};

/**
 * Why a `model_type` is not built, when it is a known mixture-of-experts family.
 * @param modelType - `config.json`'s `model_type`
 * @returns a sentence naming the dense alternatives, or undefined for other types
 * @example
 * ```ts
 * mixtureOfExpertsReason("mixtral"); // "mixture-of-experts models are not supported; use a dense model instead: mistral (…)"
 * ```
 */
export function mixtureOfExpertsReason(modelType: string): string | undefined {
  const alternatives = MIXTURE_OF_EXPERTS[modelType];
  if (!alternatives) return undefined;
  return `"${modelType}" is a mixture-of-experts architecture, and mixture-of-experts models are not supported; use a dense model instead: ${alternatives}`;
}
