/**
 * Registers a tslab-based TypeScript kernel for tunebook with Jupyter. tslab's own installer writes the
 * kernelspec into a scratch prefix; we then adjust its kernel.json and install it under our name with
 * jupyter_client's KernelSpecManager (the same call tslab makes):
 * - `argv` starts the kernel with this Node (`process.execPath`) and this package's tslab, through
 *   `kernel-main.js` (which reports failed cells with their error), so Jupyter needs no `node`/`tslab` on PATH
 *   and cells get the tslab version tunebook was built against;
 * - `display_name` says tunebook; `metadata.tunebook` records the package root;
 * - `env.NODE_PATH` is the `node_modules` folder that holds `tunebook`, so `require("tunebook")` works from a
 *   notebook anywhere. In a dev checkout (not inside node_modules) a link `node_modules/tunebook → checkout`
 *   is created, so notebooks under the checkout also type-check `import … from "tunebook"` (tslab resolves
 *   types with Node10 lookup, which ignores NODE_PATH); notebooks elsewhere should `npm install` tunebook.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { parseOptions } from "../sdk/errors";
import { KernelInstallError } from "./kernel-install-error";

const installSchema = z
  .object({
    /** Install into the per-user registry (default when no prefix is given). */
    user: z.boolean().optional(),
    /** Install under `<prefix>/share/jupyter/kernels/` (use `JUPYTER_PATH=<prefix>/share/jupyter`). */
    prefix: z.string().min(1).optional(),
    /** Python that has Jupyter; default `/usr/bin/python3` when it exists, else `python3`. */
    python: z.string().min(1).optional(),
    /** Kernelspec name (folder name; lowercase letters, digits, `-`, `_`, `.`). */
    name: z
      .string()
      .regex(/^[a-z0-9._-]+$/, "use lowercase letters, digits, '.', '_' or '-'")
      .default("tunebook"),
    /** Name shown in Jupyter's launcher and kernel menu. */
    displayName: z.string().min(1).default("TypeScript (tunebook)"),
    /** In a dev checkout, create `node_modules/tunebook` → checkout (default true). */
    linkPackage: z.boolean().default(true),
  })
  .strict()
  .refine((o) => !(o.user && o.prefix), {
    message: "give either `user: true` or `prefix`, not both",
    path: ["prefix"],
  });

/** Options of {@link installKernel}. */
export type InstallKernelOptions = z.input<typeof installSchema>;

/** What {@link installKernel} registered. */
export interface InstalledKernel {
  name: string;
  displayName: string;
  /** The kernelspec folder Jupyter will read. */
  resourceDir: string;
  /** The kernel.json written there. */
  kernelJson: KernelJson;
  /** The `node_modules/tunebook` link created in a dev checkout, if any. */
  link?: string;
}

/** The fields of a kernel.json that tunebook reads or writes. */
export interface KernelJson {
  argv: string[];
  display_name: string;
  language: string;
  env?: Record<string, string>;
  metadata?: Record<string, unknown>;
}

/** One kernel Jupyter knows, as listed by {@link listKernels}. */
export interface KernelInfo {
  name: string;
  displayName: string;
  language: string;
  resourceDir: string;
  argv: string[];
  /** Whether tunebook's installer wrote it. */
  tunebook: boolean;
}

function defaultPython(): string {
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: env ?? process.env, timeout: 120_000 });
  if (r.status !== 0) {
    const line = [cmd, ...args.map((a) => (a.length > 80 ? `${a.slice(0, 77)}...` : a))].join(" ");
    throw new KernelInstallError(
      { command: line, exitCode: r.status, stderr: `${r.stderr ?? ""}${r.error?.message ?? ""}` },
      { cause: r.error },
    );
  }
  return r.stdout;
}

/**
 * The root folder of this tunebook package (where its package.json is).
 * @returns an absolute path
 * @throws Error when no package.json named tunebook is found above this file
 */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pj = path.join(dir, "package.json");
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, "utf8")) as { name?: string }).name === "tunebook")
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no tunebook package.json above ${__dirname}`);
  }
}

function packageNodePath(root: string, link: boolean): { nodePath: string; link?: string } {
  if (path.basename(path.dirname(root)) === "node_modules") return { nodePath: path.dirname(root) };
  const nodeModules = path.join(root, "node_modules");
  const target = path.join(nodeModules, "tunebook");
  if (!link) return { nodePath: nodeModules };
  if (!existsSync(target) && !isLink(target))
    symlinkSync(path.relative(nodeModules, root) || ".", target, "dir");
  return { nodePath: nodeModules, link: target };
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

const PY_INSTALL =
  "import sys; from jupyter_client.kernelspec import KernelSpecManager as K\n" +
  "src, name, user, prefix = sys.argv[1], sys.argv[2], sys.argv[3] == '1', sys.argv[4] or None\n" +
  "print(K().install_kernel_spec(src, name, user=user, prefix=prefix))";

/**
 * Registers the tunebook TypeScript kernel with Jupyter, using tslab's installer and adjusting its kernel.json.
 *
 * @param options - `user` or `prefix`, `python`, `name` (default `tunebook`), `displayName`
 *   (default "TypeScript (tunebook)"), `linkPackage`
 * @returns where it was installed and the kernel.json written
 * @throws ConfigError for invalid options; KernelInstallError when tslab's or Jupyter's installer fails
 * @example
 * ```ts
 * const k = installKernel({ prefix: "/tmp/jp" }); // then: JUPYTER_PATH=/tmp/jp/share/jupyter jupyter kernelspec list
 * console.log(k.resourceDir);
 * ```
 */
export function installKernel(options: InstallKernelOptions = {}): InstalledKernel {
  const o = parseOptions(installSchema, options, "installKernel");
  const python = o.python ?? defaultPython();
  const tslabDir = path.dirname(require.resolve("tslab/package.json"));
  const tslabBin = path.join(tslabDir, "bin", "tslab");
  const scratch = mkdtempSync(path.join(os.tmpdir(), "tunebook-kernel-"));
  try {
    run(process.execPath, [
      tslabBin,
      "install",
      `--python=${python}`,
      `--binary=${tslabBin}`,
      `--prefix=${scratch}`,
    ]);
    const specDir = path.join(scratch, "share", "jupyter", "kernels", "tslab");
    const spec = JSON.parse(readFileSync(path.join(specDir, "kernel.json"), "utf8")) as KernelJson;
    const root = packageRoot();
    const { nodePath, link } = packageNodePath(root, o.linkPackage);
    const kernelJson: KernelJson = {
      ...spec,
      // tunebook's entry point for this tslab (kernel-main.ts: failed cells reported with their error).
      argv: [process.execPath, path.join(__dirname, "kernel-main.js"), ...spec.argv.slice(1)],
      display_name: o.displayName,
      env: { ...spec.env, NODE_PATH: nodePath, OMP_WAIT_POLICY: "PASSIVE" },
      metadata: { ...spec.metadata, tunebook: { root, tslab: tslabDir } },
    };
    writeFileSync(path.join(specDir, "kernel.json"), `${JSON.stringify(kernelJson, null, 2)}\n`);
    const user = o.user ?? !o.prefix;
    const out = run(python, [
      "-c",
      PY_INSTALL,
      specDir,
      o.name,
      user ? "1" : "0",
      o.prefix ? path.resolve(o.prefix) : "",
    ]);
    const resourceDir = out.trim().split("\n").pop()!;
    return { name: o.name, displayName: o.displayName, resourceDir, kernelJson, ...(link ? { link } : {}) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const listSchema = z
  .object({
    /** Python that has Jupyter; default `/usr/bin/python3` when it exists. */
    python: z.string().min(1).optional(),
    /** Also look under `<prefix>/share/jupyter` (prepended to JUPYTER_PATH). */
    prefix: z.string().min(1).optional(),
  })
  .strict();

/** Options of {@link listKernels}. */
export type ListKernelsOptions = z.input<typeof listSchema>;

const PY_LIST =
  "import json; from jupyter_client.kernelspec import KernelSpecManager as K\n" +
  "print(json.dumps(K().get_all_specs()))";

/**
 * Lists the kernels Jupyter can start (what `jupyter kernelspec list` shows), marking tunebook's.
 *
 * @param options - `python`, `prefix`
 * @returns the kernels, sorted by name
 * @throws ConfigError for invalid options; KernelInstallError when Jupyter cannot be queried
 * @example
 * ```ts
 * for (const k of listKernels()) console.log(k.name, k.displayName, k.tunebook ? "(tunebook)" : "");
 * ```
 */
export function listKernels(options: ListKernelsOptions = {}): KernelInfo[] {
  const o = parseOptions(listSchema, options, "listKernels");
  const env = { ...process.env };
  if (o.prefix) {
    const dir = path.join(path.resolve(o.prefix), "share", "jupyter");
    env.JUPYTER_PATH = env.JUPYTER_PATH ? `${dir}${path.delimiter}${env.JUPYTER_PATH}` : dir;
  }
  const all = JSON.parse(run(o.python ?? defaultPython(), ["-c", PY_LIST], env)) as Record<
    string,
    { resource_dir: string; spec: KernelJson }
  >;
  return Object.entries(all)
    .map(([name, { resource_dir, spec }]) => ({
      name,
      displayName: spec.display_name,
      language: spec.language,
      resourceDir: resource_dir,
      argv: spec.argv,
      tunebook: typeof spec.metadata?.tunebook === "object" && spec.metadata?.tunebook !== null,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
