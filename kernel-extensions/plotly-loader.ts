/**
 * Offline plotly.js for notebooks. The bundle from `plotly.js-dist-min` is inlined once per kernel session as
 * a `<script>` in a display entry, so charts render without a CDN in JupyterLab, classic Notebook and
 * nbconvert's HTML export (all of which run scripts in `text/html` outputs of executed cells).
 */
import { readFileSync } from "node:fs";
import { escapeHtml, scriptSafe } from "./html";
import type { Surface } from "./surface";

const LOADED = Symbol.for("tunebook.plotlyLoaded");
let bundleCache: { version: string; code: string } | undefined;

/**
 * Reads the plotly.js bundle and its version from `plotly.js-dist-min`.
 * @returns the minified source and version
 * @throws Error when `plotly.js-dist-min` is not installed
 * @example
 * ```ts
 * console.log(plotlyBundle().version);
 * ```
 */
export function plotlyBundle(): { version: string; code: string } {
  if (!bundleCache) {
    const pkg = require.resolve("plotly.js-dist-min/package.json");
    const version = (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
    const code = readFileSync(require.resolve("plotly.js-dist-min"), "utf8");
    bundleCache = { version, code };
  }
  return bundleCache;
}

/**
 * The HTML that defines `window.Plotly` (skipped when the page already has it).
 * @returns a `<div>` note and a `<script>` with the inlined bundle
 * @throws Error when `plotly.js-dist-min` is not installed
 * @example
 * ```ts
 * const html = plotlyLoaderHtml(); // ~4.8 MB
 * ```
 */
export function plotlyLoaderHtml(): string {
  const { version, code } = plotlyBundle();
  // Parameters shadow CommonJS/AMD globals so the UMD wrapper always assigns window.Plotly.
  return (
    `<div class="tunebook-plotly-loader" style="color:#888;font-size:11px">plotly.js ${escapeHtml(version)} ` +
    `(inlined for offline charts)</div>\n<script type="text/javascript">\n` +
    `(function (module, exports, define) { if (window.Plotly) return;\n${scriptSafe(code)}\n` +
    `}).call(window, undefined, undefined, undefined);\n</script>`
  );
}

/**
 * Displays the plotly.js loader once per kernel session (a no-op in text mode or when already shown).
 *
 * @param surface - where to display it
 * @param force - display it again (e.g. after reloading the page of a running kernel)
 * @returns whether it displayed the loader now
 * @throws Error when `plotly.js-dist-min` is not installed
 * @example
 * ```ts
 * ensurePlotly(resolveSurface(), true);
 * ```
 */
export function ensurePlotly(surface: Surface, force = false): boolean {
  const g = globalThis as Record<symbol, unknown>;
  if (surface.kind !== "notebook" || (g[LOADED] && !force)) return false;
  const entry = surface.entry();
  entry.render({ html: plotlyLoaderHtml(), text: "" });
  entry.close();
  g[LOADED] = true;
  return true;
}
