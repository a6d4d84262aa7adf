import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A model directory's `model_type` has no architecture builder.
 *
 * @example
 * ```ts
 * throw new UnknownModelTypeError({ modelType: "gpt2", supported: ["llama", "qwen2"] });
 * ```
 */
export class UnknownModelTypeError extends TunebookError {
  /** The `model_type` found. */
  readonly modelType: string;
  /** Every supported `model_type`. */
  readonly supported: readonly string[];
  /** Why it is not built, when known (mixture-of-experts families). */
  readonly reason?: string;

  /**
   * @param details - the `modelType` found and the `supported` ones, optionally the `dir` it came from and a
   *   `reason` (e.g. that it is a mixture-of-experts family, with the dense alternatives)
   * @param options - `cause`
   */
  constructor(
    details: { modelType: string; supported: readonly string[]; dir?: string; reason?: string },
    options: TunebookErrorOptions = {},
  ) {
    const where = details.dir ? ` (in ${details.dir}/config.json)` : "";
    const reason = details.reason ? `: ${details.reason}` : "";
    super(
      `Unsupported model_type "${details.modelType}"${where}${reason}; supported: ${details.supported.join(", ")}. ` +
        "Pick a model of a supported family, or add an architecture file in sdk/models/arch/ (one file and " +
        "one line in registry.ts).",
      options,
    );
    this.name = "TunebookUnknownModelTypeError";
    this.modelType = details.modelType;
    this.supported = details.supported;
    this.reason = details.reason;
  }
}
