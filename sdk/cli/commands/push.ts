/** `tunebook push <experiment|dir> --repo user/name [--private]`: publishes a model to the Hugging Face Hub. */
import type { Command } from "commander";
import { type CliHandlers, requireHandler } from "../registry";
import { type CliIo, runAction } from "../run-action";

/**
 * Adds `push`.
 * @param program - the root command
 * @param handlers - the SDK functions
 * @param io - output streams
 * @example
 * ```ts
 * registerPushCommand(program, cliHandlers, processIo);
 * ```
 */
export function registerPushCommand(program: Command, handlers: CliHandlers, io: CliIo): void {
  program
    .command("push <source>")
    .description(
      "publish an experiment (exported first, with its model card) or a model folder to the Hugging Face Hub " +
        "(token: $HF_TOKEN; Hub: $HF_ENDPOINT, default https://huggingface.co)",
    )
    .requiredOption("--repo <id>", "the repository, user/name or org/name (created if missing)")
    .option("--private", "create the repository as private")
    .option(
      "-f, --format <format>",
      "for an experiment: merged (default, a complete model), peft (the adapter) or onnx (transformers.js)",
    )
    .option(
      "--dtypes <list>",
      "with --format onnx: fp32, q8, q4, comma-separated (default all)",
      (v: string) => v.split(",").map((d) => d.trim()),
    )
    .option("-m, --message <text>", "the commit title")
    .action(
      runAction(
        io,
        async (
          source: string,
          opts: { repo: string; private?: boolean; format?: string; dtypes?: string[]; message?: string },
        ) => {
          await requireHandler(handlers, "push", "push")({ source, ...opts });
        },
      ),
    );
}
