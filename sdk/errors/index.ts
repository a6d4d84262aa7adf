export { ConfigError, type ConfigIssue } from "./config-error";
export { TunebookError, type TunebookErrorOptions } from "./tunebook-error";
