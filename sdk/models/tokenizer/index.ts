export { DEFAULT_RENDER_LIMITS, type RenderLimits } from "./bounded-render";
export {
  type ChatMessage,
  type ChatTemplateSource,
  chatTemplatesByName,
  renderChatTemplate,
  selectChatTemplate,
} from "./chat-template";
export { type LoadTokenizerOptions, loadTokenizer, readJsonFile } from "./load-tokenizer";
export {
  type AddedTokenJson,
  addedTokensFromConfig,
  SPECIAL_TOKEN_KEYS,
  type SpecialTokenKey,
  specialTokensMap,
  tokenContent,
} from "./special-tokens";
export { type ApplyChatTemplateOptions, type CreateTokenizerOptions, Tokenizer } from "./tokenizer";
