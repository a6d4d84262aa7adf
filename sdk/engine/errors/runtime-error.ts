import { TunebookError, type TunebookErrorOptions } from "../../errors";

/** onnxruntime refused a model or failed while running it; the message says which graph and why. */
export class RuntimeError extends TunebookError {
  constructor(message: string, options: TunebookErrorOptions = {}) {
    super(message, options);
    this.name = "TunebookRuntimeError";
  }
}
