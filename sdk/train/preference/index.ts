export {
  lossNeeds,
  type PairLogProbs,
  PREFERENCE_LOSSES,
  type PreferenceLoss,
  type PreferenceLossName,
  type PreferenceLossSettings,
  preferenceLoss,
  preferenceSettingsProblems,
} from "./preference-losses";
export {
  buildPreferenceLoss,
  createPreferenceStep,
  PAIR_OUTPUTS,
  type PreferenceStepOptions,
  pairFeeds,
} from "./preference-step";
