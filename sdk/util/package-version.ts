/** The version of the installed tunebook package, read once from its package.json. */
import * as fs from "node:fs";
import * as path from "node:path";

let cached: string | undefined;

/**
 * The `version` of the tunebook package this code belongs to (the nearest `package.json` named `tunebook`
 * above this file), or `0.0.0` when none is found.
 * @returns e.g. `0.1.0`
 * @example
 * ```ts
 * console.log(tunebookVersion());
 * ```
 */
export function tunebookVersion(): string {
  if (cached !== undefined) return cached;
  cached = "0.0.0";
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "tunebook") {
        cached = pkg.version ?? "0.0.0";
        break;
      }
    }
  }
  return cached;
}
