/** A chat message, as in the OpenAI / Hugging Face chat format. */
export type ChatMessage = {
  role: "system" | "user" | "assistant";
  content: string;
};

/**
 * One training example after column mapping: a conversation (prompt/answer rows, chained rows, or a
 * `messages` column) or a raw text for continued pretraining. `row` is the 1-based source row it came from
 * (the last row of a chained conversation).
 */
export type Example =
  | { kind: "chat"; messages: ChatMessage[]; row: number }
  | { kind: "text"; text: string; row: number };
