export { type Box, type BoxFormat, boxIou, toXywh } from "./box-iou";
export { type CocoEvalOptions, type CocoEvalResult, cocoEvaluate } from "./coco-eval";
