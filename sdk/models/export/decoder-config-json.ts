/**
 * The Hugging Face `config.json` of the decoder a runtime export (ONNX, GGUF) holds: for a multimodal checkpoint
 * whose text tower tunebook builds (`gemma3`), the text tower's configuration.
 */
/** Token-id fields a multimodal config keeps at its top level that the text tower's config needs. */
const TOKEN_ID_FIELDS = ["bos_token_id", "eos_token_id", "pad_token_id"] as const;

/**
 * The `config.json` of the decoder an ONNX or GGUF export holds. A `gemma3` (image-text) checkpoint's export is
 * its text tower alone, so its config becomes the `text_config` as a `gemma3_text` model (`Gemma3ForCausalLM`), with the
 * top-level token ids where the text config lacks them; other configs are returned unchanged.
 * @param config - the model's config.json
 * @returns the decoder's config.json (a new object)
 * @example
 * ```ts
 * decoderConfigJson({ model_type: "gemma3", text_config: { hidden_size: 64 } }).model_type; // "gemma3_text"
 * ```
 */
export function decoderConfigJson(config: Record<string, unknown>): Record<string, unknown> {
  const text = config.text_config as Record<string, unknown> | undefined;
  if (config.model_type !== "gemma3" || typeof text !== "object" || text === null) return { ...config };
  const ids = Object.fromEntries(TOKEN_ID_FIELDS.filter((k) => k in config).map((k) => [k, config[k]]));
  return {
    ...ids,
    ...text,
    model_type: "gemma3_text",
    architectures: ["Gemma3ForCausalLM"],
    torch_dtype: config.torch_dtype ?? text.torch_dtype,
  };
}
