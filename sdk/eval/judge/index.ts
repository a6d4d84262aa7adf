export { fillTemplate, JUDGE_TEMPLATES, type JudgeTemplate } from "./judge-templates";
export { type JudgeInput, type JudgeOptions, llmJudge } from "./llm-judge";
export { parseJudgeScore } from "./parse-score";
