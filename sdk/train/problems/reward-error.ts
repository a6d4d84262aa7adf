import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A GRPO reward function threw, or returned something that is not a finite number. The message names the
 * function (its name, else its index in `rewards`), the dataset row its prompt came from, and the completion.
 *
 * @example
 * ```ts
 * throw new RewardError({ reward: "isShort", index: 0, row: 12, completion: "…", problem: "returned NaN" });
 * ```
 */
export class RewardError extends TunebookError {
  /** The function's name, or `rewards[i]` when it has none. */
  readonly reward: string;
  /** Its index in the reward functions. */
  readonly index: number;
  /** The 1-based source row of the prompt. */
  readonly row: number;

  /**
   * @param context - the function, its index, the row, the completion, and what went wrong
   * @param options - `cause` (the thrown error)
   */
  constructor(
    context: { reward: string; index: number; row: number; completion: string; problem: string },
    options: TunebookErrorOptions = {},
  ) {
    const shown = context.completion.length > 80 ? `${context.completion.slice(0, 80)}…` : context.completion;
    super(
      `reward function '${context.reward}' (rewards[${context.index}]) ${context.problem} on dataset row ` +
        `${context.row}, completion ${JSON.stringify(shown)}; a reward function must return a finite number ` +
        "for every completion (return 0 for one it cannot score)",
      options,
    );
    this.name = "TunebookRewardError";
    this.reward = context.reward;
    this.index = context.index;
    this.row = context.row;
  }
}
