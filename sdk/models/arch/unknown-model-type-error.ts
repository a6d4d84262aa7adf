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

  /**
   * @param details - the `modelType` found and the `supported` ones, optionally the `dir` it came from
   * @param options - `cause`
   */
  constructor(
    details: { modelType: string; supported: readonly string[]; dir?: string },
    options: TunebookErrorOptions = {},
  ) {
    const where = details.dir ? ` (in ${details.dir}/config.json)` : "";
    super(
      `Unsupported model_type "${details.modelType}"${where}; supported: ${details.supported.join(", ")}. ` +
        "Pick a model of a supported family, or add an architecture file in sdk/models/arch/.",
      options,
    );
    this.name = "TunebookUnknownModelTypeError";
    this.modelType = details.modelType;
    this.supported = details.supported;
  }
}
