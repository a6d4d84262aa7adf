/**
 * Commands whose SDK functions other layers provide: `eval`, `generate`, `export`, `serve`, `kernel`. Each
 * parses its arguments and calls its registered function, or says it is not available yet (exit 2).
 */
import { type Command, Option } from "commander";
import { ConfigError } from "../../errors";
import { type CliHandlers, requireHandler } from "../registry";
import { type CliIo, runAction } from "../run-action";

/** The formats `tunebook export --format` accepts. */
const EXPORT_FORMATS = ["peft", "merged", "onnx", "gguf"];

/** The flags of `tunebook serve`. */
interface ServeFlags {
  host: string;
  port: number;
  apiKey?: string;
  modelId?: string;
  allowedHost?: string[];
}

/**
 * The API key of `tunebook serve`: `--api-key`, else `$TUNEBOOK_API_KEY`, else none. An empty one is refused
 * with what to do, rather than served as a key nobody can send or silently dropped.
 */
function serveApiKey(flag: string | undefined, env: string | undefined): string | undefined {
  if (flag === "") {
    const message = "is empty; leave --api-key out to serve without a key, or pass the key clients must send";
    throw new ConfigError([{ path: ["--api-key"], message }], { source: "the command line" });
  }
  if (flag === undefined && env === "") {
    const message =
      "is set but empty; unset it (`unset TUNEBOOK_API_KEY`) to serve without a key (loopback only), " +
      "or set it to the key clients must send";
    throw new ConfigError([{ path: ["TUNEBOOK_API_KEY"], message }], { source: "the environment" });
  }
  return flag ?? env;
}

/**
 * Runs `work` until it ends, aborting its signal on the first SIGINT or SIGTERM (the server then stops
 * accepting, finishes the requests in flight and closes); a second signal exits at once.
 */
async function untilSignal(io: CliIo, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(name === "SIGINT" ? 130 : 143);
    io.err(`${name}: finishing the requests in flight, then stopping (send ${name} again to stop at once)\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await work(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

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
    .command("predict <experiment> <file>")
    .description(
      "class probabilities (causal_classification) or values (causal_regression) for every row of a data file",
    )
    .option(
      "-o, --output <file>",
      "write the predictions CSV here (default: <experiment>/predictions/predict.csv)",
    )
    .action(
      runAction(io, async (experiment: string, file: string, opts: { output?: string }) => {
        await requireHandler(handlers, "predict", "predict")({ experiment, file, ...opts });
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
    .description(
      "write a PEFT adapter, a merged Hugging Face model folder, or an ONNX folder for transformers.js",
    )
    .requiredOption(
      "-o, --output <dir>",
      "destination folder (outside the experiment and the current directory)",
    )
    .addOption(
      new Option(
        "-f, --format <format>",
        "peft (the LoRA adapter), merged (a complete model), onnx (for transformers.js / onnxruntime-web), gguf (for llama.cpp / Ollama)",
      )
        .choices(EXPORT_FORMATS)
        .default("peft"),
    )
    .option("--no-merge", "keep the adapter separate (same as --format peft)")
    .option("--gguf-type <type>", "with --format gguf: f32, f16 (default), q8_0 or q4_0")
    .option(
      "--merged-dtype <dtype>",
      "with --format merged: source (default: the base checkpoint's), float32, float16 or bfloat16",
    )
    .option("--overwrite", "replace a previous export in the output folder (never another folder)")
    .option(
      "--dtypes <list>",
      "with --format onnx: the variants to write, comma-separated from fp32, q8, q4 (default all)",
      (v: string) => v.split(",").map((d) => d.trim()),
    )
    .action(
      runAction(
        io,
        async (
          experiment: string,
          opts: {
            output: string;
            format: string;
            merge: boolean;
            overwrite?: boolean;
            dtypes?: string[];
            ggufType?: string;
            mergedDtype?: string;
          },
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
    .option(
      "--model-id <id>",
      "the name clients pass as `model` (default: the experiment's name, or the model folder's)",
    )
    .option(
      "--allowed-host <name>",
      "also answer requests addressed to this host name (repeatable; see docs/serving.md)",
      (v: string, all: string[] = []) => [...all, v],
    )
    .action(
      runAction(io, async (model: string, opts: ServeFlags) => {
        const serve = requireHandler(handlers, "serve", "serve");
        const apiKey = serveApiKey(opts.apiKey, process.env.TUNEBOOK_API_KEY);
        const { modelId, allowedHost, ...rest } = opts;
        await untilSignal(io, (signal) =>
          serve({ model, ...rest, apiKey, id: modelId, allowedHosts: allowedHost, signal }),
        );
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
