import os from "node:os";
import path from "node:path";

/** Hub settings resolved from options and the standard Hugging Face environment variables. */
export interface HubSettings {
  /** Hub endpoint: option, else `HF_ENDPOINT`, else `https://huggingface.co`. */
  endpoint: string;
  /** Cache root (the `hub` folder): option, else `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cacheDir: string;
  /** Access token: option, else `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`. */
  token: string | undefined;
  /** Offline: option, else `HF_HUB_OFFLINE` set to `1`/`true`/`yes`/`on`. */
  offline: boolean;
}

/**
 * Resolves hub settings the way `huggingface_hub` does, options taking precedence over the environment.
 * @param options - explicit `endpoint`, `cacheDir`, `token`, `offline` (each optional)
 * @param env - the environment (default `process.env`)
 * @returns the settings
 * @example
 * ```ts
 * hubSettings({}, { HF_HOME: "/data/hf" }).cacheDir; // "/data/hf/hub"
 * ```
 */
export function hubSettings(
  options: { endpoint?: string; cacheDir?: string; token?: string; offline?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): HubSettings {
  const home =
    env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "huggingface");
  const flag = (env.HF_HUB_OFFLINE ?? "").toLowerCase();
  return {
    endpoint: (options.endpoint ?? env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, ""),
    cacheDir: path.resolve(options.cacheDir ?? env.HF_HUB_CACHE ?? path.join(home, "hub")),
    token: options.token ?? env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN,
    offline: options.offline ?? ["1", "true", "yes", "on"].includes(flag),
  };
}

/**
 * Whether a repository file is needed to load a model with tunebook: configs, tokenizer files, chat
 * templates and safetensors weights (not `.bin`, `.gguf`, `.onnx`, …).
 * @param file - path inside the repository
 * @returns true when it should be downloaded
 * @example
 * ```ts
 * isModelFile("model-00001-of-00002.safetensors"); // true
 * isModelFile("pytorch_model.bin"); // false
 * ```
 */
export function isModelFile(file: string): boolean {
  if (file.includes("/")) return false;
  return (
    file.endsWith(".safetensors") ||
    file.endsWith(".jinja") ||
    [
      "config.json",
      "generation_config.json",
      "model.safetensors.index.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "special_tokens_map.json",
      "chat_template.json",
      "adapter_config.json",
    ].includes(file)
  );
}
