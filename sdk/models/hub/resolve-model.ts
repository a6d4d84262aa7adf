import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { downloadFileToCacheDir, listFiles, modelInfo } from "@huggingface/hub";
import { z } from "zod";
import { HubError, parseOptions } from "../errors";
import { hubSettings, isModelFile } from "./hub-env";

/** A progress report while downloading: one file at a time, bytes as they arrive. */
export interface DownloadProgress {
  /** File being downloaded (path in the repository). */
  file: string;
  /** 1-based index of the file among those to download. */
  fileIndex: number;
  /** Number of files to download. */
  fileCount: number;
  /** Bytes of this file received so far. */
  bytes: number;
  /** Size of this file in bytes. */
  totalBytes: number;
  /** True on the last report of a file (also for files already in the cache). */
  done: boolean;
}

const Options = z
  .object({
    model: z.string().min(1),
    revision: z.string().min(1).default("main"),
    token: z.string().optional(),
    cacheDir: z.string().optional(),
    endpoint: z.string().url().optional(),
    offline: z.boolean().optional(),
    allowFile: z.custom<(file: string) => boolean>((v) => typeof v === "function", "a function").optional(),
    onProgress: z
      .custom<(p: DownloadProgress) => void>((v) => typeof v === "function", "a function")
      .optional(),
  })
  .strict();

/** Options of {@link resolveModel}. */
export interface ResolveModelOptions {
  /** `org/name` on the Hub, or a local model directory (returned as is). */
  model: string;
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  /** Access token for private or gated models (default `HF_TOKEN`). */
  token?: string;
  /** Cache root, the `hub` folder (default `HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub`). */
  cacheDir?: string;
  /** Hub endpoint (default `HF_ENDPOINT` or `https://huggingface.co`). */
  endpoint?: string;
  /** Use only the cache (default `HF_HUB_OFFLINE`). */
  offline?: boolean;
  /** Which repository files to download (default: configs, tokenizer, chat template, safetensors). */
  allowFile?: (file: string) => boolean;
  /** Called as files download (throttle it before printing). */
  onProgress?: (progress: DownloadProgress) => void;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * Finds a model: a local directory is returned as is; an `org/name` id is downloaded (configs, tokenizer,
 * safetensors) into the standard Hugging Face cache (`models--org--name/{blobs,snapshots,refs}`, shared with
 * Python), or taken from it when offline or already cached.
 *
 * @param options - `model`, and optional `revision`, `token`, `cacheDir`, `endpoint`, `offline`, `allowFile`, `onProgress`
 * @returns the absolute path of the model directory (a cache snapshot for hub models)
 * @throws {@link HubError} when offline and not cached, the Hub cannot be reached (or fails) and the model is
 * not cached, the repository/revision is not found or not accessible, it has no safetensors weights, or a
 * download fails
 * @example
 * ```ts
 * const dir = await resolveModel({ model: "HuggingFaceTB/SmolLM2-135M-Instruct" });
 * const model = await loadModelDir({ dir });
 * ```
 */
export async function resolveModel(options: ResolveModelOptions): Promise<string> {
  const opts = parseOptions(Options, options, "resolveModel options");
  const local = path.resolve(opts.model);
  if (await isDirectory(local)) return local;
  const fail = (problem: string, fix: string, cause?: unknown) =>
    new HubError({ repo: opts.model, revision: opts.revision, problem, fix }, { cause });
  if (!REPO_ID.test(opts.model)) {
    throw fail("not a local directory nor an org/name repository id", "Check the path or the model id.");
  }
  const settings = hubSettings(opts);
  const storage = path.join(settings.cacheDir, `models--${opts.model.replace("/", "--")}`);
  if (settings.offline) {
    const cached = await cachedSnapshot(storage, opts.revision);
    if (cached) return cached;
    throw fail(
      `not in the cache (${storage}) and offline mode is on`,
      "Run once with network access (unset HF_HUB_OFFLINE), or pass a local directory.",
    );
  }
  try {
    return await download({ ...opts, ...settings, storage });
  } catch (cause) {
    if (cause instanceof HubError) throw cause;
    const failure = describeFailure(cause, settings, storage);
    const cached = failure.hubDown ? await cachedSnapshot(storage, opts.revision) : undefined;
    if (cached) return cached;
    throw fail(failure.problem, failure.fix, cause);
  }
}

/**
 * What a failed download means for the user: the Hub could not be reached or failed (then the cache is the
 * fallback, and working offline the way out), or it answered that the repository is missing or not accessible.
 */
function describeFailure(
  cause: unknown,
  settings: { endpoint: string; cacheDir: string },
  storage: string,
): { problem: string; fix: string; hubDown: boolean } {
  const status = (cause as { statusCode?: number }).statusCode;
  const unreachable = unreachableReason(cause);
  const offline =
    "To work offline, set HF_HUB_OFFLINE=1 to use the models already in the cache " +
    `(${settings.cacheDir}; set HF_HUB_CACHE or HF_HOME to use another), or pass the path of a local ` +
    "model folder instead of the id.";
  const notCached = `and the model is not in the cache (${storage})`;
  if (unreachable) {
    return {
      problem: `the Hub at ${settings.endpoint} could not be reached (${unreachable}), ${notCached}`,
      fix: `Check the network connection, proxy and HF_ENDPOINT. ${offline}`,
      hubDown: true,
    };
  }
  if (status !== undefined && status >= 500) {
    return {
      problem: `the Hub at ${settings.endpoint} failed to answer (HTTP ${status}), ${notCached}`,
      fix: `The Hub may be down: try again later. ${offline}`,
      hubDown: true,
    };
  }
  const problem =
    status === 401 || status === 403
      ? `access denied (HTTP ${status})`
      : status === 404
        ? "repository or revision not found (HTTP 404)"
        : `download failed (${(cause as Error).message})`;
  const fix = "Check the model id and revision; for private or gated models set HF_TOKEN or pass `token`.";
  return { problem, fix, hubDown: false };
}

/** Error codes of a connection that could not be made or was lost (Node's and undici's). */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EPIPE",
  "CERT_HAS_EXPIRED",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

/**
 * Why the Hub could not be reached, when an error is a failed connection (DNS, refused, reset, timed out) rather
 * than an HTTP answer: the innermost message of its cause chain, e.g. `getaddrinfo ENOTFOUND huggingface.co`.
 * @param error - what the download threw
 * @returns the reason, or undefined for any other error (an HTTP status, a file system error, …)
 */
function unreachableReason(error: unknown): string | undefined {
  let network = false;
  let reason: string | undefined;
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    const fetchFailed = e instanceof TypeError && /fetch failed/i.test(e.message);
    if (fetchFailed || (typeof code === "string" && NETWORK_CODES.has(code)) || e.name === "TimeoutError") {
      network = true;
    }
    if (!fetchFailed) reason = e.message || (typeof code === "string" ? code : reason);
  }
  return network ? (reason ?? "fetch failed") : undefined;
}

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * The cached snapshot folder of a revision (a commit hash, or a ref such as `main` written at download time).
 * @param storage - `<cache>/models--org--name`
 * @param revision - commit, branch or tag
 * @returns the snapshot folder, or undefined when not cached
 * @example
 * ```ts
 * await cachedSnapshot("/root/.cache/huggingface/hub/models--org--name", "main");
 * ```
 */
export async function cachedSnapshot(storage: string, revision: string): Promise<string | undefined> {
  let commit = revision;
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    commit = await readFile(path.join(storage, "refs", revision), "utf8").then(
      (s) => s.trim(),
      () => "",
    );
  }
  if (!commit) return undefined;
  const snapshot = path.join(storage, "snapshots", commit);
  const complete = await stat(path.join(snapshot, "config.json")).then(
    () => true,
    () => false,
  );
  return complete ? snapshot : undefined;
}

async function download(args: {
  model: string;
  revision: string;
  endpoint: string;
  cacheDir: string;
  token: string | undefined;
  storage: string;
  allowFile?: (file: string) => boolean;
  onProgress?: (p: DownloadProgress) => void;
}): Promise<string> {
  const common = {
    hubUrl: args.endpoint,
    accessToken: args.token,
    repo: { type: "model" as const, name: args.model },
  };
  const info = await modelInfo({
    ...common,
    name: args.model,
    revision: args.revision,
    additionalFields: ["sha"],
  });
  const commit = (info as { sha?: string }).sha;
  if (!commit) throw new Error("the hub did not return a commit sha");
  const all: { path: string; size: number }[] = [];
  for await (const entry of listFiles({ ...common, revision: commit, recursive: true })) {
    if (entry.type === "file") all.push({ path: entry.path, size: entry.size });
  }
  const wanted = all.filter((f) => (args.allowFile ?? isModelFile)(f.path));
  if (!wanted.some((f) => f.path.endsWith(".safetensors")) && all.some((f) => f.path.endsWith(".bin"))) {
    throw new HubError({
      repo: args.model,
      revision: args.revision,
      problem: "the repository has only PyTorch .bin weights; tunebook reads safetensors",
      fix: "Pick a revision or mirror with .safetensors files, or convert in Python with save_pretrained(dir, safe_serialization=True) and load that directory.",
    });
  }
  for (const [i, file] of wanted.entries()) {
    const report = (bytes: number, done: boolean) =>
      args.onProgress?.({
        file: file.path,
        fileIndex: i + 1,
        fileCount: wanted.length,
        bytes,
        totalBytes: file.size,
        done,
      });
    await downloadFileToCacheDir({
      ...common,
      path: file.path,
      revision: commit,
      cacheDir: args.cacheDir,
      fetch: countingFetch((n) => report(n, false)),
    });
    report(file.size, true);
  }
  await writeRef(args.storage, args.revision, commit);
  return path.join(args.storage, "snapshots", commit);
}

async function writeRef(storage: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  await mkdir(path.join(storage, "refs", path.dirname(revision)), { recursive: true });
  await writeFile(path.join(storage, "refs", revision), commit);
}

/** A fetch that reports the bytes received of full-file (`/resolve/`) downloads. */
function countingFetch(onBytes: (received: number) => void): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const ranged = new Headers(init?.headers).get("Range") === "bytes=0-0";
    if (!url.includes("/resolve/") || ranged || !response.body) return response;
    let received = 0;
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        onBytes(received);
        controller.enqueue(chunk);
      },
    });
    return new Response(response.body.pipeThrough(counter), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
