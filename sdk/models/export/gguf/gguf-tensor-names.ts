/**
 * llama.cpp's names of the Hugging Face weights (`gguf-py`'s tensor map): `model.layers.{i}.…` becomes
 * `blk.{i}.…`; the RMSNorms are named by where they sit, read from the configuration's layer layout (before
 * attention `attn_norm`, after it `post_attention_norm`, before the MLP `ffn_norm`, after it `post_ffw_norm`: so
 * Llama's `post_attention_layernorm` is `ffn_norm`, but Gemma 2's and OLMo 2's is `post_attention_norm`); Phi-3's
 * fused `qkv_proj` is `attn_qkv` and its `gate_up_proj` is `ffn_up` (gate first, as llama.cpp splits it).
 * A checkpoint stored under other prefixes (Gemma 3's text tower under `language_model.`) is read through its
 * `tensorAliases`; what lies outside the text tower (the vision tower, the projector) has no name.
 */
import { type DecoderConfig, PRE_NORMS } from "../../arch";

const LAYER_NAMES: Readonly<Record<string, string>> = {
  "self_attn.q_proj.weight": "attn_q.weight",
  "self_attn.q_proj.bias": "attn_q.bias",
  "self_attn.k_proj.weight": "attn_k.weight",
  "self_attn.k_proj.bias": "attn_k.bias",
  "self_attn.v_proj.weight": "attn_v.weight",
  "self_attn.v_proj.bias": "attn_v.bias",
  "self_attn.qkv_proj.weight": "attn_qkv.weight",
  "self_attn.qkv_proj.bias": "attn_qkv.bias",
  "self_attn.o_proj.weight": "attn_output.weight",
  "self_attn.o_proj.bias": "attn_output.bias",
  "self_attn.q_norm.weight": "attn_q_norm.weight",
  "self_attn.k_norm.weight": "attn_k_norm.weight",
  "mlp.gate_proj.weight": "ffn_gate.weight",
  "mlp.gate_proj.bias": "ffn_gate.bias",
  "mlp.up_proj.weight": "ffn_up.weight",
  "mlp.up_proj.bias": "ffn_up.bias",
  "mlp.gate_up_proj.weight": "ffn_up.weight",
  "mlp.down_proj.weight": "ffn_down.weight",
  "mlp.down_proj.bias": "ffn_down.bias",
};

const TOP_NAMES: Readonly<Record<string, string>> = {
  "model.embed_tokens.weight": "token_embd.weight",
  "model.norm.weight": "output_norm.weight",
  "lm_head.weight": "output.weight",
};

/** The layer's norm names (`input_layernorm.weight` → `attn_norm.weight`, …) for a configuration. */
function normNames(config: DecoderConfig): Record<string, string> {
  const norms = config.layerNorms ?? PRE_NORMS;
  const names: Record<string, string> = {};
  const add = (hf: string | undefined, gguf: string) => {
    if (hf) names[`${hf}.weight`] = `${gguf}.weight`;
  };
  add(norms.attention.pre, "attn_norm");
  add(norms.attention.post, "post_attention_norm");
  add(norms.mlp.pre, "ffn_norm");
  add(norms.mlp.post, "post_ffw_norm");
  return names;
}

/** The name as the decoder graph knows it (`language_model.model.x` → `model.x`), or null outside the text tower. */
function graphName(name: string, config: DecoderConfig): string | null {
  const aliases = config.tensorAliases;
  if (!aliases?.length) return name;
  for (const [graph, stored] of aliases) {
    if (name.startsWith(stored)) return graph + name.slice(stored.length);
  }
  return null;
}

/**
 * llama.cpp's name of a stored weight (`model.layers.3.mlp.up_proj.weight` → `blk.3.ffn_up.weight`).
 * @param name - the name in the checkpoint
 * @param config - the normalised configuration (layer norm layout, tensor aliases)
 * @returns the GGUF name, `null` for a tensor llama.cpp's text model does not store (`rotary_emb.inv_freq`, a
 *   vision tower), or undefined for one it has no name for
 * @example
 * ```ts
 * ggufTensorName("model.layers.0.self_attn.q_proj.weight", config); // "blk.0.attn_q.weight"
 * ```
 */
export function ggufTensorName(name: string, config: DecoderConfig): string | null | undefined {
  if (name.endsWith("rotary_emb.inv_freq")) return null;
  const graph = graphName(name, config);
  if (graph === null) return null;
  if (Object.hasOwn(TOP_NAMES, graph)) return TOP_NAMES[graph];
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(graph);
  if (!m) return undefined;
  const suffix = Object.hasOwn(LAYER_NAMES, m[2]) ? LAYER_NAMES[m[2]] : normNames(config)[m[2]];
  return suffix ? `blk.${m[1]}.${suffix}` : undefined;
}
