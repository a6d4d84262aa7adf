/**
 * Publishes a model folder (an exported adapter, merged model or ONNX folder, with its model card) to a
 * Hugging Face Hub repository with `@huggingface/hub`: the repository is created when it does not exist, large
 * files go through the Hub's LFS upload, and everything lands in ONE commit, so a failure before that commit
 * leaves the repository as it was (no half-published revision). `HF_TOKEN` and `HF_ENDPOINT` are honoured.
 */
import { openAsBlob, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { commit, createRepo } from "@huggingface/hub";
import { z } from "zod";
import { HubError, parseOptions } from "../errors";
import { hubSettings } from "./hub-env";

/** Files never published: the local export marker and hidden files (temporary folders, `.git`). */
const SKIPPED = new Set(["tunebook-export.json"]);

/** Schema of {@link PushToHubOptions}. */
export const PushToHubOptionsSchema = z
  .object({
    /** The folder to publish (every file in it, sub-folders included, except hidden ones and the export marker). */
    dir: z.string().min(1),
    /** The repository, `user/name` or `org/name`. */
    repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "a repository id of the form user/name"),
    /** Create the repository as private (default public; an existing repository keeps its visibility). */
    private: z.boolean().default(false),
    /** A write token (default `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`). */
    token: z.string().min(1).optional(),
    /** The Hub (default `HF_ENDPOINT`, else `https://huggingface.co`). */
    endpoint: z.string().url().optional(),
    /** The branch to commit to (default `main`). */
    branch: z.string().min(1).default("main"),
    /** The commit title. */
    commitMessage: z.string().min(1).default("Upload model exported with tunebook"),
  })
  .strict();

/** Options of {@link pushToHub}. */
export type PushToHubOptions = z.input<typeof PushToHubOptionsSchema>;

/** What {@link pushToHub} published. */
export interface PushedModel {
  /** The repository id. */
  readonly repo: string;
  /** The repository's page. */
  readonly url: string;
  /** The commit made. */
  readonly commit: { readonly oid: string; readonly url: string };
  /** The files committed (relative, `/`-separated), sorted. */
  readonly files: readonly string[];
}

function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    if (entry.name.startsWith(".") || (!prefix && SKIPPED.has(entry.name))) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

function statusOf(e: unknown): number | undefined {
  const code = (e as { statusCode?: unknown })?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** Turns a Hub failure into a {@link HubError} that says what to do. */
function explain(e: unknown, repo: string, branch: string, endpoint: string, step: string): HubError {
  const status = statusOf(e);
  const said = e instanceof Error ? e.message : String(e);
  const tokens = `${endpoint}/settings/tokens`;
  const [problem, fix] =
    status === 401
      ? [
          `the Hub refused the token while ${step} (401: invalid or expired)`,
          `Create a token with write access at ${tokens} and set HF_TOKEN to it.`,
        ]
      : status === 403
        ? [
            `the token may not write to ${repo} (403 while ${step}: it is read-only, or has no write access to the namespace '${repo.split("/")[0]}')`,
            `Use a write token (at ${tokens}: "Write", or fine-grained with write access to that namespace) in HF_TOKEN, or push to your own namespace.`,
          ]
        : [
            `the upload failed while ${step} (${status ? `status ${status}: ` : ""}${said}); nothing was committed, so the repository is as it was`,
            "Run the push again (files the Hub already holds are not sent twice).",
          ];
  return new HubError({ repo, revision: branch, problem, fix }, { cause: e });
}

/**
 * Publishes a folder to a Hub model repository in one commit (creating the repository if needed).
 * @param options - `dir`, `repo`, `private`, `token`, `endpoint`, `branch`, `commitMessage`
 * @returns the repository, its URL, the commit and the files committed
 * @throws {@link HubError} when no token is set, the token is refused (401) or may not write to the repository
 *   (403), or an upload fails (nothing is committed then); ConfigError for invalid options (e.g. a repository
 *   id without a namespace, a folder that does not exist or is empty)
 * @example
 * ```ts
 * await exportMergedModel({ backbone, dir: "out/merged" });
 * const { url } = await pushToHub({ dir: "out/merged", repo: "me/tiny-capitals", private: true });
 * ```
 */
export async function pushToHub(options: PushToHubOptions): Promise<PushedModel> {
  const opts = parseOptions(PushToHubOptionsSchema, options, "pushToHub options");
  const { endpoint, token } = hubSettings({ endpoint: opts.endpoint, token: opts.token });
  const dir = path.resolve(opts.dir);
  const fail = (problem: string, fix: string) =>
    new HubError({ repo: opts.repo, revision: opts.branch, problem, fix });
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw fail(
      `the folder to publish, ${dir}, does not exist`,
      "Export the model first, then push that folder.",
    );
  }
  const files = listFiles(dir);
  if (!files.length)
    throw fail(`the folder ${dir} has no files to publish`, "Export the model into it first.");
  if (!token) {
    throw fail(
      "no access token: HF_TOKEN is not set",
      `Create a token with write access at ${endpoint}/settings/tokens and set HF_TOKEN (or pass token).`,
    );
  }
  if (!token.startsWith("hf_")) {
    throw fail(
      "the token does not start with 'hf_'",
      `Copy a user access token from ${endpoint}/settings/tokens.`,
    );
  }
  const credentials = { accessToken: token, hubUrl: endpoint };
  try {
    await createRepo({ ...credentials, repo: opts.repo, private: opts.private });
  } catch (e) {
    if (statusOf(e) !== 409) throw explain(e, opts.repo, opts.branch, endpoint, "creating the repository");
  }
  const operations = await Promise.all(
    files.map(async (file) => ({
      operation: "addOrUpdate" as const,
      path: file,
      content: await openAsBlob(path.join(dir, ...file.split("/"))),
    })),
  );
  let result: Awaited<ReturnType<typeof commit>>;
  try {
    result = await commit({
      ...credentials,
      repo: opts.repo,
      branch: opts.branch,
      title: opts.commitMessage,
      operations,
      useXet: false,
    });
  } catch (e) {
    throw explain(e, opts.repo, opts.branch, endpoint, "uploading");
  }
  return {
    repo: opts.repo,
    url: `${endpoint}/${opts.repo}`,
    commit: { oid: result?.commit.oid ?? "", url: result?.commit.url ?? "" },
    files,
  };
}
