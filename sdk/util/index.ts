/** Small shared utilities: crash-safe file writes and durable line appends. */
export {
  type AtomicWriteOptions,
  fsyncDirSync,
  writeFileAtomic,
  writeFileAtomicSync,
  writeJsonAtomic,
  writeJsonAtomicSync,
} from "./atomic-write";
export { appendLinesDurable, readCompleteLines } from "./durable-append";
export {
  FileWriteError,
  toFileWriteError,
  translateWriteErrors,
  translateWriteErrorsSync,
  type WriteContext,
} from "./file-write-error";
export { formatNumber } from "./format-number";
export { tunebookVersion } from "./package-version";
export { type RichDisplay, type RichValue, setRichDisplay, showRich } from "./rich-display";
export { seededRandom } from "./seeded-random";
export { valueAt } from "./value-at";
