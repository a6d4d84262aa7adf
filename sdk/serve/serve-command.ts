/**
 * `tunebook serve`: load a model directory onto the engine and serve it over the OpenAI-compatible API until a
 * signal fires (the CLI wires SIGINT/SIGTERM to it).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ConfigError, parseOptions } from "../errors";
import { ExperimentStore, loadModelOrExperiment } from "../train";
import { servableBackbone } from "./backbone-model";
import { type RunningServer, serve } from "./server";

const OptionsSchema = z
  .object({
    /**
     * A Hugging Face model directory, a folder holding one under `export/`, `model/` or `merged/`, or an
     * experiment folder (its trained model is served).
     */
    model: z.string().min(1),
    /** Interface to bind (default loopback; any other host needs `apiKey`). */
    host: z.string().min(1).default("127.0.0.1"),
    /** TCP port (0 picks a free one). */
    port: z.number().int().min(0).max(65535).default(8000),
    /** Clients must send `Authorization: Bearer <apiKey>`. */
    apiKey: z.string().min(1, "the API key is empty; leave it out to serve without a key").optional(),
    /** Stops the server (it drains running requests first). */
    signal: z.instanceof(AbortSignal),
    /** Host names clients may address the server by, besides its own (see {@link ServeOptions}). */
    allowedHosts: z.array(z.string().min(1)).optional(),
    /**
     * The name clients pass as `model` and `/v1/models` lists (default: an experiment's name, else the
     * model directory's name).
     */
    id: z.string().min(1, "the model id is empty; leave it out for the default name").optional(),
    /** Intra-op threads of the onnxruntime session. */
    threads: z.number().int().positive().optional(),
    /** Called once the server listens (e.g. to print its URL). */
    onReady: z.function().args(z.custom<RunningServer>()).returns(z.void()).optional(),
  })
  .strict();

/** Options of {@link serveCommand}. */
export type ServeCommandOptions = z.input<typeof OptionsSchema>;

const MODEL_SUBFOLDERS = ["export", "model", "merged"];

/**
 * The model directory to load: `dir` itself when it has a config.json, else the first of its `export/`,
 * `model/`, `merged/` subfolders that has one.
 * @param dir - what the user passed
 * @returns the directory to load
 * @throws ConfigError when none of them holds a config.json
 * @example
 * ```ts
 * resolveServedModel("experiments/run-1"); // ".../experiments/run-1/export"
 * ```
 */
export function resolveServedModel(dir: string): string {
  if (existsSync(path.join(dir, "status.json"))) return dir; // an experiment folder: its trained model
  const candidates = [dir, ...MODEL_SUBFOLDERS.map((s) => path.join(dir, s))];
  const found = candidates.find((c) => existsSync(path.join(c, "config.json")));
  if (found) return found;
  if (!existsSync(dir) && /^[\w.-]+\/[\w.-]+$/.test(dir)) return dir; // a hub id: Backbone.load resolves it
  const message =
    `expected a Hugging Face model directory (with config.json) at ${dir} or in its ` +
    `${MODEL_SUBFOLDERS.join("/, ")}/ subfolders; found none. Export the experiment's model first or pass its directory.`;
  throw new ConfigError([{ path: ["model"], message }], { source: "serve" });
}

/**
 * The name a served folder goes by when no id is given: an experiment's name (from its status.json, else
 * its folder's name); `undefined` for a model folder (the model directory's name is used).
 * @param dir - the folder being served
 * @returns the experiment's name, or undefined
 * @example
 * ```ts
 * defaultServedId("experiments/capitals-20261123-101500"); // "capitals-20261123-101500"
 * ```
 */
export function defaultServedId(dir: string): string | undefined {
  const isExperiment = ["status.json", "config.yaml"].some((f) => existsSync(path.join(dir, f)));
  if (!isExperiment) return undefined;
  const store = ExperimentStore.open(dir);
  return store.readStatus()?.name || store.id;
}

/**
 * Loads a model and serves it until `signal` fires, then drains and closes.
 * @param options - `model`, `host`, `port`, `apiKey`, `signal`, optional `id`, `allowedHosts`, `threads`, `onReady`
 * @returns when the server has closed
 * @throws ConfigError for invalid options (a non-loopback host without an API key included); the model
 *   loading errors of `Backbone.load`; {@link ListenError} when the address cannot be bound (port in use)
 * @example
 * ```ts
 * const stop = new AbortController();
 * process.once("SIGINT", () => stop.abort());
 * await serveCommand({ model: "models/tiny", port: 8000, signal: stop.signal, onReady: (s) => console.log(s.baseURL) });
 * ```
 */
export async function serveCommand(options: ServeCommandOptions): Promise<void> {
  const o = parseOptions(OptionsSchema, options, "serve options");
  if (o.signal.aborted) return;
  const dir = resolveServedModel(o.model);
  const id = o.id ?? defaultServedId(dir);
  const backbone = await loadModelOrExperiment(dir, { threads: o.threads });
  try {
    const model = servableBackbone({ backbone, id });
    const { host, port, apiKey, allowedHosts } = o;
    const server = await serve({ model, host, port, apiKey, allowedHosts });
    try {
      o.onReady?.(server);
      await new Promise<void>((resolve) => {
        if (o.signal.aborted) resolve();
        else o.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    } finally {
      await server.close();
    }
  } finally {
    await backbone.dispose();
  }
}
