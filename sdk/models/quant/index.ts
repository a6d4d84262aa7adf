export { BACKBONE_DTYPES, type BackboneDtype, checkDtypeOnDevice, quantBitsOf } from "./backbone-dtype";
export {
  cachePath,
  isQuantizedLinear,
  QUANT_CACHE_VERSION,
  type QuantCacheFile,
  quantizedShard,
} from "./quant-cache";
