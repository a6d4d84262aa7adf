/**
 * LoRA injection into linear layers: `y = x·Wᵀ + scale · ((dropout(x)·Aᵀ)·Bᵀ)`, A `[r, in]` and B `[out, r]`
 * trainable, named as PEFT saves them; with `useDora`, DoRA's weight-decomposed form (see `dora.ts`) with a
 * trainable magnitude `[out]`. Fresh adapters start as PEFT does: A kaiming-uniform (`U(−1/√in, 1/√in)`), B zeros,
 * the DoRA magnitude `‖W‖` per row, so the model's output is unchanged at step 0.
 * Dimension letters: I inputs, O outputs, R rank.
 */
import { add, dropout, less, linear, mul, seededRandom, type Tensor, where } from "../../engine";
import { ConfigError } from "../../errors";
import { AdapterError } from "./adapter-error";
import { doraLinear, rowNorms } from "./dora";
import type { LoraAdapter } from "./load-adapter";
import { isLoraTarget, loraScale, peftNames, type ResolvedLoraOptions } from "./lora-options";

/** Separate projections and the fused module that holds them in some families (Phi-3). */
const FUSED_INTO: Readonly<Record<string, string>> = {
  q_proj: "qkv_proj",
  k_proj: "qkv_proj",
  v_proj: "qkv_proj",
  gate_proj: "gate_up_proj",
  up_proj: "gate_up_proj",
};

/** A sentence for targets that name parts of a fused module this model has ("" when none do). */
function fusedHint(unmatched: readonly string[], modules: readonly string[]): string {
  const pairs = unmatched.flatMap((t) => {
    const name = t.slice(t.lastIndexOf(".") + 1);
    const fused = FUSED_INTO[name];
    return fused && modules.some((m) => isLoraTarget(m, [fused])) ? [`${t} → ${fused}`] : [];
  });
  if (pairs.length === 0) return "";
  return (
    `. This model fuses those projections into one module each (${pairs.join(", ")}): target the fused ` +
    "module, which PEFT adapts as one (one lora_A/lora_B pair over all its outputs)"
  );
}

/** Values of one adapted module. */
interface Pair {
  a: Float32Array;
  b: Float32Array;
  /** The DoRA magnitude `[O]` (with `useDora`). */
  m?: Float32Array;
}

/**
 * Holds the adapter values (fresh or loaded) and adds the LoRA branch to targeted linear layers of a graph.
 * One injector serves many graphs (a forward graph, a training graph) with the same values. With a loaded
 * adapter, a targeted module the adapter holds no tensors for stays unadapted (as in PEFT's saved files).
 */
export class LoraInjector {
  /** Output multiplier. */
  readonly scale: number;
  private readonly values = new Map<string, Pair>();
  /** Every linear module path a graph build asked about, in build order. */
  private readonly seen = new Set<string>();
  private dropoutSalt = 1000;

  /**
   * @param options - resolved LoRA settings
   * @param adapter - a loaded PEFT adapter whose tensors are the initial values (its settings should equal `options`)
   */
  constructor(
    readonly options: ResolvedLoraOptions,
    readonly adapter?: LoraAdapter,
  ) {
    this.scale = loraScale(options);
  }

  /**
   * Whether a module is adapted.
   * @param module - module path, e.g. `model.layers.0.mlp.up_proj`
   * @returns true when targeted
   */
  targets(module: string): boolean {
    this.seen.add(module);
    return isLoraTarget(module, this.options.targetModules);
  }

  /**
   * Names of the linear modules seen by the graphs built so far (the last part of each path, e.g. `q_proj`),
   * in build order.
   * @returns unique names
   */
  linearModuleNames(): string[] {
    return [...new Set([...this.seen].map((m) => m.slice(m.lastIndexOf(".") + 1)))];
  }

  /**
   * Checks, after a graph was built, that every name of `targetModules` matched one of its linear modules (a
   * misspelt or foreign name would silently train fewer modules than asked; PEFT only refuses when none match).
   * Skipped for a loaded adapter, whose tensors decide what is adapted.
   * @throws ConfigError naming the targets that matched nothing and listing the model's linear module names
   */
  checkTargets(): void {
    const targets = this.options.targetModules;
    if (this.adapter || targets === "all-linear" || this.seen.size === 0) return;
    const modules = [...this.seen];
    const unmatched = targets.filter((t) => !modules.some((m) => isLoraTarget(m, [t])));
    if (unmatched.length === 0) return;
    const names = this.linearModuleNames().join(", ");
    const which =
      unmatched.length === targets.length
        ? `no module matched ${unmatched.join(", ")}`
        : `${unmatched.join(", ")} matched no module (${targets.filter((t) => !unmatched.includes(t)).join(", ")} did)`;
    const message =
      `${which}. This model's linear modules are ${names}; use these names (or a dotted path ending in ` +
      `one, e.g. self_attn.q_proj), or "all-linear" for all of them but lm_head${fusedHint(unmatched, modules)}`;
    throw new ConfigError([{ path: ["lora", "targetModules"], message }], { source: "LoRA settings" });
  }

  /**
   * `linear(x, W, bias)` plus the LoRA branch when the module is targeted (DoRA's form with `useDora`).
   * @param x - input `[..., I]`
   * @param module - module path
   * @param weight - frozen `[O, I]`
   * @param bias - optional `[O]`
   * @param training - `seed` (int64 scalar input) enables dropout on the adapter's input; a negative seed
   *   disables it at run time
   * @param weightValues - the weight's values, read once to start a fresh DoRA magnitude at `‖W‖` (required
   *   with `useDora` and no loaded adapter)
   * @returns `[..., O]`
   * @throws {@link AdapterError} when a loaded adapter lacks the module's tensors or they have other shapes
   */
  linear(
    x: Tensor,
    module: string,
    weight: Tensor,
    bias?: Tensor,
    training?: { seed: Tensor },
    weightValues?: () => Float32Array,
  ): Tensor {
    const [out, inp] = weight.shape as number[];
    if (!this.options.useDora)
      return this.adapt(x, module, linear(x, weight, bias), { out, in: inp }, training);
    const params = this.params(x, module, { out, in: inp }, weightValues);
    if (!params) return linear(x, weight, bias);
    const { a, b, m } = params;
    const xin = this.adapterInput(x, training);
    const magnitude = m as Tensor; // present with useDora
    return doraLinear({ x, xin, dropped: xin !== x, weight, bias, a, b, magnitude, scale: this.scale });
  }

  /**
   * Adds the LoRA branch to a frozen layer's output `y` (computed by any kernel, e.g. a quantized one) when
   * the module is targeted.
   * @param x - the layer's input `[..., I]`
   * @param module - module path
   * @param y - the frozen layer's output `[..., O]`
   * @param sizes - `out` (O) and `in` (I)
   * @param training - as {@link linear}
   * @returns `[..., O]`
   * @throws {@link AdapterError} when a loaded adapter lacks the module's tensors or they have other shapes
   * @throws ConfigError with `useDora` (DoRA needs the float weight `W` for its norm, which `y` does not carry)
   */
  adapt(
    x: Tensor,
    module: string,
    y: Tensor,
    sizes: { out: number; in: number },
    training?: { seed: Tensor },
  ): Tensor {
    if (this.options.useDora && this.targets(module)) {
      const message =
        `DoRA needs the float weight of ${module} for its row norm ‖W + scale·B·A‖, but this layer's base ` +
        "weight is quantized (int8/int4). Load the backbone with dtype float32 (architecture.backbone_dtype: " +
        "float32), or train plain LoRA on the quantized base (lora.use_dora: false)";
      throw new ConfigError([{ path: ["lora", "useDora"], message }], { source: "LoRA settings" });
    }
    const params = this.params(x, module, sizes);
    if (!params) return y;
    const xin = this.adapterInput(x, training);
    return add(y, mul(linear(linear(xin, params.a), params.b), this.scale));
  }

  /** The module's adapter parameters in `x`'s graph, or undefined when it is not adapted. */
  private params(
    x: Tensor,
    module: string,
    sizes: { out: number; in: number },
    weightValues?: () => Float32Array,
  ): { a: Tensor; b: Tensor; m?: Tensor } | undefined {
    if (!this.targets(module)) return undefined;
    const { out, in: inp } = sizes;
    const names = peftNames(module);
    // A loaded adapter without this module (e.g. a tied lm_head PEFT did not save) leaves it unadapted.
    const stored = this.adapter?.tensors;
    if (stored && !stored.has(names.a) && !stored.has(names.b)) return undefined;
    const pair = this.pairFor(module, inp, out, weightValues);
    const g = x.graph;
    const r = this.options.r;
    const a = g.param(names.a, [r, inp], { kind: "inline", data: pair.a }, { trainable: true });
    const b = g.param(names.b, [out, r], { kind: "inline", data: pair.b }, { trainable: true });
    const m = pair.m && g.param(names.m, [out], { kind: "inline", data: pair.m }, { trainable: true });
    return { a, b, m };
  }

  /** `x`, or `x` with dropout in a training graph (a negative seed turns it off: evaluation in a training session). */
  private adapterInput(x: Tensor, training?: { seed: Tensor }): Tensor {
    const p = this.options.dropout;
    if (!training || p <= 0) return x;
    return where(less(training.seed, 0), x, dropout(x, p, training.seed, this.dropoutSalt++));
  }

  /**
   * Current values of every adapter tensor created so far, by PEFT name.
   * @returns name → values (live arrays: writing them changes the next graph built)
   */
  tensors(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [module, pair] of this.values) {
      const names = peftNames(module);
      out.set(names.a, pair.a);
      out.set(names.b, pair.b);
      if (pair.m) out.set(names.m, pair.m);
    }
    return out;
  }

  private pairFor(module: string, inp: number, out: number, weightValues?: () => Float32Array): Pair {
    let pair = this.values.get(module);
    if (pair) return pair;
    pair = this.adapter ? this.loaded(module, inp, out) : this.fresh(module, inp, out, weightValues);
    this.values.set(module, pair);
    return pair;
  }

  private fresh(module: string, inp: number, out: number, weightValues?: () => Float32Array): Pair {
    let h = this.options.seed;
    for (const ch of module) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
    const rand = seededRandom(h);
    const bound = 1 / Math.sqrt(inp);
    const a = Float32Array.from({ length: this.options.r * inp }, () => (2 * rand() - 1) * bound);
    const b = new Float32Array(out * this.options.r);
    if (!this.options.useDora) return { a, b };
    if (!weightValues)
      throw new Error(`LoraInjector: a fresh DoRA magnitude of ${module} needs the weight's values`);
    // B = 0, so m = ‖W + s·B·A‖ = ‖W‖ per row (PEFT's initial magnitude).
    return { a, b, m: rowNorms(weightValues(), out) };
  }

  private loaded(module: string, inp: number, out: number): Pair {
    const adapter = this.adapter as LoraAdapter;
    const names = peftNames(module);
    const r = this.options.r;
    const get = (name: string, shape: number[]) => {
      const t = adapter.tensors.get(name);
      if (!(t?.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]))) {
        const found = t ? `shape [${t.shape.join(", ")}]` : "no such tensor";
        throw new AdapterError({
          dir: adapter.dir,
          problem: `${name}: expected shape [${shape.join(", ")}], found ${found}`,
          fix: "Use an adapter trained on this base model (same sizes and target modules).",
        });
      }
      return Float32Array.from(t.data);
    };
    const pair: Pair = { a: get(names.a, [r, inp]), b: get(names.b, [out, r]) };
    if (this.options.useDora) pair.m = get(names.m, [out]);
    return pair;
  }
}
