export { type HubSettings, hubSettings, isModelFile } from "./hub-env";
export {
  cachedSnapshot,
  type DownloadProgress,
  type ResolveModelOptions,
  resolveModel,
} from "./resolve-model";
