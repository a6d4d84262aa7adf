export { RuntimeError } from "./runtime-error";
export { ShapeError } from "./shape-error";
