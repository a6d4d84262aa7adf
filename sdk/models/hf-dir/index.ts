export { type LoadModelDirOptions, loadModelDir, type ModelDir } from "./load-model-dir";
export { type OpenWeightIndexOptions, WeightIndex } from "./weight-index";
