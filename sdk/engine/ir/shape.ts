/**
 * Shapes with symbolic dimensions. A dimension is a number, or a string naming a symbol (`"B"`, `"T"`) or a
 * product of symbols and numbers in canonical form (`"B*T"`, `"4*T"`), so one compiled graph serves every
 * batch size and sequence length.
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

function factors(d: Dim): { num: number; syms: string[] } {
  if (typeof d === "number") return { num: d, syms: [] };
  let num = 1;
  const syms: string[] = [];
  for (const part of d.split("*")) {
    if (/^\d+$/.test(part)) num *= Number(part);
    else syms.push(part);
  }
  return { num, syms };
}

function fromFactors(num: number, syms: string[]): Dim {
  if (syms.length === 0 || num === 0) return num;
  const sorted = [...syms].sort();
  return num === 1 ? sorted.join("*") : [String(num), ...sorted].join("*");
}

/** Product of dimensions, symbolic where needed (`mulDims("B", "T") === "B*T"`). */
export function mulDims(...dims: Dim[]): Dim {
  let num = 1;
  const syms: string[] = [];
  for (const d of dims) {
    const f = factors(d);
    num *= f.num;
    syms.push(...f.syms);
  }
  return fromFactors(num, syms);
}

/** `a / b` when it divides exactly (symbol by symbol), else undefined. */
export function divDims(a: Dim, b: Dim): Dim | undefined {
  const fa = factors(a);
  const fb = factors(b);
  if (fb.num === 0 || fa.num % fb.num !== 0) return undefined;
  const rest = [...fa.syms];
  for (const s of fb.syms) {
    const i = rest.indexOf(s);
    if (i < 0) return undefined;
    rest.splice(i, 1);
  }
  return fromFactors(fa.num / fb.num, rest);
}

/** The symbols a dimension is made of. */
export function dimSymbols(d: Dim): string[] {
  return factors(d).syms;
}

/** Numeric factor of a dimension (`numericFactor("4*T") === 4`). */
export function numericFactor(d: Dim): number {
  return factors(d).num;
}

/** Number of elements, symbolic where needed. */
export function numel(shape: Shape): Dim {
  return mulDims(...shape);
}

/** True when every dimension is a number. */
export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === "number");
}

/** Formats a shape for error messages: `[B, T, 64]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Normalises a possibly negative axis against a rank; throws when out of range. */
export function normAxis(axis: number, rank: number, what = "axis"): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/**
 * NumPy-style broadcast of two shapes; undefined when they are incompatible. Two different symbols are
 * incompatible (the engine cannot prove them equal).
 */
export function broadcastShapes(a: Shape, b: Shape): Dim[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else return undefined;
  }
  return out;
}
