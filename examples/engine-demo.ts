/**
 * Engine demo (the README's first command for now): trains a one-block decoder — RMSNorm, grouped-query
 * attention with RoPE, SwiGLU MLP — on a repeating token pattern with the fused AdamW step, and prints the
 * held-out loss before and after. Runs in a few seconds on a laptop CPU.
 */
import { seededRandom, TrainStep, tensorValue } from "../sdk/engine";
import { buildDecoder, DEC, decoderParams } from "../test/engine/tiny-models";

function batch(seed: number) {
  const [B, T] = [4, 8];
  const rand = seededRandom(seed);
  // Each row counts upward (mod V) from a random start: the next token is predictable from the current one.
  const ids = Array.from({ length: B }, () => Math.floor(rand() * DEC.vocab)).flatMap((s) =>
    Array.from({ length: T }, (_, t) => (s + t) % DEC.vocab),
  );
  const labels = ids.map((_, i) => (i % T === T - 1 ? -100 : ids[i + 1]));
  const i64 = (v: number[]) => tensorValue("int64", [B, T], BigInt64Array.from(v.map(BigInt)));
  return {
    input_ids: i64(ids),
    labels: i64(labels),
    attention_mask: i64(ids.map(() => 1)),
    position_ids: i64(ids.map((_, i) => i % T)),
  };
}

async function main(): Promise<void> {
  const model = buildDecoder(decoderParams(7));
  const step = await TrainStep.create({ loss: model.loss, params: model.params, maxGradNorm: 1 });
  const heldOut = batch(999);
  const before = (await step.evaluate(heldOut)).loss;
  console.log(`held-out loss before training: ${before.toFixed(4)}`);
  for (let i = 1; i <= 150; i++) {
    const { loss, gradNorm } = await step.step(batch(i), { lr: 0.02 });
    if (i % 50 === 0) console.log(`step ${i}: loss ${loss.toFixed(4)}, grad norm ${gradNorm.toFixed(3)}`);
  }
  const after = (await step.evaluate(heldOut)).loss;
  console.log(`held-out loss after training:  ${after.toFixed(4)}`);
  await step.release();
  if (!(after < before / 2))
    throw new Error(`training did not reduce the held-out loss enough (${before} → ${after})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
