/**
 * The plan of a resume, checked before any work: which checkpoint it continues from, the configuration it will
 * run (the folder's `config.yaml` plus any `--set` overrides), and how that differs from the configuration the
 * checkpoint recorded — changes that do not alter the trained values are honoured, any other is refused (see
 * `resume-settings.ts`) — and, when asked, whether the training data is the data the checkpoint was trained on.
 * `tunebook train --resume D --dry-run` prints it; `Experiment.resume` runs it.
 */
import * as path from "node:path";
import type { Dataset, TokenizedDataset } from "../../data";
import { loadTokenizer, resolveModel } from "../../models";
import { applyOverrides, configToYaml, type ExperimentConfig, parseExperimentConfig } from "../config";
import type { ExperimentStore } from "../store";
import { readTrainerState, type TrainerState } from "../trainer";
import { dataFingerprint } from "./data-fingerprint";
import { compareResumeSettings, RESUME_MAY_CHANGE, type SettingChange } from "./resume-settings";
import { ResumeSettingsError } from "./resume-settings-error";
import { checkDataFiles, prepareRunData } from "./run-inputs";
import { type CheckpointChoice, openExperiment } from "./trained-model";
import { refuseUnsupported } from "./unsupported-settings";

/** Options of a resume: which checkpoint, and settings to change. */
export interface ResumeOptions {
  /** The checkpoint to continue from: `last` (default) or `best` (kept with `training.save_checkpoint: best`). */
  checkpoint?: CheckpointChoice;
  /** `key=value` overrides, as `tunebook train --set` takes them (checked like edits of config.yaml). */
  overrides?: readonly string[];
}

/** Options of {@link planResume}. */
export interface PlanResumeOptions extends ResumeOptions {
  /**
   * Also read and tokenize the training data (with the model's tokenizer, without loading its weights) and check
   * that it is the data the checkpoint was trained on; default false.
   */
  checkData?: boolean;
  /** The Dataset to check when the config names no training file. */
  dataset?: Dataset;
}

/** What a resume will do. */
export interface ResumePlan {
  /** The experiment folder. */
  store: ExperimentStore;
  /** The checkpoint it continues from. */
  checkpoint: CheckpointChoice;
  /** The checkpoint's trainer state (step, epoch, position in the data, seed, recorded configuration). */
  state: TrainerState;
  /** The configuration the resumed run uses. */
  config: ExperimentConfig;
  /** Settings that differ from the checkpoint's and are honoured (recorded in config.yaml when it runs). */
  honoured: SettingChange[];
  /** Whether the checkpoint recorded its configuration (older checkpoints did not: config.yaml is trusted). */
  checked: boolean;
  /** Optimizer steps the resumed run plans in total (more than the checkpoint's plan when epochs were raised). */
  totalSteps: number;
  /**
   * The training data: `same` as the checkpoint's (checked), `unrecorded` (the checkpoint has no fingerprint),
   * or `unchecked` (not asked for; a resume checks it after loading the model).
   */
  data: "same" | "unrecorded" | "unchecked";
}

/**
 * Plans a resume without doing it: reads config.yaml (plus overrides) and the checkpoint's state, and checks
 * that the configuration may continue that checkpoint.
 * @param dir - the experiment folder
 * @param options - checkpoint, overrides
 * @returns the plan
 * @throws ExperimentNotFoundError, CheckpointError when there is nothing to resume; ConfigError for an invalid
 * config.yaml or override or a missing data file; ExperimentSetupError for an unsupported setting;
 * {@link ResumeSettingsError} naming each setting that differs from the checkpoint's and may not change
 * @example
 * ```ts
 * const plan = await planResume("experiments/run-1", { overrides: ["training.evaluation_epochs=0.5"] });
 * console.log(formatResumePlan(plan));
 * ```
 */
export async function planResume(dir: string, options: PlanResumeOptions = {}): Promise<ResumePlan> {
  const { store, config: fileConfig } = openExperiment(dir);
  const overrides = options.overrides ?? [];
  const config = overrides.length ? applyOverrides(fileConfig, overrides) : fileConfig;
  refuseUnsupported(config);
  const checkpoint = options.checkpoint ?? "last";
  const state = await readTrainerState(store.path("checkpoints", checkpoint));
  const recorded = state.config
    ? parseExperimentConfig(state.config, {
        source: store.path("checkpoints", checkpoint, "trainer-state.json"),
      })
    : fileConfig;
  const { honoured, refused } = compareResumeSettings(recorded, config, state);
  if (refused.length) {
    throw new ResumeSettingsError(
      store.dir,
      { name: checkpoint, step: state.step },
      refused,
      RESUME_MAY_CHANGE,
    );
  }
  checkDataFiles(config, store.path("config.yaml"));
  const epochs = recorded.training.epochs;
  const totalSteps =
    epochs > 0 ? Math.round((state.totalSteps / epochs) * config.training.epochs) : state.totalSteps;
  const plan: ResumePlan = {
    store,
    checkpoint,
    state,
    config,
    honoured,
    checked: state.config !== undefined,
    totalSteps,
    data: state.dataFingerprint === undefined ? "unrecorded" : "unchecked",
  };
  if (options.checkData && plan.data === "unchecked") {
    const tokenizer = await loadTokenizer({
      dir: await resolveModel({ model: config.architecture.backbone }),
    });
    const prepared = await prepareRunData(config, tokenizer, options.dataset, () => {});
    refuseDataChange(plan, prepared.train.tokens);
    plan.data = "same";
  }
  return plan;
}

/**
 * Refuses training data that differs from the data the plan's checkpoint was trained on.
 * @param plan - the resume plan
 * @param train - the tokenized training examples the resume would use
 * @returns their fingerprint
 * @throws {@link ResumeSettingsError} when the checkpoint recorded another fingerprint
 * @example
 * ```ts
 * const fingerprint = refuseDataChange(plan, prepared.train.tokens);
 * ```
 */
export function refuseDataChange(plan: ResumePlan, train: TokenizedDataset): string {
  const now = dataFingerprint(train);
  const recorded = plan.state.dataFingerprint;
  if (recorded === undefined || recorded === now) return now;
  const file = plan.config.dataset.trainFile;
  const where = file
    ? `${file}${path.isAbsolute(file) ? "" : ` (read from ${process.cwd()})`} has other contents, or is another file`
    : "the Dataset passed in code holds other examples";
  const change = {
    setting: "training data",
    checkpoint: recorded,
    now,
    reason: `the tokenized training examples differ: ${where}`,
  };
  throw new ResumeSettingsError(
    plan.store.dir,
    { name: plan.checkpoint, step: plan.state.step },
    [change],
    RESUME_MAY_CHANGE,
  );
}

const show = (v: unknown) => JSON.stringify(v);

/**
 * One line per honoured change, as recorded in logs.txt.
 * @param changes - the honoured changes
 * @returns e.g. `training.evaluation_epochs: 0.25 -> 0.5`
 */
export function describeChanges(changes: readonly SettingChange[]): string[] {
  return changes.map((c) => `${c.setting}: ${show(c.checkpoint)} -> ${show(c.now)}`);
}

/**
 * A resume plan as text: comment lines (where it continues, what changes) followed by the configuration as YAML,
 * so the whole stays a valid YAML file.
 * @param plan - the plan
 * @returns the text, ending with a newline
 * @example
 * ```ts
 * process.stdout.write(formatResumePlan(await planResume(dir)));
 * ```
 */
export function formatResumePlan(plan: ResumePlan): string {
  const s = plan.state;
  const lines = [
    `# resume ${plan.store.dir}`,
    `# from checkpoints/${plan.checkpoint}: step ${s.step} of ${plan.totalSteps} planned (epoch ${s.epoch}, next batch ${s.nextBatch}), seed ${s.seed}`,
  ];
  if (plan.checkpoint !== "last") {
    lines.push(
      `# checkpoints/last becomes this checkpoint: the steps after step ${s.step} are abandoned, their metrics dropped`,
    );
  }
  if (!plan.checked) {
    lines.push(
      "# this checkpoint predates recorded settings: config.yaml is taken as what it was trained with",
    );
  }
  const data = {
    same: `# training data: the same as the checkpoint's (${s.dataFingerprint})`,
    unrecorded: "# training data: not recorded by this checkpoint, so not checked",
    unchecked: "# training data: not checked yet (a resume checks it after loading the model)",
  };
  lines.push(data[plan.data]);
  if (plan.honoured.length) {
    lines.push("# settings changed since the checkpoint (honoured, recorded in config.yaml):");
    for (const line of describeChanges(plan.honoured)) lines.push(`#   ${line}`);
  } else lines.push("# no setting changed since the checkpoint");
  return `${lines.join("\n")}\n${configToYaml(plan.config)}`;
}
