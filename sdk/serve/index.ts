/**
 * OpenAI-compatible serving: `serve({ model })` exposes any {@link ServableModel} over HTTP.
 * @packageDocumentation
 */
export { ApiError, type ApiErrorBody } from "./api-error";
export { type ServableBackboneOptions, servableBackbone } from "./backbone-model";
export { ListenError } from "./listen-error";
export type { ChatMessage, GenerateOptions, GenerationChunk, ServableModel } from "./servable-model";
export {
  isLoopback,
  type ResolvedServeOptions,
  type ServeOptions,
  serveOptionsSchema,
} from "./serve-options";
export { type RunningServer, serve } from "./server";
