export { type AttentionInputs, selfAttention } from "./attention";
export { type BlockContext, frozenWeight, projection } from "./block-context";
export { type BuildDecoderOptions, buildDecoderGraph, type DecoderGraph } from "./decoder";
export { gatedMlp } from "./mlp";
export { neftuneNoise } from "./neftune";
export { WeightMismatchError } from "./weight-mismatch-error";
export {
  CONVERTED_FILE,
  type QuantizedParamData,
  WeightSource,
  type WeightSourceOptions,
} from "./weight-source";
