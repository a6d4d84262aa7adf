import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ConfigError } from "../sdk/errors";
import { installKernel, listKernels } from "./install";

test("installKernel registers a tunebook kernel that Jupyter's own kernelspec listing shows", () => {
  const prefix = mkdtempSync(path.join(os.tmpdir(), "tunebook-install-"));
  try {
    const k = installKernel({
      prefix,
      name: "tb-test",
      displayName: "TypeScript (tunebook test)",
      linkPackage: false,
    });
    assert.equal(k.resourceDir, path.join(prefix, "share", "jupyter", "kernels", "tb-test"));
    const spec = JSON.parse(readFileSync(path.join(k.resourceDir, "kernel.json"), "utf8"));
    assert.equal(spec.display_name, "TypeScript (tunebook test)");
    assert.equal(spec.argv[0], process.execPath);
    assert.match(spec.argv[1], /kernel-extensions[/\\]kernel-main\.js$/);
    assert.deepEqual(spec.argv.slice(2), ["kernel", "--config-path", "{connection_file}"]);
    assert.equal(spec.env.NODE_PATH, path.resolve("node_modules"));
    // Independent reference: jupyter_client's kernelspec app.
    const r = spawnSync("/usr/bin/python3", ["-m", "jupyter_client.kernelspecapp", "list", "--json"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_PATH: path.join(prefix, "share", "jupyter") },
    });
    assert.equal(r.status, 0, r.stderr);
    const listed = JSON.parse(r.stdout).kernelspecs["tb-test"];
    assert.equal(listed.spec.display_name, "TypeScript (tunebook test)");
    const ours = listKernels({ prefix }).find((x) => x.name === "tb-test");
    assert.ok(ours?.tunebook);
    assert.equal(ours.resourceDir, listed.resource_dir);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test("installKernel rejects conflicting or malformed options with a ConfigError", () => {
  assert.throws(() => installKernel({ user: true, prefix: "/tmp/x" }), ConfigError);
  assert.throws(() => installKernel({ name: "Bad Name" }), /lowercase letters/);
});
