export { ConfigError, type ConfigIssue } from "./config-error";
export { parseOptions } from "./parse-options";
export { TunebookError, type TunebookErrorOptions } from "./tunebook-error";
