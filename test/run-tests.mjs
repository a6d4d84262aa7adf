#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with Node's test runner.
// Usage: node test/run-tests.mjs [substring ...]  — only files whose path contains one of the substrings.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = findTests("dist")
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(
    `no test files found under dist/ (filters: ${filters.join(", ") || "none"}); run \`npm run build\` first`,
  );
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--test", "--test-reporter=spec", "--test-concurrency=1", "--test-timeout=600000", ...files],
  { stdio: "inherit", env: { OMP_WAIT_POLICY: "PASSIVE", ...process.env } },
);
process.exit(result.status ?? 1);
