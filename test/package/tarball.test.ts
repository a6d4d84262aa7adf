/**
 * tunebook installed the way docs/notebooks.md ("Notebooks in a folder of your own") says: `npm pack` of the
 * built checkout, a fresh folder with the documented package.json, `npm install <tgz>` (from the npm cache
 * where it can), `npx tunebook kernel install`, and a notebook there executed by Debian's nbconvert on that
 * kernel. It imports only `tunebook` and `tunebook/kernel`, loads assets/tiny-llama by absolute path and
 * generates a few tokens.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { JupyterHarness, PYTHON, writeNotebook } from "../notebooks/jupyter-harness";
import { cellWith, type Notebook, outputHtml, outputText } from "../notebooks/notebook-runner";

const repo = path.resolve(__dirname, "../../..");
const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-tarball-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutS: number,
  env: NodeJS.ProcessEnv = process.env,
) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    cwd,
    env,
    encoding: "utf8",
    timeout: timeoutS * 1000,
    maxBuffer: 64 << 20,
  });
  assert.ok(!r.error, `${cmd} ${args.join(" ")}: ${r.error?.message}`);
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

/** The package.json that docs/notebooks.md tells users to write into their notebook folder. */
function documentedPackageJson(): string {
  const doc = readFileSync(path.join(repo, "docs", "notebooks.md"), "utf8");
  const m = /<!-- my-notebooks package\.json[^>]*-->\n```json\n([\s\S]*?)\n```/.exec(doc);
  assert.ok(m, "docs/notebooks.md lost its my-notebooks package.json block");
  JSON.parse(m[1]!);
  return m[1]!;
}

test("a notebook in a fresh folder runs on the packed tarball, importing only tunebook", () => {
  // npm pack: the built SDK and kernel integration, no tests, benchmarks or examples.
  const pack = run("npm", ["pack", "--json", "--pack-destination", dir], repo, 120);
  assert.equal(pack.status, 0, pack.stderr);
  const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  const files = packed!.files.map((f) => f.path);
  for (const f of [
    "dist/sdk/index.js",
    "dist/sdk/index.d.ts",
    "dist/sdk/cli/main.js",
    "kernel.js",
    "kernel.d.ts",
  ])
    assert.ok(files.includes(f), `${f} is packed`);
  assert.ok(files.includes("dist/kernel-extensions/kernel-main.js"));
  assert.deepEqual(
    files.filter((f) => /\.test\.|^dist\/(test|bench|examples)\//.test(f)),
    [],
    "tests, benchmarks and examples stay out of the package",
  );

  const folder = path.join(dir, "my-notebooks");
  mkdirSync(folder);
  writeFileSync(path.join(folder, "package.json"), documentedPackageJson());
  const install = run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(dir, packed!.filename)],
    folder,
    240,
  );
  assert.equal(install.status, 0, install.stderr);
  assert.doesNotMatch(install.stderr, /install scripts not yet covered|Unknown project config/);
  assert.ok(install.seconds < 120, `npm install took ${install.seconds} s`);
  console.log(`npm install of the tarball: ${install.seconds.toFixed(0)} s`);

  const prefix = path.join(dir, "jp");
  for (const d of ["config", "runtime", "data"]) mkdirSync(path.join(dir, d));
  const kernel = run(
    path.join(folder, "node_modules", ".bin", "tunebook"),
    ["kernel", "install", "--prefix", prefix],
    folder,
    120,
  );
  assert.equal(kernel.status, 0, kernel.stderr);
  const spec = JSON.parse(
    readFileSync(path.join(prefix, "share", "jupyter", "kernels", "tunebook", "kernel.json"), "utf8"),
  ) as { env: Record<string, string>; argv: string[] };
  assert.equal(spec.env.NODE_PATH, path.join(folder, "node_modules"));
  assert.ok(spec.argv[1]!.startsWith(path.join(folder, "node_modules", "tunebook")), spec.argv[1]);

  const model = path.join(repo, "assets", "tiny-llama");
  const cells = [
    'import { Backbone, OpenAI, z } from "tunebook";\nimport { showTable } from "tunebook/kernel";',
    `const backbone = await Backbone.load(${JSON.stringify(model)});\n` +
      'const [r] = await backbone.generate({ prompt: "The whale", maxNewTokens: 4 });\n' +
      'console.log("generated", r.tokenIds.length, "tokens");',
    "const row = z.object({ text: z.string() }).parse({ text: r.text });\n" +
      'const client = new OpenAI({ baseURL: "http://127.0.0.1:9/v1", apiKey: "unused" });\n' +
      'console.log("client", typeof client.chat.completions.create);\n' +
      'showTable({ title: "generated", rows: [row] });',
  ];
  writeNotebook(path.join(folder, "first.ipynb"), cells, {
    name: "tunebook",
    display_name: "TypeScript (tunebook)",
    language: "typescript",
  });
  const nb = run(
    PYTHON,
    ["-m", "nbconvert", "--to", "notebook", "--execute", "--output", "first.out.ipynb", "first.ipynb"],
    folder,
    300,
    JupyterHarness.env(dir, prefix),
  );
  assert.equal(nb.status, 0, nb.stderr.slice(-4000));
  const executed = JSON.parse(readFileSync(path.join(folder, "first.out.ipynb"), "utf8")) as Notebook;
  const text = (marker: string) => cellWith(executed, marker).outputs.map(outputText).join("");
  assert.equal(text("maxNewTokens"), "generated 4 tokens\n");
  assert.match(text("new OpenAI"), /^client function\n$/);
  const table = cellWith(executed, 'title: "generated"').outputs.map(outputHtml).join("");
  assert.match(table, /<caption[^>]*>generated<\/caption>/);
});
