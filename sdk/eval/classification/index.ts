export { type AccuracyOptions, accuracyScore } from "./accuracy";
export { type Label, uniqueSorted } from "./labels";
export { type LogLossOptions, logLoss, logLossPerRow } from "./log-loss";
export { binaryRocAuc, type RocAucOptions, rocAuc } from "./roc-auc";
