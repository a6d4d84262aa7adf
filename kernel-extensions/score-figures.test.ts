import assert from "node:assert/strict";
import { test } from "node:test";
import { confusionMatrixFigure, predictionScatterFigure } from "./score-figures";

test("the confusion matrix counts (true, predicted) pairs, rows true and columns predicted", () => {
  const m = confusionMatrixFigure({ yTrue: [0, 0, 1, 1, 1, 2], yPred: [0, 1, 1, 1, 2, 2] });
  assert.deepEqual(m.counts, [
    [1, 1, 0],
    [0, 2, 1],
    [0, 0, 1],
  ]);
  assert.equal((m.figure.data[0] as { type: string }).type, "heatmap");
  assert.match(m.text, /rows: true, columns: predicted/);
  assert.deepEqual(confusionMatrixFigure({ yTrue: [1], yPred: [1], labels: [0, 1] }).counts, [
    [0, 0],
    [0, 1],
  ]);
  assert.throws(() => confusionMatrixFigure({ yTrue: [1], yPred: [] }), /1 true labels but 0 predictions/);
});

test("the prediction scatter has the rows and the diagonal, and a text summary with MSE and MAE", () => {
  const s = predictionScatterFigure({ yTrue: [1, 2, 3], yPred: [1, 3, 3], name: "stars" });
  assert.deepEqual((s.figure.data[1] as { x: number[] }).x, [1, 3]);
  assert.equal(s.text, "predicted stars vs stars: 3 points, MSE 0.3333, MAE 0.3333");
});
