/**
 * The handlers the `tunebook` binary ships with, for the commands whose SDK functions exist. Commands
 * without one answer "not available yet" (exit 2).
 */
import { installKernel, listKernels } from "../../kernel-extensions/install";
import { runWorker } from "../automl/queue/trial-worker";
import { serveCommand } from "../serve/serve-command";
import { evalHandler } from "./handlers/eval-handler";
import { exportHandler, generateHandler } from "./handlers/model-handlers";
import { predictHandler } from "./handlers/predict-handler";
import { pushHandler } from "./handlers/push-handler";
import { searchHandler } from "./handlers/search-handler";
import { trainHandler } from "./handlers/train-handler";
import { type CliHandlers, registerHandlers } from "./registry";

/** Handlers backed by the SDK today. */
export const defaultHandlers: CliHandlers = {
  train: trainHandler,
  search: searchHandler,
  worker: (input) => runWorker({ ...input, onLog: (line) => void process.stdout.write(`${line}\n`) }),
  eval: evalHandler,
  predict: predictHandler,
  generate: generateHandler,
  export: exportHandler,
  push: pushHandler,
  serve: (input) =>
    serveCommand({
      ...input,
      onReady: (server) => {
        process.stdout.write(`serving ${input.model} as '${server.modelId}' at ${server.baseURL}\n`);
      },
    }),
  kernelInstall: async ({ prefix, python }) => {
    const k = installKernel({ prefix, python, user: prefix === undefined });
    process.stdout.write(`installed kernel '${k.name}' ("${k.displayName}") in ${k.resourceDir}\n`);
  },
  kernelList: async () => listKernels().map((k) => `${k.name}\t${k.displayName}\t${k.resourceDir}`),
};

/** Registers {@link defaultHandlers} into the binary's registry. */
export function registerDefaultHandlers(): void {
  registerHandlers(defaultHandlers);
}
