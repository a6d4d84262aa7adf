/**
 * tunebook: fine-tune small language models from TypeScript, on onnxruntime-node.
 * @packageDocumentation
 */

import { enableNotebookDefaults } from "../kernel-extensions/auto-display";

// What notebooks and scripts need besides tunebook itself, so that `import … from "tunebook"` is enough where
// only tunebook is installed (its dependencies may not be hoisted next to the notebook): the `openai` client
// for calling `serve()` or any OpenAI-compatible endpoint, and zod's `z` for `DataGenerator` schemas (the
// zod version tunebook's own schemas use).
export { OpenAI } from "openai";
export { z } from "zod";
export * from "./automl";
// Names several layers export: the engine's symbolic Tensor and softmax op, the dataset's ChatMessage and the
// models' generation types win at the top level; the others stay reachable from their layers.
export type { ChatMessage } from "./data";
export * from "./data";
export * from "./datagen";
export * from "./engine";
export { softmax, Tensor } from "./engine";
export * from "./errors";
export * from "./eval";
export type { GenerationChunk, GenerationResult } from "./models";
export * from "./models";
export * from "./serve";
export * from "./train";
export * from "./util";

// In a tslab notebook, `import "tunebook"` turns on the live training view, the interrupt button and rich
// display of results; elsewhere this does nothing.
enableNotebookDefaults();
