export {
  type CorpusBleuOptions,
  corpusBleu,
  type SentenceBleuOptions,
  type SentenceBleuScoresOptions,
  sentenceBleu,
  sentenceBleuScores,
} from "./bleu";
export { type BleuScore, type BleuSmoothing, type BleuStats, computeBleu } from "./bleu-stats";
export { normalizeAnswer, type QaOptions, qaMatches } from "./qa-accuracy";
export { type BleuTokenizer, tokenize13a } from "./tokenizer-13a";
