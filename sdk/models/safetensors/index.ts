export {
  bfloat16ToFloat32,
  DTYPE_SIZES,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
  isSafetensorsDtype,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
} from "./dtypes";
export {
  MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  type SafetensorsHeader,
  type TensorRef,
} from "./parse-header";
export {
  readTensor,
  readTensorBytes,
  readTensorFloat32,
  type Tensor,
  type TensorValues,
} from "./read-tensor";
export { type OpenSafetensorsOptions, SafetensorsFile } from "./safetensors-file";
export {
  encodeSafetensors,
  type WritableTensor,
  type WritableValues,
  type WriteSafetensorsOptions,
  writeSafetensors,
} from "./write-safetensors";
