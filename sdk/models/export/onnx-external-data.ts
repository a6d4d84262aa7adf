/**
 * Saves an ONNX model with all its weights in one external data file beside it, `<model>.onnx_data` (the name
 * transformers.js and onnxruntime-web ask for): initializers that already live in files (the linked safetensors,
 * a side file) and large inline ones are gathered there, and every initializer's `location`/`offset`/`length`
 * is rewritten to match. When all weights sit in one source file and nothing is inline, that file is hard-linked
 * (copied across file systems) instead of copied tensor by tensor.
 */
import { closeSync, copyFileSync, linkSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { onnx } from "onnx-proto";

/** Inline initializers with more bytes than this move to the data file. */
const INLINE_LIMIT = 1024;

function entries(tensor: onnx.ITensorProto): Map<string, string> {
  return new Map((tensor.externalData ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
}

function setEntries(tensor: onnx.ITensorProto, location: string, offset: number, length: number): void {
  tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  tensor.externalData = [
    { key: "location", value: location },
    { key: "offset", value: String(offset) },
    { key: "length", value: String(length) },
  ].map((e) => onnx.StringStringEntryProto.create(e));
}

function isExternal(t: onnx.ITensorProto): boolean {
  return t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
}

/**
 * Reads an external initializer's bytes.
 * @param tensor - an initializer stored as external data
 * @param sourceDir - the folder its `location` is relative to
 * @returns its raw little-endian bytes
 * @throws Error when the file cannot be read
 * @example
 * ```ts
 * const bytes = readExternalBytes(model.graph.initializer[0], "/tmp/build");
 * ```
 */
export function readExternalBytes(tensor: onnx.ITensorProto, sourceDir: string): Uint8Array {
  const e = entries(tensor);
  const length = Number(e.get("length") ?? "0");
  const bytes = new Uint8Array(length);
  const fd = openSync(path.join(sourceDir, e.get("location") ?? ""), "r");
  try {
    readSync(fd, bytes, 0, length, Number(e.get("offset") ?? "0"));
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** The bytes of any float/int initializer, inline or external. */
export function initializerBytes(tensor: onnx.ITensorProto, sourceDir: string): Uint8Array {
  if (isExternal(tensor)) return readExternalBytes(tensor, sourceDir);
  if (tensor.rawData?.byteLength) return tensor.rawData;
  if (tensor.floatData?.length) return new Uint8Array(Float32Array.from(tensor.floatData).buffer);
  return new Uint8Array(0);
}

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/**
 * Writes `model` to `modelFile` with its weights in `<modelFile>_data` (changing `model`'s initializers).
 * @param model - the model (initializers inline or external relative to `sourceDir`)
 * @param sourceDir - the folder its current external `location`s are relative to
 * @param modelFile - the `.onnx` file to write; its folder must exist
 * @returns how the data file was made: `linked` (one source file, no copy) or `copied`
 * @throws Error when a file cannot be read or written
 * @example
 * ```ts
 * saveWithExternalData(model, "/tmp/build", "/tmp/out/onnx/model.onnx"); // + model.onnx_data
 * ```
 */
export function saveWithExternalData(
  model: onnx.ModelProto,
  sourceDir: string,
  modelFile: string,
): "linked" | "copied" {
  const dataName = `${path.basename(modelFile)}_data`;
  const dataFile = path.join(path.dirname(modelFile), dataName);
  const tensors = model.graph?.initializer ?? [];
  const external = tensors.filter(isExternal);
  const inline = tensors.filter((t) => !isExternal(t) && (t.rawData?.byteLength ?? 0) > INLINE_LIMIT);
  const sources = new Set(external.map((t) => entries(t).get("location")));
  if (sources.size === 1 && inline.length === 0) {
    linkOrCopy(path.join(sourceDir, [...sources][0] ?? ""), dataFile);
    for (const t of external) {
      const e = entries(t);
      setEntries(t, dataName, Number(e.get("offset") ?? "0"), Number(e.get("length") ?? "0"));
    }
  } else {
    const fd = openSync(dataFile, "w");
    let at = 0;
    try {
      for (const t of [...external, ...inline]) {
        at += (64 - (at % 64)) % 64;
        const bytes = initializerBytes(t, sourceDir);
        writeSync(fd, bytes, 0, bytes.byteLength, at);
        setEntries(t, dataName, at, bytes.byteLength);
        t.rawData = undefined;
        at += bytes.byteLength;
      }
    } finally {
      closeSync(fd);
    }
  }
  writeFileSync(modelFile, onnx.ModelProto.encode(model).finish());
  return sources.size === 1 && inline.length === 0 ? "linked" : "copied";
}
