/**
 * Commands whose SDK functions other layers provide: `eval`, `generate`, `export`, `serve`, `kernel`. Each
 * parses its arguments and calls its registered function, or says it is not available yet (exit 2).
 */
import { type Command, Option } from "commander";
import { type CliHandlers, requireHandler } from "../registry";
import { type CliIo, runAction } from "../run-action";

/** The formats `tunebook export --format` accepts. */
const EXPORT_FORMATS = ["peft", "merged"];

/**
 * Adds `eval`, `generate`, `export` and `serve`.
 * @param program - the root command
 * @param handlers - the SDK functions
 * @param io - output streams
 * @example
 * ```ts
 * registerModelCommands(program, cliHandlers, processIo);
 * ```
 */
export function registerModelCommands(program: Command, handlers: CliHandlers, io: CliIo): void {
  program
    .command("eval <experiment>")
    .description("evaluate a trained experiment on its validation data or another file")
    .option("-d, --data <file>", "data file to evaluate on instead")
    .option("-o, --output <file>", "write predictions here")
    .action(
      runAction(io, async (experiment: string, opts: { data?: string; output?: string }) => {
        await requireHandler(handlers, "eval", "eval")({ experiment, ...opts });
      }),
    );
  program
    .command("generate <model>")
    .description("complete a prompt with a model folder or experiment checkpoint")
    .requiredOption("-p, --prompt <text>", "the prompt")
    .option("-n, --max-new-tokens <n>", "longest answer in tokens", (v) => Number.parseInt(v, 10))
    .option("-t, --temperature <t>", "sampling temperature; 0 = greedy", Number.parseFloat)
    .action(
      runAction(
        io,
        async (model: string, opts: { prompt: string; maxNewTokens?: number; temperature?: number }) => {
          await requireHandler(handlers, "generate", "generate")({ model, ...opts, write: io.out });
        },
      ),
    );
  program
    .command("export <experiment>")
    .description("write a PEFT adapter or a merged Hugging Face model folder")
    .requiredOption(
      "-o, --output <dir>",
      "destination folder (outside the experiment and the current directory)",
    )
    .addOption(
      new Option("-f, --format <format>", "peft (the LoRA adapter) or merged (a complete model)")
        .choices(EXPORT_FORMATS)
        .default("peft"),
    )
    .option("--no-merge", "keep the adapter separate (same as --format peft)")
    .option("--overwrite", "replace a previous export in the output folder (never another folder)")
    .action(
      runAction(
        io,
        async (
          experiment: string,
          opts: { output: string; format: string; merge: boolean; overwrite?: boolean },
        ) => {
          await requireHandler(handlers, "export", "export")({ experiment, ...opts });
        },
      ),
    );
  program
    .command("serve <model>")
    .description("serve a model over an OpenAI-compatible HTTP API")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port", (v) => Number.parseInt(v, 10), 8000)
    .option("--api-key <key>", "require this bearer token (default: $TUNEBOOK_API_KEY, or none on loopback)")
    .action(
      runAction(io, async (model: string, opts: { host: string; port: number; apiKey?: string }) => {
        const serve = requireHandler(handlers, "serve", "serve");
        const controller = new AbortController();
        process.once("SIGINT", () => controller.abort());
        const apiKey = opts.apiKey ?? process.env.TUNEBOOK_API_KEY;
        await serve({ model, ...opts, apiKey, signal: controller.signal });
      }),
    );
}

/**
 * Adds `kernel install` and `kernel list`.
 * @param program - the root command
 * @param handlers - the SDK functions
 * @param io - output streams
 * @example
 * ```ts
 * registerKernelCommand(program, cliHandlers, processIo);
 * ```
 */
export function registerKernelCommand(program: Command, handlers: CliHandlers, io: CliIo): void {
  const kernel = program.command("kernel").description("the tslab Jupyter kernel for notebooks");
  kernel
    .command("install")
    .description("install the TypeScript Jupyter kernel")
    .option("--prefix <dir>", "install under this prefix instead of the user's Jupyter folder")
    .option("--python <path>", "Python that runs Jupyter")
    .action(
      runAction(io, async (opts: { prefix?: string; python?: string }) => {
        await requireHandler(handlers, "kernelInstall", "kernel install")(opts);
      }),
    );
  kernel
    .command("list")
    .description("list installed Jupyter kernels")
    .action(
      runAction(io, async () => {
        const names = await requireHandler(handlers, "kernelList", "kernel list")();
        io.out(names.length ? `${names.join("\n")}\n` : "no kernels installed\n");
      }),
    );
}
