/**
 * The one list of op families. Importing this module registers every op.
 */
export * from "./control";
export * from "./elementwise";
export * from "./linear-cross-entropy";
export * from "./loss";
export * from "./matmul";
export * from "./movement";
export * from "./norm";
export * from "./quant";
export * from "./reduce";
export * from "./softmax";
