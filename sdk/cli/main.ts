#!/usr/bin/env node
/** Entry point of the `tunebook` binary (`dist/sdk/cli/main.js`). */
import { registerDefaultHandlers } from "./default-handlers";
import { createProgram } from "./program";
import { processIo, reportError } from "./run-action";

registerDefaultHandlers();
createProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.exitCode = reportError(error, processIo);
  });
