import { TunebookError } from "../../errors";

/**
 * An op was given inputs whose shapes or dtypes it cannot accept. Raised while the graph is built, before
 * anything runs; the message names the op, the input shapes and what was expected.
 */
export class ShapeError extends TunebookError {
  readonly op: string;
  readonly shapes: readonly string[];

  constructor(op: string, shapes: string[], problem: string) {
    super(`${op}: ${problem} (inputs: ${shapes.join(", ") || "none"})`);
    this.name = "TunebookShapeError";
    this.op = op;
    this.shapes = shapes;
  }
}
