export { MetricInputError } from "./metric-input-error";
