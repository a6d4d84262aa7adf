import { z } from "zod";
import { MetricInputError } from "../errors";
import { parseOptions } from "../validate";
import { type Box, boxIou, toXywh } from "./box-iou";

// Follows pycocotools' COCOeval (bbox, area range "all") step for step: per image and category, detections
// sorted by score (stable) and cut to maxDets, greedy matching at each IoU threshold, then per category the
// detections of all images sorted by score, cumulative TP/FP, precision made monotone and read at 101 recall
// points. Entries with no ground truth are -1 and left out of the means.

const boxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const idSchema = z.union([z.number(), z.string()]);
const cocoSchema = z.object({
  groundTruths: z.array(
    z.object({ imageId: idSchema, category: idSchema, box: boxSchema, iscrowd: z.boolean().default(false) }),
  ),
  detections: z.array(z.object({ imageId: idSchema, category: idSchema, box: boxSchema, score: z.number() })),
  format: z.enum(["xywh", "xyxy"]).default("xywh"),
  maxDets: z.array(z.number().int().positive()).min(1).default([1, 10, 100]),
});

/** Options of {@link cocoEvaluate}: ground truths and detections as flat lists, boxes in `format`. */
export type CocoEvalOptions = z.input<typeof cocoSchema>;

/** COCO summary numbers (area "all"), each in [0, 1], or -1 when there is no ground truth at all. */
export interface CocoEvalResult {
  /** AP averaged over IoU .50:.05:.95 and categories, at the largest maxDets (COCO's headline mAP). */
  map: number;
  /** AP at IoU .50. */
  map50: number;
  /** AP at IoU .75. */
  map75: number;
  /** Average recall over IoU .50:.05:.95 and categories, by maxDets (`mar[100]` is COCO's AR@100). */
  mar: Record<number, number>;
  /** AP over IoU .50:.95 per category (-1 where the category has no ground truth). */
  perCategory: Record<string, number>;
}

type Id = number | string;
type Gt = { box: Box; crowd: boolean };
type Dt = { box: Box; score: number };

// numpy.linspace(.5, .95, 10) and numpy.linspace(0, 1, 101), bit for bit.
const IOU_THRS = Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : i * ((0.95 - 0.5) / 9) + 0.5));
const REC_THRS = Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * 0.01));

const sortIds = (ids: Id[]): Id[] =>
  [...new Set(ids)].sort((a, b) =>
    typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : 1,
  );

/** Stable order of `keys` ascending (numpy argsort kind="mergesort"). */
function stableOrder(keys: number[]): number[] {
  return keys.map((_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
}

interface ImageEval {
  scores: number[];
  /** matched[t][d]: detection d is a true match at threshold t. */
  matched: boolean[][];
  /** ignored[t][d]: detection d matched an ignored (crowd) ground truth at threshold t. */
  ignored: boolean[][];
  /** Ground truths that count (not crowd). */
  npig: number;
}

function evaluateImage(gts: Gt[], dts: Dt[], maxDet: number): ImageEval {
  const gOrder = stableOrder(gts.map((g) => (g.crowd ? 1 : 0)));
  const g = gOrder.map((i) => gts[i]);
  const d = stableOrder(dts.map((x) => -x.score))
    .slice(0, maxDet)
    .map((i) => dts[i]);
  const ious = d.map((dt) => g.map((gt) => boxIou(dt.box, gt.box, gt.crowd)));
  const matched = IOU_THRS.map(() => d.map(() => false));
  const ignored = IOU_THRS.map(() => d.map(() => false));
  IOU_THRS.forEach((t, ti) => {
    const gtTaken = g.map(() => false);
    d.forEach((_, di) => {
      let best = Math.min(t, 1 - 1e-10);
      let m = -1;
      for (let gi = 0; gi < g.length; gi++) {
        if (gtTaken[gi] && !g[gi].crowd) continue;
        if (m > -1 && !g[m].crowd && g[gi].crowd) break;
        if (ious[di][gi] < best) continue;
        best = ious[di][gi];
        m = gi;
      }
      if (m === -1) return;
      ignored[ti][di] = g[m].crowd;
      matched[ti][di] = true;
      gtTaken[m] = true;
    });
  });
  return { scores: d.map((x) => x.score), matched, ignored, npig: g.filter((x) => !x.crowd).length };
}

/** Precision at the 101 recall points and final recall for one category, one threshold index. */
function accumulate(
  evals: ImageEval[],
  ti: number,
  maxDet: number,
): { precision: number[]; recall: number } | null {
  const npig = evals.reduce((s, e) => s + e.npig, 0);
  if (npig === 0) return null;
  const scores = evals.flatMap((e) => e.scores.slice(0, maxDet));
  const matched = evals.flatMap((e) => e.matched[ti].slice(0, maxDet));
  const ignored = evals.flatMap((e) => e.ignored[ti].slice(0, maxDet));
  const order = stableOrder(scores.map((s) => -s));
  const rc: number[] = [];
  const pr: number[] = [];
  let tp = 0;
  let fp = 0;
  for (const i of order) {
    if (ignored[i]) {
      // an ignored detection adds neither TP nor FP, but still yields a (repeated) curve point
    } else if (matched[i]) tp++;
    else fp++;
    rc.push(tp / npig);
    pr.push(tp / (tp + fp + Number.EPSILON)); // pycocotools adds np.spacing(1)
  }
  for (let i = pr.length - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
  const precision = REC_THRS.map((r) => {
    let lo = 0;
    let hi = rc.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rc[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return lo < pr.length ? pr[lo] : 0;
  });
  return { precision, recall: rc.length ? rc[rc.length - 1] : 0 };
}

function groupBy<T extends { imageId: Id; category: Id }>(items: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const key = JSON.stringify([it.imageId, it.category]);
    const list = out.get(key);
    if (list) list.push(it);
    else out.set(key, [it]);
  }
  return out;
}

const meanValid = (xs: number[]): number => {
  const v = xs.filter((x) => x > -1);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : -1;
};

/**
 * COCO-style detection metrics, following pycocotools' `COCOeval` for boxes (area range "all"): mAP over IoU
 * .50:.05:.95, mAP@50, mAP@75, mAR at each `maxDets` (default 1, 10, 100), and AP per category. Categories and
 * images are those of the ground truth; detections of other categories are ignored. `iscrowd` ground truths
 * are matched like pycocotools (IoU over the detection's area, any number of matches, neither TP nor FP).
 * @param options - `groundTruths`, `detections` (with `score`), box `format` (`"xywh"` default, or `"xyxy"`), `maxDets`
 * @returns the summary numbers
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when a detection names an image absent from the ground truth
 * @example
 * ```ts
 * cocoEvaluate({
 *   groundTruths: [{ imageId: 1, category: "cat", box: [0, 0, 10, 10] }],
 *   detections: [{ imageId: 1, category: "cat", box: [0, 0, 10, 10], score: 0.9 }],
 * }).map; // 1
 * ```
 */
export function cocoEvaluate(options: CocoEvalOptions): CocoEvalResult {
  const o = parseOptions(cocoSchema, options, "cocoEvaluate");
  const imageIds = sortIds(o.groundTruths.map((g) => g.imageId));
  const known = new Set(imageIds);
  const stray = o.detections.find((d) => !known.has(d.imageId));
  if (stray) {
    throw new MetricInputError({
      metric: "detection",
      expected: "detections only on images that have ground-truth entries",
      found: `a detection on image ${JSON.stringify(stray.imageId)}`,
      fix: "List every evaluated image in groundTruths (COCO requires the same).",
    });
  }
  const categories = sortIds(o.groundTruths.map((g) => g.category));
  const gts = groupBy(o.groundTruths);
  const dts = groupBy(o.detections);
  const maxDets = [...o.maxDets].sort((a, b) => a - b);
  const top = maxDets[maxDets.length - 1];
  // precision[m][t][k] (101 values) and recall[m][t][k]; null where the category has no ground truth.
  const ap: number[][] = maxDets.map(() => []); // per maxDet: every (t, k, r) precision entry
  const ar: number[][] = maxDets.map(() => []);
  const ap50: number[] = [];
  const ap75: number[] = [];
  const perCategory: Record<string, number> = {};
  const t75 = IOU_THRS.indexOf(0.75);
  for (const k of categories) {
    const evals: ImageEval[] = [];
    for (const img of imageIds) {
      const key = JSON.stringify([img, k]);
      const g = (gts.get(key) ?? []).map((x) => ({ box: toXywh(x.box, o.format), crowd: x.iscrowd }));
      const d = (dts.get(key) ?? []).map((x) => ({ box: toXywh(x.box, o.format), score: x.score }));
      if (g.length || d.length) evals.push(evaluateImage(g, d, top));
    }
    const catAp: number[] = [];
    maxDets.forEach((maxDet, mi) => {
      IOU_THRS.forEach((_, ti) => {
        const acc = accumulate(evals, ti, maxDet);
        const prec = acc ? acc.precision : REC_THRS.map(() => -1);
        ap[mi].push(...prec);
        ar[mi].push(acc ? acc.recall : -1);
        if (maxDet === top) {
          catAp.push(...prec);
          if (ti === 0) ap50.push(...prec);
          if (ti === t75) ap75.push(...prec);
        }
      });
    });
    perCategory[String(k)] = meanValid(catAp);
  }
  const mar: Record<number, number> = {};
  maxDets.forEach((m, mi) => {
    mar[m] = meanValid(ar[mi]);
  });
  return {
    map: meanValid(ap[maxDets.length - 1]),
    map50: meanValid(ap50),
    map75: meanValid(ap75),
    mar,
    perCategory,
  };
}
