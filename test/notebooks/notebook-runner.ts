/**
 * Executes tutorial notebooks headless the way CI does: the tunebook kernel is installed into a temp prefix,
 * the notebook (and its `data/`) is copied into a temp work folder that links `node_modules/tunebook` to this
 * checkout (so cells type-check `import … from "tunebook"`), and Debian's `jupyter nbconvert --execute` runs
 * it there. Helpers read the executed notebook's outputs.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { installKernel } from "../../kernel-extensions";
import { makeTinyCheckpoint } from "../reference";
import { JupyterHarness, PYTHON } from "./jupyter-harness";

/** Packages that tutorials import directly besides tunebook (the `openai` client, zod schemas). */
const NOTEBOOK_DEPENDENCIES = ["openai", "zod"];

/** One output of an executed cell (nbformat 4). */
export interface NbOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

/** One cell of a notebook (nbformat 4). */
export interface NbCell {
  cell_type: string;
  source: string | string[];
  outputs?: NbOutput[];
}

/** A notebook as JSON. */
export interface Notebook {
  cells: NbCell[];
  metadata: Record<string, unknown>;
}

/** The source of a cell as one string. */
export const cellSource = (c: NbCell): string => [c.source].flat().join("");
/** The HTML of a display output ("" if none). */
export const outputHtml = (o: NbOutput): string => [o.data?.["text/html"] ?? ""].flat().join("");
/** The text of a stream output ("" if none). */
export const outputText = (o: NbOutput): string =>
  o.output_type === "stream" ? [o.text ?? ""].flat().join("") : "";

/** Kernel, temp prefix and work folder shared by every notebook a test file executes. */
export class NotebookRunner {
  private constructor(
    readonly dir: string,
    readonly work: string,
    readonly kernelName: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /**
   * Installs the kernel into a fresh temp prefix and prepares the work folder: `<tmp>/work` holds the
   * notebooks, `<tmp>/assets` (their `../assets`) links the checkout's demo data and model. While the embedded
   * model `assets/tiny-llama` is not in the checkout, a tiny random Llama from the PyTorch reference script
   * stands in for it.
   * @param kernelName - kernelspec name
   * @returns the runner
   */
  static async create(kernelName = "tunebook-tutorials"): Promise<NotebookRunner> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-notebooks-"));
    const prefix = path.join(dir, "prefix");
    for (const d of ["config", "runtime", "data", "work/node_modules", "assets"])
      mkdirSync(path.join(dir, d), { recursive: true });
    installKernel({ prefix, name: kernelName, python: PYTHON, linkPackage: false });
    const work = path.join(dir, "work");
    symlinkSync(path.resolve("."), path.join(work, "node_modules", "tunebook"), "dir");
    // tunebook's dependencies that tutorials import themselves, where an npm install would hoist them.
    for (const dep of NOTEBOOK_DEPENDENCIES)
      symlinkSync(path.resolve("node_modules", dep), path.join(work, "node_modules", dep), "dir");
    symlinkSync(path.resolve("assets/demo-data"), path.join(dir, "assets", "demo-data"), "dir");
    const model = existsSync("assets/tiny-llama/config.json")
      ? path.resolve("assets/tiny-llama")
      : await makeTinyCheckpoint({ arch: "llama", seed: 11 });
    symlinkSync(model, path.join(dir, "assets", "tiny-llama"), "dir");
    return new NotebookRunner(dir, work, kernelName, JupyterHarness.env(dir, prefix));
  }

  /**
   * Copies `notebooks/<name>.ipynb` (and `notebooks/data/` once) into the work folder and executes it.
   * @param name - notebook name without `.ipynb`
   * @param timeoutS - per-cell and overall limit in seconds
   * @returns the executed notebook and the wall time
   * @throws Error with nbconvert's stderr when nbconvert fails (failed cells show as error/stderr outputs)
   */
  execute(name: string, timeoutS = 120): { notebook: Notebook; seconds: number; file: string } {
    const data = path.join(this.work, "data");
    if (!existsSync(data) && existsSync("notebooks/data"))
      cpSync("notebooks/data", data, { recursive: true });
    cpSync(path.join("notebooks", `${name}.ipynb`), path.join(this.work, `${name}.ipynb`));
    const t0 = Date.now();
    this.nbconvert(
      [
        "--to",
        "notebook",
        "--execute",
        // Failed cells are reported by the caller from their stderr/error outputs (nbclient's own message
        // leaves out tslab's diagnostics, which tslab writes to stderr).
        "--allow-errors",
        `--ExecutePreprocessor.timeout=${timeoutS}`,
        `--ExecutePreprocessor.kernel_name=${this.kernelName}`,
        "--output",
        `${name}.executed.ipynb`,
        `${name}.ipynb`,
      ],
      timeoutS * 3,
    );
    const file = path.join(this.work, `${name}.executed.ipynb`);
    const notebook = JSON.parse(readFileSync(file, "utf8")) as Notebook;
    return { notebook, seconds: (Date.now() - t0) / 1000, file };
  }

  /**
   * Exports an executed notebook in the work folder to HTML.
   * @param executedFile - path of the executed notebook
   * @returns the HTML file's path
   */
  toHtml(executedFile: string): string {
    const out = executedFile.replace(/\.ipynb$/, ".html");
    this.nbconvert(["--to", "html", "--output", path.basename(out), executedFile], 120);
    return out;
  }

  private nbconvert(args: string[], timeoutS: number): void {
    const r = spawnSync(PYTHON, ["-m", "nbconvert", ...args], {
      cwd: this.work,
      env: this.env,
      encoding: "utf8",
      timeout: timeoutS * 1000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0)
      throw new Error(
        `nbconvert ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stderr.slice(-6000)}`,
      );
  }

  /** Removes the temp folder. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The code cell whose source contains `marker`, with its outputs.
 * @param nb - executed notebook
 * @param marker - a string in the cell's source
 * @returns the cell
 * @throws Error when no cell contains it
 */
export function cellWith(nb: Notebook, marker: string): NbCell & { outputs: NbOutput[] } {
  const c = nb.cells.find((x) => x.cell_type === "code" && cellSource(x).includes(marker));
  if (!c) throw new Error(`no code cell contains ${JSON.stringify(marker)}`);
  return { ...c, outputs: c.outputs ?? [] };
}

/**
 * Decodes the HTML entities escapeHtml and nbconvert write (named, decimal and hex).
 * @param s - HTML text without tags
 * @returns the text
 */
export function decodeHtml(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(Number.parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

/**
 * Reads a `tunebook-table` HTML output back into rows of cell texts (HTML entities decoded).
 * @param html - the table's HTML
 * @returns header and rows
 */
export function parseTable(html: string): { header: string[]; rows: string[][] } {
  const decode = (s: string) => decodeHtml(s.replace(/<[^>]+>/g, "")).trim();
  const cells = (row: string, tag: string) =>
    [...row.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => decode(m[1]!));
  const trs = [...html.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1]!);
  return { header: cells(trs[0] ?? "", "th"), rows: trs.slice(1).map((r) => cells(r, "t[hd]")) };
}
