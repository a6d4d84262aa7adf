import type { DecoderConfig } from "./decoder-config";

/**
 * One model family: the `model_type` strings it serves and its config normaliser. Every family builds with the
 * shared decoder builder (`sdk/models/blocks`), so a family is only its differences.
 */
export interface Architecture {
  /** Family name, e.g. `llama`. */
  readonly name: string;
  /** `config.json` `model_type` values this family serves. */
  readonly modelTypes: readonly string[];
  /**
   * Translates a stored `config.json` into a {@link DecoderConfig}.
   * @param raw - `config.json` as stored
   * @returns the normalised configuration
   * @throws ConfigError for missing or unsupported fields
   */
  normalize(raw: Readonly<Record<string, unknown>>): DecoderConfig;
}
