import assert from "node:assert/strict";
import { test } from "node:test";
import { runPython, seededRandom } from "../../../test/eval/run-python";
import { boxIou } from "./box-iou";
import { type CocoEvalOptions, cocoEvaluate } from "./coco-eval";

test("hand-worked example: one exact hit, one IoU-0.5 hit, one miss", () => {
  // GT A [0,0,10,10], GT B [20,20,10,10]. D1 (0.9) = A (IoU 1); D2 (0.8) = top half of B (IoU 0.5); D3 (0.7) hits nothing.
  // IoU .50: TP,TP,FP -> recall reaches 1 with precision 1 at every recall point: AP = 1.
  // IoU .55-.95 (9 thresholds): TP,FP,FP -> recall 0.5; precision 1 for the 51 recall points 0..0.50, 0 above:
  // AP = 51/101. mAP = (1 + 9·51/101)/10 = 560/1010; AR@100 = (1 + 9·0.5)/10 = 0.55.
  const r = cocoEvaluate({
    groundTruths: [
      { imageId: 1, category: 1, box: [0, 0, 10, 10] },
      { imageId: 1, category: 1, box: [20, 20, 10, 10] },
    ],
    detections: [
      { imageId: 1, category: 1, box: [0, 0, 10, 10], score: 0.9 },
      { imageId: 1, category: 1, box: [20, 20, 10, 5], score: 0.8 },
      { imageId: 1, category: 1, box: [50, 50, 10, 10], score: 0.7 },
    ],
  });
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(r.map50, 1);
  close(r.map75, 51 / 101);
  close(r.map, 560 / 1010);
  close(r.mar[100], 0.55);
  close(r.mar[1], 0.5); // the top detection alone finds half the objects at every threshold
  // The same boxes as xyxy give the same numbers.
  const xyxy = cocoEvaluate({
    format: "xyxy",
    groundTruths: [
      { imageId: 1, category: 1, box: [0, 0, 10, 10] },
      { imageId: 1, category: 1, box: [20, 20, 30, 30] },
    ],
    detections: [
      { imageId: 1, category: 1, box: [0, 0, 10, 10], score: 0.9 },
      { imageId: 1, category: 1, box: [20, 20, 30, 25], score: 0.8 },
      { imageId: 1, category: 1, box: [50, 50, 60, 60], score: 0.7 },
    ],
  });
  assert.deepEqual(xyxy, r);
  assert.equal(boxIou([0, 0, 10, 10], [5, 0, 100, 100], true), 0.5); // crowd: over the detection's area
});

// Independent reference: a direct numpy implementation of the COCO definition (bbox, area "all").
const COCO_NUMPY = `
import json, sys, numpy as np
d = json.load(sys.stdin)
gts, dts, maxdets = d["gts"], d["dts"], d["maxDets"]
T = np.linspace(.5, .95, 10); R = np.linspace(0, 1, 101)
def iou(a, b, crowd):
    iw = min(a[0]+a[2], b[0]+b[2]) - max(a[0], b[0]); ih = min(a[1]+a[3], b[1]+b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0: return 0.0
    inter = iw*ih
    return inter / (a[2]*a[3] if crowd else a[2]*a[3] + b[2]*b[3] - inter)
imgs = sorted({g["imageId"] for g in gts}); cats = sorted({g["category"] for g in gts})
def match(G, D, t):
    G = [g for g in G if not g["iscrowd"]] + [g for g in G if g["iscrowd"]]
    used = [False]*len(G); res = []
    for det in D:
        best, m = min(t, 1-1e-10), -1
        for j, g in enumerate(G):
            if used[j] and not g["iscrowd"]: continue
            if m > -1 and not G[m]["iscrowd"] and g["iscrowd"]: break
            v = iou(det["box"], g["box"], g["iscrowd"])
            if v >= best: best, m = v, j
        if m >= 0: used[m] = True
        res.append("none" if m < 0 else ("crowd" if G[m]["iscrowd"] else "tp"))
    return res
out = {}
for md in maxdets:
    P = np.full((10, 101, len(cats)), -1.0); Rc = np.full((10, len(cats)), -1.0)
    for k, c in enumerate(cats):
        n = sum(1 for g in gts if g["category"] == c and not g["iscrowd"])
        if n == 0: continue
        for ti, t in enumerate(T):
            rows = []
            for i in imgs:
                G = [g for g in gts if g["imageId"] == i and g["category"] == c]
                D = sorted([x for x in dts if x["imageId"] == i and x["category"] == c], key=lambda x: -x["score"])[:md]
                rows += [(x["score"], s) for x, s in zip(D, match(G, D, t))]
            rows = sorted(rows, key=lambda r: -r[0])
            tp = np.cumsum([s == "tp" for _, s in rows]).astype(float); fp = np.cumsum([s == "none" for _, s in rows]).astype(float)
            rc = tp / n; pr = tp / (tp + fp + np.spacing(1))
            pr = np.maximum.accumulate(pr[::-1])[::-1] if len(pr) else pr
            idx = np.searchsorted(rc, R, side="left")
            P[ti, :, k] = [pr[i] if i < len(pr) else 0 for i in idx]
            Rc[ti, k] = rc[-1] if len(rc) else 0
    v = lambda x: float(np.mean(x[x > -1])) if (x > -1).any() else -1.0
    out[md] = {"map": v(P), "map50": v(P[0]), "map75": v(P[5]), "mar": v(Rc)}
print(json.dumps(out))
`;

function randomScene(seed: number): CocoEvalOptions {
  const rand = seededRandom(seed);
  const int = (k: number) => Math.floor(rand() * k);
  const groundTruths: CocoEvalOptions["groundTruths"] = [];
  const detections: CocoEvalOptions["detections"] = [];
  for (let img = 1; img <= 6; img++) {
    const nGt = img === 6 ? 0 : 1 + int(8);
    if (nGt === 0) groundTruths.push({ imageId: img, category: 9, box: [0, 0, 1, 1], iscrowd: true });
    for (let g = 0; g < nGt; g++) {
      const box: [number, number, number, number] = [int(80), int(80), 10 + int(30), 10 + int(30)];
      const category = 1 + int(3);
      groundTruths.push({ imageId: img, category, box, iscrowd: rand() < 0.1 });
      const copies = int(3); // 0 = missed, 2 = a duplicate
      for (let c = 0; c < copies; c++) {
        const jitter = (v: number) => v + (rand() - 0.5) * 5;
        detections.push({
          imageId: img,
          category: rand() < 0.9 ? category : 1 + int(3),
          box: [jitter(box[0]), jitter(box[1]), Math.max(1, jitter(box[2])), Math.max(1, jitter(box[3]))],
          score: Math.round(rand() * 10) / 10 + 0.5, // ties on purpose
        });
      }
    }
    for (let f = 0; f < int(8); f++) {
      detections.push({
        imageId: img,
        category: 1 + int(3),
        box: [int(90), int(90), 3 + int(20), 3 + int(20)],
        score: Math.round(rand() * 10) / 10,
      });
    }
  }
  return { groundTruths, detections, maxDets: [1, 10, 100] };
}

test("mAP, mAP@50, mAP@75 and mAR agree with a direct numpy implementation of the COCO definition", () => {
  for (const seed of [1, 2, 3, 4]) {
    const scene = randomScene(seed);
    const gts = scene.groundTruths.map((g) => ({ ...g, iscrowd: g.iscrowd ?? false }));
    const ref = runPython<Record<string, { map: number; map50: number; map75: number; mar: number }>>(
      COCO_NUMPY,
      {
        gts,
        dts: scene.detections,
        maxDets: [1, 10, 100],
      },
    );
    const ours = cocoEvaluate(scene);
    const close = (a: number, b: number, what: string) =>
      assert.ok(Math.abs(a - b) <= 1e-12, `seed ${seed} ${what}: ours ${a}, numpy ${b}`);
    close(ours.map, ref["100"].map, "mAP");
    close(ours.map50, ref["100"].map50, "mAP@50");
    close(ours.map75, ref["100"].map75, "mAP@75");
    for (const m of [1, 10, 100]) close(ours.mar[m], ref[String(m)].mar, `mAR@${m}`);
    assert.ok(ours.map > 0.1 && ours.map < 0.9, `seed ${seed}: degenerate scene (mAP ${ours.map})`);
    assert.ok(ours.mar[1] < ours.mar[10], `seed ${seed}: maxDets makes no difference`);
  }
});

test("detections on unknown images are refused", () => {
  assert.throws(
    () =>
      cocoEvaluate({
        groundTruths: [],
        detections: [{ imageId: 1, category: 1, box: [0, 0, 1, 1], score: 1 }],
      }),
    { name: "TunebookMetricInputError" },
  );
});
