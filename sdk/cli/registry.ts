/**
 * The SDK functions behind the CLI's commands. The CLI never imports training, serving or export code itself:
 * each command looks its function up here, so a command whose function is not registered yet fails with a
 * clear "not available yet" message (exit code 2) instead of a crash.
 */
import type { SearchOptions } from "../automl/search-options";
import type { ExperimentConfig } from "../train/config";
import type { TrainCallbacks } from "../train/events";
import { CommandNotAvailableError } from "./command-not-available-error";

/** What `tunebook train` hands to the training function. */
export interface TrainCommandInput {
  /** The fully validated configuration (file + `--set` overrides); absent when resuming. */
  config?: ExperimentConfig;
  /** Path of the configuration file it came from. */
  configPath?: string;
  /** An experiment folder to continue from a checkpoint (instead of `config`). */
  resume?: string;
  /** With `resume`: the checkpoint to continue from, `last` (default) or `best`. */
  checkpoint?: "best" | "last";
  /** With `resume`: `key=value` overrides, checked against the settings the checkpoint was trained with. */
  overrides?: string[];
  /** With `resume`: check and print the plan, train nothing. */
  dryRun?: boolean;
  /** Subscribers to pass to the trainer (the terminal progress renderer). */
  callbacks: TrainCallbacks[];
  /** Fired on Ctrl-C: stop after the current step and write a checkpoint. */
  signal: AbortSignal;
}

/** What `tunebook search` hands to the search function. */
export interface SearchCommandInput {
  /** The base experiment (file + `--set`), validated. */
  config: ExperimentConfig;
  /** The `search:` block, validated. */
  options: Omit<SearchOptions, "signal" | "callbacks">;
  /** Fired on Ctrl-C: stop the running trial after its current step. */
  signal: AbortSignal;
}

/** The SDK functions each command calls; every one optional until connected. */
export interface CliHandlers {
  /** `tunebook train`: runs an experiment; resolves when it ends. */
  train?: (input: TrainCommandInput) => Promise<void>;
  /** `tunebook search --config <file>`: runs a hyperparameter search; resolves when it ends. */
  search?: (input: SearchCommandInput) => Promise<void>;
  /** `tunebook worker --queue <url>`: trains queued search trials until `signal` fires. */
  worker?: (input: {
    url: string;
    queue: string;
    concurrency: number;
    lockSeconds: number;
    signal: AbortSignal;
  }) => Promise<void>;
  /** `tunebook eval <experiment>`: evaluates a trained experiment (optionally on another data file). */
  eval?: (input: { experiment: string; data?: string; output?: string }) => Promise<void>;
  /**
   * `tunebook predict <experiment> <file>`: a causal_classification / causal_regression experiment's class
   * probabilities or values for every row of a data file, written as CSV.
   */
  predict?: (input: { experiment: string; file: string; output?: string }) => Promise<void>;
  /** `tunebook generate <model>`: prints a completion of `prompt`. */
  generate?: (input: {
    model: string;
    prompt: string;
    maxNewTokens?: number;
    temperature?: number;
    write: (text: string) => void;
  }) => Promise<void>;
  /** `tunebook export <experiment>`: writes a PEFT adapter or a merged Hugging Face model folder. */
  export?: (input: {
    experiment: string;
    output: string;
    format: string;
    merge: boolean;
    overwrite?: boolean;
    /** `--gguf-type` of `--format gguf`. */
    ggufType?: string;
    /** `--dtypes` of `--format onnx`, e.g. `["fp32", "q4"]`. */
    dtypes?: string[];
    /** `--merged-dtype` of `--format merged`: source, float32, float16 or bfloat16. */
    mergedDtype?: string;
  }) => Promise<void>;
  /** `tunebook serve <model>`: OpenAI-compatible server; resolves when it stops. */
  serve?: (input: {
    model: string;
    host: string;
    port: number;
    apiKey?: string;
    /** Host names clients may address the server by, besides its own (`--allowed-host`). */
    allowedHosts?: string[];
    /** The name clients pass as `model` (`--model-id`). */
    id?: string;
    signal: AbortSignal;
  }) => Promise<void>;
  /** `tunebook push <experiment|dir> --repo user/name`: publishes to the Hugging Face Hub. */
  push?: (input: {
    source: string;
    repo: string;
    private?: boolean;
    format?: string;
    dtypes?: string[];
    message?: string;
  }) => Promise<void>;
  /** `tunebook kernel install`: installs the tslab Jupyter kernel. */
  kernelInstall?: (input: { prefix?: string; python?: string }) => Promise<void>;
  /** `tunebook kernel list`: lists installed Jupyter kernels. */
  kernelList?: () => Promise<string[]>;
}

/** The handlers the `tunebook` binary uses; fill them with {@link registerHandlers}. */
export const cliHandlers: CliHandlers = {};

/**
 * Connects SDK functions to CLI commands (later registrations replace earlier ones).
 * @param handlers - some or all of the command functions
 * @param target - the registry to fill (default: the binary's {@link cliHandlers})
 * @example
 * ```ts
 * registerHandlers({ train: async ({ config, callbacks, signal }) => { await runExperiment(config, { callbacks, signal }); } });
 * ```
 */
export function registerHandlers(handlers: CliHandlers, target: CliHandlers = cliHandlers): void {
  Object.assign(target, handlers);
}

/**
 * Looks a command's function up.
 * @param handlers - the registry
 * @param key - which function
 * @param command - the command as typed, for the message (e.g. `kernel install`)
 * @returns the function
 * @throws CommandNotAvailableError when it is not registered
 * @example
 * ```ts
 * const serve = requireHandler(cliHandlers, "serve", "serve");
 * ```
 */
export function requireHandler<K extends keyof CliHandlers>(
  handlers: CliHandlers,
  key: K,
  command: string,
): NonNullable<CliHandlers[K]> {
  const fn = handlers[key];
  if (!fn) throw new CommandNotAvailableError(command);
  return fn as NonNullable<CliHandlers[K]>;
}
