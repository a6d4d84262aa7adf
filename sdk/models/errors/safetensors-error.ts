import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A safetensors file is malformed, truncated or inconsistent (bad header, unknown dtype, shape that does not
 * match its byte span, offsets outside the data section, overlapping tensors), or a tensor was asked for
 * that the file does not hold.
 *
 * @example
 * ```ts
 * throw new SafetensorsError({ file: "/m/model.safetensors", tensor: "lm_head.weight", problem: "shape [2, 3] × F32 needs 24 bytes, data_offsets span 20" });
 * ```
 */
export class SafetensorsError extends TunebookError {
  /** Absolute path of the file. */
  readonly file: string;
  /** The tensor concerned, when the problem is about one tensor. */
  readonly tensor: string | undefined;
  /** What is wrong, without the file name. */
  readonly problem: string;

  /**
   * @param details - `file`, optional `tensor`, the `problem` and an optional `fix` (a default one is used)
   * @param options - `cause`
   */
  constructor(
    details: { file: string; tensor?: string; problem: string; fix?: string },
    options: TunebookErrorOptions = {},
  ) {
    const what = details.tensor === undefined ? "" : ` (tensor "${details.tensor}")`;
    const fix =
      details.fix ??
      "The file is damaged or was not written by a safetensors writer: download or export it again.";
    super(`Invalid safetensors file ${details.file}${what}: ${details.problem}. ${fix}`, options);
    this.name = "TunebookSafetensorsError";
    this.file = details.file;
    this.tensor = details.tensor;
    this.problem = details.problem;
  }
}
