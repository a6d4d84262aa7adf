/**
 * Where views draw: a notebook (tslab display entries updated in place, HTML) or a text stream (a terminal or
 * a log). Views render both an HTML and a text form; the surface picks the one it can show.
 */
import { z } from "zod";
import { ConfigError, parseOptions } from "../sdk/errors";
import { tslabApi } from "./tslab-bridge";

/** What a view draws: the HTML form (notebook) and the plain-text form (terminal). */
export interface Rendering {
  html: string;
  text: string;
}

/** One output entry that each `render` replaces (a notebook display) or appends to (a text stream). */
export interface LiveEntry {
  /** Shows this rendering in place of the previous one. */
  render(r: Rendering): void;
  /** Ends the entry (a terminal line in place gets its newline). */
  close(): void;
}

/** A place to create output entries. */
export interface Surface {
  /** `notebook` renders HTML in tslab; `text` writes plain text. */
  readonly kind: "notebook" | "text";
  /** A new entry; `inPlace` asks a terminal to redraw one line with `\r` when the stream is a TTY. */
  entry(options?: { inPlace?: boolean }): LiveEntry;
}

/** Options shared by every view: where to draw. */
export const surfaceOptionsSchema = z
  .object({
    /** `auto` (default): notebook inside tslab, text elsewhere. */
    mode: z.enum(["auto", "notebook", "text"]).default("auto"),
    /** Stream for text mode; defaults to `process.stdout`. */
    output: z
      .custom<NodeJS.WritableStream>(
        (v) => v === undefined || typeof (v as { write?: unknown })?.write === "function",
        {
          message: "expected a writable stream (an object with a write method)",
        },
      )
      .optional(),
  })
  .strict();

/** Options shared by every view: where to draw. */
export type SurfaceOptions = z.input<typeof surfaceOptionsSchema>;

/**
 * Picks the surface to draw on: tslab's display inside a kernel (unless `mode: "text"`), a text stream otherwise.
 *
 * @param options - `mode` and `output` (see {@link SurfaceOptions})
 * @returns the surface
 * @throws ConfigError for invalid options, or `mode: "notebook"` outside a tslab kernel
 * @example
 * ```ts
 * const entry = resolveSurface({ mode: "text" }).entry();
 * entry.render({ html: "<b>hi</b>", text: "hi" });
 * ```
 */
export function resolveSurface(options: SurfaceOptions = {}): Surface {
  const { mode, output } = parseOptions(surfaceOptionsSchema, options, "resolveSurface");
  const api = mode === "text" ? undefined : tslabApi();
  if (mode === "notebook" && !api) {
    throw new ConfigError([
      {
        path: ["mode"],
        message: 'expected to run inside a tslab kernel for mode "notebook"; use "auto" or "text"',
      },
    ]);
  }
  if (api) {
    return {
      kind: "notebook",
      entry: () => {
        const d = api.newDisplay();
        return { render: (r) => d.html(r.html), close: () => {} };
      },
    };
  }
  const out = output ?? process.stdout;
  return { kind: "text", entry: (o) => textEntry(out, o?.inPlace ?? false) };
}

function textEntry(out: NodeJS.WritableStream, inPlace: boolean): LiveEntry {
  const tty = inPlace && (out as { isTTY?: boolean }).isTTY === true;
  let open = false;
  return {
    render(r) {
      if (tty && !r.text.includes("\n")) {
        out.write(`\r\x1b[K${r.text}`);
        open = true;
      } else {
        out.write(`${r.text}\n`);
      }
    },
    close() {
      if (open) out.write("\n");
      open = false;
    },
  };
}
