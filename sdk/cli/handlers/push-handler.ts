/** `tunebook push`: an experiment or a model folder to a Hugging Face Hub repository. */
import { ConfigError } from "../../errors";
import { EXPORT_FORMATS, type ExportFormat, pushExperiment } from "../../train";
import type { CliHandlers } from "../registry";
import { onnxDtypes } from "./model-handlers";

/** `tunebook push <experiment|dir> --repo user/name [--private] [--format …] [--dtypes …] [-m …]`. */
export const pushHandler: NonNullable<CliHandlers["push"]> = async (input) => {
  const format = input.format ?? "merged";
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    const message = `'${format}' is not a format; choose one of ${EXPORT_FORMATS.join(", ")}`;
    throw new ConfigError([{ path: ["--format"], message }], { source: "tunebook push" });
  }
  const pushed = await pushExperiment({
    source: input.source,
    repo: input.repo,
    private: input.private ?? false,
    format: format as ExportFormat,
    onnxDtypes: onnxDtypes(format, input.dtypes),
    ...(input.message ? { commitMessage: input.message } : {}),
  });
  process.stdout.write(
    `pushed ${pushed.files.length} files to ${pushed.url} (commit ${pushed.commit.oid})\n`,
  );
};
