import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A model's weights do not match its `config.json`: a tensor the architecture needs is missing, has another
 * shape, or has a dtype that cannot be used as a float weight.
 *
 * @example
 * ```ts
 * throw new WeightMismatchError({ tensor: "lm_head.weight", file: "model.safetensors", dir: "/m", expected: "shape [512, 64]", found: "shape [512, 32]" });
 * ```
 */
export class WeightMismatchError extends TunebookError {
  /** The tensor name. */
  readonly tensor: string;
  /** The weight file that holds it (or should), relative to `dir`. */
  readonly file: string;
  /** The model directory. */
  readonly dir: string;
  /** What the configuration implies. */
  readonly expected: string;
  /** What the weights hold. */
  readonly found: string;

  /**
   * @param details - `tensor`, `file`, `dir`, what was `expected` and what was `found`
   * @param options - `cause`
   */
  constructor(
    details: { tensor: string; file: string; dir: string; expected: string; found: string },
    options: TunebookErrorOptions = {},
  ) {
    super(
      `Weight "${details.tensor}" in ${details.dir}/${details.file}: expected ${details.expected}, found ` +
        `${details.found}. config.json and the weights disagree: download both from the same revision, or ` +
        "fix config.json.",
      options,
    );
    this.name = "TunebookWeightMismatchError";
    this.tensor = details.tensor;
    this.file = details.file;
    this.dir = details.dir;
    this.expected = details.expected;
    this.found = details.found;
  }
}
