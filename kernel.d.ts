export * from "./dist/kernel-extensions";
