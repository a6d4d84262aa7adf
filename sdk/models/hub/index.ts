export { type HubSettings, hubSettings, isModelFile } from "./hub-env";
export { type PushedModel, type PushToHubOptions, PushToHubOptionsSchema, pushToHub } from "./push-to-hub";
export {
  cachedSnapshot,
  type DownloadProgress,
  type ResolveModelOptions,
  resolveModel,
} from "./resolve-model";
