/**
 * A short fingerprint of the experiment configuration schema: every setting's path, type, allowed values and
 * default. Two processes with the same fingerprint read a configuration the same way (a search's workers
 * compare theirs with the search's before they train).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { experimentConfigSchema } from "./experiment-schema";

/** A canonical, JSON-able description of a schema (keys sorted, defaults included). */
function describe(schema: z.ZodTypeAny): unknown {
  if (schema instanceof z.ZodDefault)
    return { default: schema._def.defaultValue(), of: describe(schema._def.innerType) };
  if (schema instanceof z.ZodOptional) return { optional: describe(schema._def.innerType) };
  if (schema instanceof z.ZodNullable) return { nullable: describe(schema._def.innerType) };
  if (schema instanceof z.ZodEffects) return describe(schema._def.schema);
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodTypeAny>;
    return Object.fromEntries(
      Object.keys(shape)
        .sort()
        .map((k) => [k, describe(shape[k])]),
    );
  }
  if (schema instanceof z.ZodArray) return { array: describe(schema._def.type) };
  if (schema instanceof z.ZodEnum) return { enum: schema._def.values };
  if (schema instanceof z.ZodLiteral) return { literal: schema._def.value };
  if (schema instanceof z.ZodUnion) return { union: schema._def.options.map(describe) };
  if (schema instanceof z.ZodRecord) return { record: describe(schema._def.valueType) };
  return schema._def.typeName;
}

let cached: string | undefined;

/**
 * The fingerprint of this version's experiment configuration schema.
 * @returns 12 hexadecimal characters
 * @example
 * ```ts
 * configSchemaFingerprint(); // e.g. "3f9a0c1be2d4"
 * ```
 */
export function configSchemaFingerprint(): string {
  cached ??= createHash("sha256")
    .update(JSON.stringify(describe(experimentConfigSchema)))
    .digest("hex")
    .slice(0, 12);
  return cached;
}
