/**
 * The committed lock file is one `npm ci` accepts on any machine, and npm runs quietly in this checkout:
 * every optional (platform) package a locked package names is itself in the lock, every dependency with an
 * install script is covered by `allowScripts`, `npm ci` (dry run, from the npm cache) accepts the lock, and
 * no npm command warns about the project's configuration.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";

const repo = path.resolve(__dirname, "../../..");
const scratch = mkdtempSync(path.join(os.tmpdir(), "tunebook-lock-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface LockEntry {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  hasInstallScript?: boolean;
  link?: boolean;
}

const lock = JSON.parse(readFileSync(path.join(repo, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockEntry>;
};
const pkg = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as {
  allowScripts?: Record<string, boolean>;
};

/** Where Node (and npm) finds `dep` from the package at `from`: the nearest `node_modules/dep` up the path. */
function resolveInLock(from: string, dep: string): string | undefined {
  for (let dir = from; ; ) {
    const candidate = dir === "" ? `node_modules/${dep}` : `${dir}/node_modules/${dep}`;
    if (lock.packages[candidate]) return candidate;
    if (dir === "") return undefined;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut < 0 ? "" : dir.slice(0, cut);
  }
}

/** The package name of a lock path (`node_modules/a/node_modules/@s/b` → `@s/b`). */
function nameOf(lockPath: string): string {
  return lockPath.slice(lockPath.lastIndexOf("node_modules/") + "node_modules/".length);
}

test("every dependency and optional (platform) package of every locked package is in the lock", () => {
  const missing: string[] = [];
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (entry.link) continue;
    const wanted = { ...entry.dependencies, ...entry.optionalDependencies };
    for (const dep of Object.keys(wanted))
      if (!resolveInLock(where, dep)) missing.push(`${dep} (needed by ${where || "the root"})`);
  }
  assert.deepEqual(
    missing,
    [],
    "the lock lacks these packages, so `npm ci` refuses it on every machine; regenerate it from scratch in a " +
      "copy: `npm install --package-lock-only` with package.json and package-lock.json and no node_modules",
  );
});

test("every dependency with an install script is covered by package.json `allowScripts`", () => {
  const withScripts = [
    ...new Set(
      Object.entries(lock.packages)
        .filter(([where, e]) => where !== "" && e.hasInstallScript)
        .map(([where]) => nameOf(where)),
    ),
  ].sort();
  assert.ok(
    withScripts.includes("onnxruntime-node"),
    "onnxruntime-node (CUDA download) has an install script",
  );
  const policy = pkg.allowScripts ?? {};
  const uncovered = withScripts.filter((name) => typeof policy[name] !== "boolean");
  assert.deepEqual(
    uncovered,
    [],
    "npm warns on every install about install scripts not covered by allowScripts",
  );
  // onnxruntime-node's script downloads the CUDA provider from NuGet: never during a plain install.
  assert.equal(policy["onnxruntime-node"], false);
});

function npm(args: string[], cwd: string) {
  const r = spawnSync("npm", args, {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
  assert.ok(!r.error, `npm could not run: ${r.error?.message}`);
  return r;
}

test("npm ci accepts the committed lock (dry run in a fresh folder, from the npm cache)", () => {
  for (const f of ["package.json", "package-lock.json"])
    copyFileSync(path.join(repo, f), path.join(scratch, f));
  const r = npm(["ci", "--dry-run", "--offline", "--no-audit", "--no-fund"], scratch);
  assert.equal(r.status, 0, `npm ci refused the lock:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /Missing: |in sync/);
});

test("npm prints no warning about the project's configuration", () => {
  const r = npm(["pkg", "get", "name"], repo);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '"tunebook"');
  assert.doesNotMatch(r.stderr, /Unknown project config/);
});
