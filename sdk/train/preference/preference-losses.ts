/**
 * The preference-optimisation losses over per-pair answer log-probabilities, with H2O LLM Studio's names and
 * TRL's conventions (each loss averaged over the pairs of a batch):
 *
 * - `DPOLoss` (sigmoid, DPO eq. 7; conservative with `labelSmoothing` ε): with the log-ratio margin
 *   `x = (π_c − π_r) − (ref_c − ref_r)`, `−(1−ε)·log σ(βx) − ε·log σ(−βx)`.
 * - `DPOHingeLoss` (SLiC): `relu(1 − βx)`.
 * - `DPOIPOLoss` (IPO eq. 17, β is τ): `(x − 1/(2β))²`.
 * - `KTOPairLoss` (paired KTO): `KL_c = max(0, mean(π_c − ref_c))`, `KL_r` likewise; the mean over the pairs
 *   of `1 − σ(β(π_c − ref_c − KL_r))` and of `1 − σ(β(KL_c − (π_r − ref_r)))`.
 * - `CPOLoss` (no reference): the sigmoid loss on `x = π_c − π_r`, plus `cpoAlpha` times the chosen answers'
 *   token-mean negative log-likelihood (CPO's behaviour-cloning term; 0 gives H2O's CPOLoss).
 * - `SimPOLoss` (no reference, length-normalised): the sigmoid loss on `x = π_c − π_r − γ/β`.
 * - `ORPOLoss` (no reference, length-normalised; beyond H2O): the chosen NLL minus
 *   `β · mean(log σ(log odds))`, `log odds = (π_c − π_r) − (log(1 − e^π_c) − log(1 − e^π_r))` (β is ORPO's λ).
 *
 * Which losses use length-normalised (token-mean) log-probabilities follows H2O's `LOSS_REDUCTION` (hinge, IPO,
 * SimPO) and TRL's ORPO; the others use token sums. Rewards (for metrics) are `β(π − ref)` with a reference,
 * `β·π` without, as TRL logs them.
 * Dimension letters: P pairs.
 */
import {
  add,
  exp,
  less,
  log,
  logSigmoid,
  mul,
  neg,
  not,
  reduceMean,
  relu,
  sigmoid,
  sub,
  type Tensor,
  where,
} from "../../engine";
import { PREFERENCE_LOSSES } from "../config/group-schemas";

/** The loss names (H2O LLM Studio's `loss_function` values, plus `ORPOLoss`). */
export { PREFERENCE_LOSSES };

/** A preference loss name. */
export type PreferenceLossName = (typeof PREFERENCE_LOSSES)[number];

/** The settings a preference loss reads. */
export interface PreferenceLossSettings {
  lossFunction: PreferenceLossName;
  /** Temperature β (IPO's τ, ORPO's λ). */
  beta: number;
  /** SimPO's target margin γ. */
  simpoGamma: number;
  /** Conservative-DPO label smoothing ε in [0, 0.5) (sigmoid losses: DPO, CPO, SimPO). */
  labelSmoothing: number;
  /** Weight of CPO's chosen-answer NLL term. */
  cpoAlpha: number;
}

/** Losses that compare the policy with the reference model (the base with the adapters off). */
const WITH_REFERENCE: ReadonlySet<PreferenceLossName> = new Set([
  "DPOLoss",
  "DPOHingeLoss",
  "DPOIPOLoss",
  "KTOPairLoss",
]);
/** Losses on token-mean log-probabilities. */
const LENGTH_NORMALISED: ReadonlySet<PreferenceLossName> = new Set([
  "DPOHingeLoss",
  "DPOIPOLoss",
  "SimPOLoss",
  "ORPOLoss",
]);
/** Losses whose formula has a label-smoothing term. */
const SMOOTHED: ReadonlySet<PreferenceLossName> = new Set(["DPOLoss", "CPOLoss", "SimPOLoss"]);

/**
 * What a loss needs from the graph.
 * @param s - the loss settings
 * @returns whether it needs the reference log-probabilities, token means (else sums), and the chosen NLL
 * @example
 * ```ts
 * lossNeeds({ ...settings, lossFunction: "SimPOLoss" }); // { reference: false, lengthNormalised: true, chosenNll: false }
 * ```
 */
export function lossNeeds(s: PreferenceLossSettings): {
  reference: boolean;
  lengthNormalised: boolean;
  chosenNll: boolean;
} {
  const f = s.lossFunction;
  return {
    reference: WITH_REFERENCE.has(f),
    lengthNormalised: LENGTH_NORMALISED.has(f),
    chosenNll: f === "ORPOLoss" || (f === "CPOLoss" && s.cpoAlpha > 0),
  };
}

/**
 * Problems with a loss's settings, as `[setting, message]` pairs (empty when they are usable).
 * @param s - the loss settings
 * @returns the problems, each naming the setting and the fix
 * @example
 * ```ts
 * preferenceSettingsProblems({ ...settings, beta: 0 }); // [["beta", "beta must be > 0 …"]]
 * ```
 */
export function preferenceSettingsProblems(s: PreferenceLossSettings): [string, string][] {
  const out: [string, string][] = [];
  if (!PREFERENCE_LOSSES.includes(s.lossFunction))
    out.push([
      "lossFunction",
      `unknown loss ${s.lossFunction}; expected one of ${PREFERENCE_LOSSES.join(", ")}`,
    ]);
  if (!(s.beta > 0 && Number.isFinite(s.beta))) out.push(["beta", `beta must be > 0 (got ${s.beta})`]);
  if (!(s.labelSmoothing >= 0 && s.labelSmoothing < 0.5))
    out.push(["labelSmoothing", `label_smoothing must be in [0, 0.5) (got ${s.labelSmoothing})`]);
  else if (s.labelSmoothing > 0 && !SMOOTHED.has(s.lossFunction))
    out.push([
      "labelSmoothing",
      `label_smoothing applies to ${[...SMOOTHED].join(", ")}, not ${s.lossFunction}: set it to 0`,
    ]);
  if (!(s.cpoAlpha >= 0 && Number.isFinite(s.cpoAlpha)))
    out.push(["cpoAlpha", `cpo_alpha must be ≥ 0 (got ${s.cpoAlpha})`]);
  if (!Number.isFinite(s.simpoGamma))
    out.push(["simpoGamma", `simpo_gamma must be a number (got ${s.simpoGamma})`]);
  return out;
}

/** Per-pair log-probabilities `[P]` (sums or token means, as {@link lossNeeds} says) and the chosen NLL. */
export interface PairLogProbs {
  chosen: Tensor;
  rejected: Tensor;
  /** Reference model's (losses with a reference). */
  refChosen?: Tensor;
  refRejected?: Tensor;
  /** Scalar token-mean negative log-likelihood of the chosen answers (CPO with `cpoAlpha` > 0, ORPO). */
  chosenNll?: Tensor;
}

/** A preference loss and the per-pair rewards that metrics report. */
export interface PreferenceLoss {
  /** Scalar loss (mean over the pairs). */
  loss: Tensor;
  /** `[P]` implicit rewards of the chosen and rejected answers. */
  chosenRewards: Tensor;
  rejectedRewards: Tensor;
}

const mean = (x: Tensor) => reduceMean(x, [0]);

/** `−(1−ε)·log σ(βx) − ε·log σ(−βx)`. */
function sigmoidLoss(x: Tensor, beta: number, eps: number): Tensor {
  const bx = mul(x, beta);
  const main = mul(neg(logSigmoid(bx)), 1 - eps);
  return eps > 0 ? sub(main, mul(logSigmoid(neg(bx)), eps)) : main;
}

/** `max(x, 0)` with gradient 1 at 0 (PyTorch's `clamp(min=0)`). */
const clampMin0 = (x: Tensor) => where(less(x, 0), 0, x);

/** `expm1(x)` for `x ≤ 0`: a short series near 0 (where `exp(x) − 1` cancels), `exp(x) − 1` elsewhere. */
function expm1(x: Tensor): Tensor {
  const near = not(less(x, -1e-2));
  const small = where(near, x, 0);
  const series = mul(
    small,
    add(mul(mul(small, 0.5), add(mul(mul(small, 1 / 3), add(mul(small, 0.25), 1)), 1)), 1),
  );
  return where(near, series, sub(exp(where(near, -1, x)), 1));
}

/** `log(1 − eˣ)` for `x < 0`. */
const log1mexp = (x: Tensor) => log(neg(expm1(x)));

/** The reference log-probabilities, or a clear error when the graph did not provide them. */
function reference(lp: PairLogProbs, name: string): { c: Tensor; r: Tensor } {
  if (!lp.refChosen || !lp.refRejected)
    throw new Error(`${name} needs the reference model's log-probabilities`);
  return { c: lp.refChosen, r: lp.refRejected };
}

function chosenNll(lp: PairLogProbs, name: string): Tensor {
  if (!lp.chosenNll) throw new Error(`${name} needs the chosen answers' negative log-likelihood`);
  return lp.chosenNll;
}

/**
 * The preference loss of a batch of pairs, and the rewards metrics report.
 * @param s - loss name and settings
 * @param lp - per-pair log-probabilities (see {@link lossNeeds} for which the loss reads)
 * @returns the scalar loss and `[P]` chosen/rejected rewards
 * @throws Error when `lp` lacks what the loss needs
 * @example
 * ```ts
 * const { loss } = preferenceLoss({ lossFunction: "DPOLoss", beta: 0.1, simpoGamma: 1, labelSmoothing: 0, cpoAlpha: 1 }, lp);
 * ```
 */
export function preferenceLoss(s: PreferenceLossSettings, lp: PairLogProbs): PreferenceLoss {
  const { beta } = s;
  const f = s.lossFunction;
  if (WITH_REFERENCE.has(f)) {
    const ref = reference(lp, f);
    const chosenRatio = sub(lp.chosen, ref.c);
    const rejectedRatio = sub(lp.rejected, ref.r);
    const x = sub(chosenRatio, rejectedRatio);
    let perPair: Tensor;
    if (f === "DPOLoss") perPair = sigmoidLoss(x, beta, s.labelSmoothing);
    else if (f === "DPOHingeLoss") perPair = relu(sub(1, mul(x, beta)));
    else if (f === "DPOIPOLoss") {
      const d = sub(x, 1 / (2 * beta));
      perPair = mul(d, d);
    } else {
      const klChosen = clampMin0(mean(chosenRatio));
      const klRejected = clampMin0(mean(rejectedRatio));
      const a = sub(1, sigmoid(mul(sub(chosenRatio, klRejected), beta)));
      const b = sub(1, sigmoid(mul(sub(klChosen, rejectedRatio), beta)));
      perPair = mul(add(a, b), 0.5);
    }
    return {
      loss: mean(perPair),
      chosenRewards: mul(chosenRatio, beta),
      rejectedRewards: mul(rejectedRatio, beta),
    };
  }
  const margin = sub(lp.chosen, lp.rejected);
  let loss: Tensor;
  if (f === "CPOLoss") {
    loss = mean(sigmoidLoss(margin, beta, s.labelSmoothing));
    if (s.cpoAlpha > 0) loss = add(loss, mul(chosenNll(lp, f), s.cpoAlpha));
  } else if (f === "SimPOLoss") {
    loss = mean(sigmoidLoss(sub(margin, s.simpoGamma / beta), beta, s.labelSmoothing));
  } else {
    const logOdds = sub(margin, sub(log1mexp(lp.chosen), log1mexp(lp.rejected)));
    loss = sub(chosenNll(lp, f), mul(mean(logSigmoid(logOdds)), beta));
  }
  return { loss, chosenRewards: mul(lp.chosen, beta), rejectedRewards: mul(lp.rejected, beta) };
}
