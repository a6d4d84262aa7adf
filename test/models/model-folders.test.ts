/**
 * Per-load model folders (`<tmp>/tunebook-onnx/<type>-<pid>-XXXXXX`) with real processes: a signal that ends
 * the process removes the folder (and the process still dies of the signal); a process that handles the
 * signal itself keeps control and its exit removes the folder; a folder left by a SIGKILLed process is removed
 * by the next load, while a live process's folder, another host's and foreign names are kept. End to end: a
 * `tunebook serve` stopped with SIGTERM leaves nothing, and a `tunebook train` killed with SIGKILL leaves a
 * folder that the next `tunebook generate` removes.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { Backbone } from "../../sdk/models";

const TINY = path.resolve("assets/tiny-llama");
const BIN = path.resolve("dist/sdk/cli/main.js");
const MODELS = path.resolve("dist/sdk/models");

/** A Node script that loads tiny-llama into `root`, prints its folder, then idles (mode: how it treats SIGTERM). */
const CHILD = `
const { Backbone } = require(${JSON.stringify(MODELS)});
const [root, mode] = process.argv.slice(2);
(async () => {
  const b = await Backbone.load(${JSON.stringify(TINY)}, { cacheDir: root });
  if (mode === "own-handler") {
    process.once("SIGTERM", () => {
      setTimeout(() => {
        console.log("draining; folder still there: " + require("node:fs").existsSync(b.folder));
        process.exit(3);
      }, 150);
    });
  }
  console.log(JSON.stringify({ folder: b.folder }));
  setInterval(() => {}, 1000);
})();
`;

const scratchDirs: string[] = [];
after(() => {
  for (const d of scratchDirs) fs.rmSync(d, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** Resolves with the first stdout line matching `pattern` (rejects if the process ends first). */
function lineMatching(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout?.on("data", (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) resolve(m);
    });
    child.stderr?.on("data", (d) => {
      err += d;
    });
    child.once("exit", () => reject(new Error(`exited before ${pattern}: ${out}\n${err}`)));
  });
}

async function loadInChild(root: string, mode = "plain") {
  const script = path.join(root, "..", `child-${process.pid}.cjs`);
  fs.writeFileSync(script, CHILD);
  const child = spawn(process.execPath, [script, root, mode], { stdio: ["ignore", "pipe", "pipe"] });
  const [, json] = await lineMatching(child, /^(\{.*\})$/m);
  return { child, folder: (JSON.parse(json) as { folder: string }).folder };
}

async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("the folder is named by the owner's pid and holds owner.json", async () => {
  const root = path.join(scratch("tunebook-folders-"), "onnx");
  const b = await Backbone.load(TINY, { cacheDir: root });
  try {
    assert.match(path.basename(b.folder), new RegExp(`^llama-${process.pid}-[A-Za-z0-9]{6}$`));
    const owner = JSON.parse(fs.readFileSync(path.join(b.folder, "owner.json"), "utf8"));
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.hostname, os.hostname());
  } finally {
    await b.dispose();
  }
  assert.deepEqual(fs.readdirSync(root), []);
});

test("a SIGKILLed process's folder is removed by the next load; live, other-host and foreign folders stay", async () => {
  const root = path.join(scratch("tunebook-folders-"), "onnx");
  const live = await loadInChild(root);
  const killed = await loadInChild(root);
  try {
    killed.child.kill("SIGKILL");
    assert.equal((await exited(killed.child)).signal, "SIGKILL");
    assert.ok(fs.existsSync(killed.folder), "SIGKILL leaves the folder");
    // A folder of a dead pid that another host wrote (a shared cache folder), and a folder not named by us.
    const otherHost = path.join(root, `llama-${killed.child.pid}-abcdef`);
    fs.mkdirSync(otherHost);
    fs.writeFileSync(
      path.join(otherHost, "owner.json"),
      JSON.stringify({ pid: killed.child.pid, hostname: "elsewhere" }),
    );
    const foreign = path.join(root, "notes");
    fs.mkdirSync(foreign);
    const b = await Backbone.load(TINY, { cacheDir: root });
    await b.dispose();
    assert.ok(!fs.existsSync(killed.folder), "the dead process's folder is removed");
    assert.ok(fs.existsSync(live.folder), "the live process's folder is kept");
    assert.ok(fs.existsSync(otherHost), "another host's folder is kept");
    assert.ok(fs.existsSync(foreign), "a folder not named like ours is kept");
  } finally {
    live.child.kill("SIGKILL");
    await exited(live.child);
  }
});

test("a folder named by this process's pid is removed only when it predates this process (a reused pid)", async () => {
  const root = path.join(scratch("tunebook-folders-"), "onnx");
  fs.mkdirSync(root, { recursive: true });
  const earlier = path.join(root, `llama-${process.pid}-Earlie`);
  fs.mkdirSync(earlier);
  const hourAgo = new Date(Date.now() - 3_600_000);
  fs.utimesSync(earlier, hourAgo, hourAgo);
  // Made after this process started but not by this module copy (another worker thread would do this).
  const sibling = path.join(root, `llama-${process.pid}-Siblin`);
  fs.mkdirSync(sibling);
  const b = await Backbone.load(TINY, { cacheDir: root });
  await b.dispose();
  assert.ok(!fs.existsSync(earlier), "an earlier process's folder with the same pid is removed");
  assert.ok(fs.existsSync(sibling), "a folder made during this process's life is kept");
});

test("SIGINT, SIGTERM and SIGHUP remove the folder when nothing else handles them; the process dies of the signal", async () => {
  const root = path.join(scratch("tunebook-folders-"), "onnx");
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const { child, folder } = await loadInChild(root);
    assert.ok(fs.existsSync(folder));
    child.kill(signal);
    assert.deepEqual(await exited(child), { code: null, signal });
    assert.ok(!fs.existsSync(folder), `${signal} left ${folder}`);
  }
});

test("a process that handles SIGTERM itself keeps control; its exit removes the folder", async () => {
  const root = path.join(scratch("tunebook-folders-"), "onnx");
  const { child, folder } = await loadInChild(root, "own-handler");
  const said = lineMatching(child, /draining; folder still there: (\w+)/);
  child.kill("SIGTERM");
  const [, stillThere] = await said;
  assert.equal(stillThere, "true", "the folder must not be removed under the handler's feet");
  assert.deepEqual(await exited(child), { code: 3, signal: null });
  assert.ok(!fs.existsSync(folder));
});

test("`tunebook serve` stopped with SIGTERM, and `tunebook train` killed with SIGKILL then `generate`, leave nothing", async () => {
  const tmp = scratch("tunebook-tmpdir-");
  const env = { ...process.env, TMPDIR: tmp, OMP_WAIT_POLICY: "PASSIVE" };
  const root = path.join(tmp, "tunebook-onnx");
  const serve = spawn(process.execPath, [BIN, "serve", TINY, "--port", "0"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  await lineMatching(serve, /serving .* at http:\/\/\S+/);
  assert.equal(fs.readdirSync(root).length, 1);
  serve.kill("SIGTERM");
  await exited(serve);
  assert.deepEqual(fs.readdirSync(root), [], "serve left its model folder");

  const work = scratch("tunebook-train-");
  const rows = Array.from({ length: 64 }, (_, i) => `"What is ${i} plus 1?",${i + 1}`);
  fs.writeFileSync(path.join(work, "train.csv"), `question,answer\n${rows.join("\n")}\n`);
  const config = `architecture:\n  backbone: ${TINY}\ndataset:\n  train_file: train.csv\n  prompt_column: question\n  answer_column: answer\ntraining:\n  epochs: 50\n  batch_size: 2\nlogging:\n  output_dir: runs\n`;
  fs.writeFileSync(path.join(work, "exp.yaml"), config);
  const train = spawn(process.execPath, [BIN, "train", "-c", "exp.yaml"], {
    cwd: work,
    env,
    stdio: "ignore",
  });
  await until(() => fs.existsSync(root) && fs.readdirSync(root).length > 0, "the training's model folder");
  train.kill("SIGKILL");
  await exited(train);
  const [left] = fs.readdirSync(root);
  assert.match(left, new RegExp(`^llama-${train.pid}-`), "SIGKILL leaves the folder");
  const gen = spawnSync(process.execPath, [BIN, "generate", TINY, "-p", "Hi", "--max-new-tokens", "1"], {
    env,
    encoding: "utf8",
  });
  assert.equal(gen.status, 0, gen.stderr);
  assert.deepEqual(fs.readdirSync(root), [], "the next run removes the dead run's folder and its own");
});
