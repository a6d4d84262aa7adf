/** A box: `[x, y, width, height]` (COCO, `"xywh"`) or `[x1, y1, x2, y2]` (`"xyxy"`). */
export type Box = [number, number, number, number];

/** Box layout of the inputs. */
export type BoxFormat = "xywh" | "xyxy";

/**
 * Converts a box to COCO's `[x, y, width, height]`.
 * @param box - the box
 * @param format - its layout
 * @returns the box as xywh
 * @example
 * ```ts
 * toXywh([10, 20, 30, 60], "xyxy"); // [10, 20, 20, 40]
 * ```
 */
export function toXywh(box: Box, format: BoxFormat): Box {
  return format === "xywh" ? box : [box[0], box[1], box[2] - box[0], box[3] - box[1]];
}

/**
 * Intersection over union of two xywh boxes, as pycocotools' `maskUtils.iou` computes it for boxes: for a crowd
 * ground truth the union is the detection's own area.
 * @param dt - detection box (xywh)
 * @param gt - ground-truth box (xywh)
 * @param crowd - whether the ground truth is a crowd region
 * @returns the IoU in [0, 1]
 * @example
 * ```ts
 * boxIou([0, 0, 10, 10], [0, 0, 10, 5], false); // 0.5
 * ```
 */
export function boxIou(dt: Box, gt: Box, crowd: boolean): number {
  const w = Math.min(dt[0] + dt[2], gt[0] + gt[2]) - Math.max(dt[0], gt[0]);
  if (w <= 0) return 0;
  const h = Math.min(dt[1] + dt[3], gt[1] + gt[3]) - Math.max(dt[1], gt[1]);
  if (h <= 0) return 0;
  const inter = w * h;
  const union = crowd ? dt[2] * dt[3] : dt[2] * dt[3] + gt[2] * gt[3] - inter;
  return inter / union;
}
