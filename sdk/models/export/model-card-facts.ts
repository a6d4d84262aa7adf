/**
 * What an export knows for its model card ({@link ModelCardFacts}): the base model's name, the merged LoRA's
 * settings, whether the backbone itself was trained, the parameter count.
 */
import path from "node:path";
import type { Backbone } from "../backbone";
import type { ModelCardFacts } from "./model-card";

/**
 * The model card facts of a backbone's export.
 * @param backbone - the exported backbone
 * @param details - the folder `name`, the `baseModel` the user named (else the base config's `_name_or_path`,
 *   else the base folder's name), the `mergedModules`, the `parameters` written, and the folder's `format`
 * @returns the facts for `renderModelCard`
 * @example
 * ```ts
 * const facts = modelCardFacts(backbone, { name: "merged", mergedModules: [], parameters: 1000 });
 * ```
 */
export function modelCardFacts(
  backbone: Backbone,
  details: {
    name: string;
    baseModel?: string;
    mergedModules: readonly string[];
    parameters: number;
    format?: ModelCardFacts["format"];
  },
): ModelCardFacts {
  const config = backbone.modelDir.config;
  const named =
    typeof config._name_or_path === "string" && config._name_or_path ? config._name_or_path : undefined;
  const lora = backbone.lora;
  const targets = lora?.options.targetModules;
  return {
    name: details.name,
    modelType: backbone.modelDir.modelType,
    baseModel: details.baseModel ?? named ?? path.basename(backbone.modelDir.dir),
    lora:
      lora && details.mergedModules.length
        ? {
            r: lora.options.r,
            alpha: lora.options.alpha,
            useRslora: lora.options.useRslora,
            useDora: lora.options.useDora,
            scale: lora.scale,
            modules: details.mergedModules.length,
            targets: targets === "all-linear" || !targets ? ["all-linear"] : [...targets],
          }
        : undefined,
    fullFineTuning: !lora && backbone.revision > 0,
    parameters: details.parameters,
    format: details.format,
  };
}
