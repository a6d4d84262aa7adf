export * from "./activations";
export * from "./all";
export * from "./attention";
export { seededRandom, type TensorLike } from "./helpers";
export * from "./linear";
export * from "./quant-pack";
export * from "./random";
export { attr, defineOp, type GradCheckCase, getOp, type OpDef, registeredOps } from "./registry";
