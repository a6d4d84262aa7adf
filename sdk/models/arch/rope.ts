/**
 * Rotary position embedding variants, read from a Hugging Face `config.json` (`rope_theta`, `rope_scaling`,
 * `partial_rotary_factor`, `max_position_embeddings`) and turned into the inverse frequencies and the attention
 * scaling (a factor on `cos`/`sin`) the graph uses. The formulas are those of transformers'
 * `modeling_rope_utils.py`: `default`, `linear`, `llama3`, `yarn`, `longrope` and `dynamic` (NTK; the graph
 * recomputes the frequencies from the batch's longest position, as transformers does per forward pass).
 */
import type { RopeTableOptions } from "../../engine";
import { ConfigError } from "../../errors";

/**
 * What the graph needs to build rotary tables: the frequencies, the rotated width, and the engine's table
 * options (attention factor; LongRoPE's long frequencies; dynamic NTK).
 */
export interface RopeParameters extends RopeTableOptions {
  /** Inverse frequencies, one per rotated pair: `rotaryDim / 2` entries. */
  readonly invFreq: readonly number[];
  /** Leading dimensions of each head that are rotated (`head_dim × partial_rotary_factor`); the rest pass. */
  readonly rotaryDim: number;
  /** Multiplies `cos` and `sin` (YaRN's and LongRoPE's `attention_factor`; 1 elsewhere). */
  readonly attentionScaling: number;
}

/** The RoPE types {@link ropeParameters} implements, as `rope_scaling.rope_type` spells them. */
export const SUPPORTED_ROPE_TYPES = ["default", "linear", "llama3", "yarn", "longrope", "dynamic"] as const;

/** The `config.json` fields RoPE reads. */
export interface RopeConfigFields {
  readonly rope_theta: number;
  readonly rope_scaling?: Readonly<Record<string, unknown>> | null;
  readonly partial_rotary_factor?: number | null;
  readonly max_position_embeddings?: number | null;
  /** Phi-3's pretrained length, read by `longrope`. */
  readonly original_max_position_embeddings?: number | null;
}

type Issue = { path: (string | number)[]; message: string };

/**
 * Inverse frequencies and attention scaling of the config's RoPE variant, with Hugging Face's formulas.
 * @param fields - the RoPE fields of `config.json`
 * @param headDim - the attention head size
 * @param source - where the config comes from, for messages
 * @returns the parameters of the rotary tables
 * @throws {@link ConfigError} for an unknown `rope_type`, a missing or invalid required field, or a variant that is
 *   not implemented, naming the field, the value and the supported types
 * @example
 * ```ts
 * const rope = ropeParameters({ rope_theta: 500000, rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }, 64, "config.json");
 * ```
 */
export function ropeParameters(fields: RopeConfigFields, headDim: number, source: string): RopeParameters {
  const fail = (issues: Issue[]): never => {
    throw new ConfigError(issues, { source });
  };
  const partial = fields.partial_rotary_factor ?? 1;
  if (!(partial > 0 && partial <= 1)) {
    fail([{ path: ["partial_rotary_factor"], message: `expected a number in (0, 1], got ${partial}` }]);
  }
  // HF: dim = int(head_dim * partial_rotary_factor).
  const dim = Math.trunc(headDim * partial);
  if (dim % 2 !== 0 || dim === 0) {
    const message = `head_dim ${headDim} × partial_rotary_factor ${partial} = ${dim} rotated dimensions; expected an even number > 0`;
    fail([{ path: ["partial_rotary_factor"], message }]);
  }
  const base = fields.rope_theta;
  const exponents = Array.from({ length: dim / 2 }, (_, i) => (2 * i) / dim);
  const defaultInv = exponents.map((e) => 1 / base ** e);
  const scaling = fields.rope_scaling;
  if (!scaling) return { invFreq: defaultInv, rotaryDim: dim, attentionScaling: 1 };

  const typeKey = scaling.rope_type !== undefined ? "rope_type" : "type";
  const type = scaling[typeKey] ?? "default";
  const supported = SUPPORTED_ROPE_TYPES.map((t) => `"${t}"`).join(", ");
  const num = (key: string, opts: { required?: boolean; positive?: boolean } = {}): number | undefined => {
    const v = scaling[key];
    if (v === undefined || v === null) {
      if (opts.required) {
        fail([
          {
            path: ["rope_scaling", key],
            message: `rope_type "${type}" requires ${key}, a number; it is missing`,
          },
        ]);
      }
      return undefined;
    }
    if (typeof v !== "number" || !Number.isFinite(v) || (opts.positive && v <= 0)) {
      const message = `expected a ${opts.positive ? "positive " : ""}number for rope_type "${type}", got ${JSON.stringify(v)}`;
      fail([{ path: ["rope_scaling", key], message }]);
    }
    return v as number;
  };
  switch (type) {
    case "default":
      return { invFreq: defaultInv, rotaryDim: dim, attentionScaling: 1 };
    case "linear": {
      const factor = num("factor", { required: true, positive: true }) as number;
      return { invFreq: defaultInv.map((f) => f / factor), rotaryDim: dim, attentionScaling: 1 };
    }
    case "llama3":
      return { invFreq: llama3(defaultInv, num), rotaryDim: dim, attentionScaling: 1 };
    case "yarn":
      return yarn(exponents, base, dim, fields, scaling, num, source);
    case "longrope":
      return longrope(exponents, base, dim, fields, scaling, num, source);
    case "dynamic": {
      const factor = num("factor", { required: true, positive: true }) as number;
      const maxPositions = fields.max_position_embeddings;
      if (maxPositions == null) {
        const message = `rope_type "dynamic" requires max_position_embeddings; it is missing`;
        return fail([{ path: ["max_position_embeddings"], message }]);
      }
      const dynamicNtk = { base, dim, factor, maxPositions };
      return { invFreq: defaultInv, rotaryDim: dim, attentionScaling: 1, dynamicNtk };
    }
    default: {
      const message = `unknown rope_type ${JSON.stringify(type)}; supported: ${supported}`;
      return fail([{ path: ["rope_scaling", typeKey], message }]);
    }
  }
}

type NumReader = (key: string, opts?: { required?: boolean; positive?: boolean }) => number | undefined;

/** Llama 3.1's frequency-dependent scaling (HF `_compute_llama3_parameters`). */
function llama3(inv: number[], num: NumReader): number[] {
  const factor = num("factor", { required: true, positive: true }) as number;
  const low = num("low_freq_factor", { required: true, positive: true }) as number;
  const high = num("high_freq_factor", { required: true, positive: true }) as number;
  const oldContext = num("original_max_position_embeddings", { required: true, positive: true }) as number;
  const lowFreqWavelen = oldContext / low;
  const highFreqWavelen = oldContext / high;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highFreqWavelen) return f;
    if (wavelen > lowFreqWavelen) return f / factor;
    const smooth = (oldContext / wavelen - low) / (high - low);
    return ((1 - smooth) * f) / factor + smooth * f;
  });
}

/** YaRN (HF `_compute_yarn_parameters`): interpolation blended with extrapolation by a ramp, and `mscale`. */
function yarn(
  exponents: number[],
  base: number,
  dim: number,
  fields: RopeConfigFields,
  scaling: Readonly<Record<string, unknown>>,
  num: NumReader,
  source: string,
): RopeParameters {
  let factor = num("factor", { required: true, positive: true }) as number;
  const original = num("original_max_position_embeddings", { positive: true });
  const maxPositions = fields.max_position_embeddings ?? undefined;
  if (original !== undefined && maxPositions !== undefined) {
    // HF: models that raise max_position_embeddings and keep the pretrained length use their ratio as the factor.
    factor = maxPositions / original;
  }
  const contextLength = original ?? maxPositions;
  if (contextLength === undefined) {
    const message = `rope_type "yarn" requires rope_scaling.original_max_position_embeddings or max_position_embeddings; both are missing`;
    throw new ConfigError([{ path: ["rope_scaling", "original_max_position_embeddings"], message }], {
      source,
    });
  }
  const mscale = num("mscale");
  const mscaleAllDim = num("mscale_all_dim");
  const getMscale = (scale: number, m = 1) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  let attentionScaling = num("attention_factor");
  if (attentionScaling === undefined) {
    attentionScaling =
      mscale && mscaleAllDim
        ? getMscale(factor, mscale) / getMscale(factor, mscaleAllDim)
        : getMscale(factor);
  }
  const betaFast = num("beta_fast") || 32;
  const betaSlow = num("beta_slow") || 1;
  const truncate = scaling.truncate ?? true;
  const correctionDim = (rotations: number) =>
    (dim * Math.log(contextLength / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  let low = correctionDim(betaFast);
  let high = correctionDim(betaSlow);
  if (truncate) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001;
  const invFreq = exponents.map((e, i) => {
    const posFreq = base ** e;
    const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
    const extrapolation = 1 - ramp;
    return (1 / (factor * posFreq)) * (1 - extrapolation) + (1 / posFreq) * extrapolation;
  });
  return { invFreq, rotaryDim: dim, attentionScaling };
}

/**
 * LongRoPE (HF `_compute_longrope_parameters` and its per-forward switch): `short_factor` divides the frequencies
 * while the sequence fits `original_max_position_embeddings`, `long_factor` beyond; the attention factor is
 * `√(1 + ln(factor) / ln(original))` with `factor = max_position_embeddings / original` unless given.
 */
function longrope(
  exponents: number[],
  base: number,
  dim: number,
  fields: RopeConfigFields,
  scaling: Readonly<Record<string, unknown>>,
  num: NumReader,
  source: string,
): RopeParameters {
  const factors = (key: string): number[] => {
    const v = scaling[key];
    if (!Array.isArray(v) || v.length !== dim / 2 || v.some((x) => typeof x !== "number" || !(x > 0))) {
      const got = Array.isArray(v) ? `a list of ${v.length}` : JSON.stringify(v);
      const message = `rope_type "longrope" requires ${key}, a list of ${dim / 2} positive numbers (rotated dims / 2); got ${got}`;
      throw new ConfigError([{ path: ["rope_scaling", key], message }], { source });
    }
    return v as number[];
  };
  const short = factors("short_factor");
  const long = factors("long_factor");
  let factor = num("factor", { positive: true });
  const maxPositions = fields.max_position_embeddings ?? undefined;
  let original = maxPositions;
  if (fields.original_max_position_embeddings != null) {
    original = fields.original_max_position_embeddings;
    if (maxPositions !== undefined) factor = maxPositions / original;
  }
  if (original === undefined) {
    const message = `rope_type "longrope" requires original_max_position_embeddings or max_position_embeddings; both are missing`;
    throw new ConfigError([{ path: ["original_max_position_embeddings"], message }], { source });
  }
  let attentionScaling = num("attention_factor");
  if (attentionScaling === undefined) {
    attentionScaling =
      factor === undefined || factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
  }
  const freqs = (ext: number[]) => exponents.map((e, i) => 1 / (ext[i] * base ** e));
  return {
    invFreq: freqs(short),
    rotaryDim: dim,
    attentionScaling,
    long: { invFreq: freqs(long), fromPosition: original },
  };
}
