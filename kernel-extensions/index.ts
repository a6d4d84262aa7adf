/**
 * tunebook's notebook integration (tslab): rich display of training runs, tables, charts and chat, kernel
 * interrupts as an AbortSignal, and kernel installation. Every view degrades to plain text outside a kernel.
 * Importing it inside a tslab kernel turns on the notebook defaults ({@link enableNotebookDefaults}); elsewhere
 * importing it changes nothing.
 * @packageDocumentation
 */
import { enableNotebookDefaults } from "./auto-display";

export { enableNotebookDefaults, type NotebookDefaults, type NotebookDefaultsOptions } from "./auto-display";
export {
  type ChartSeries,
  type ChartSpec,
  type LiveChart,
  renderChart,
  type ShowChartOptions,
  showChart,
} from "./chart";
export { type ChatMessage, renderChat, type StreamChatOptions, streamChat } from "./chat";
export {
  type CompareRunsOptions,
  compareRuns,
  type ExperimentRef,
  type RunComparison,
  type ShowComparisonOptions,
  showComparison,
} from "./comparison";
export {
  type PlotlyFigureInput,
  plotlyHtml,
  renderFigure,
  type ShowFigureOptions,
  showFigure,
} from "./figure";
export { formatDuration, formatNumber } from "./format";
export { escapeHtml } from "./html";
export {
  type InstalledKernel,
  type InstallKernelOptions,
  installKernel,
  type KernelInfo,
  type KernelJson,
  type ListKernelsOptions,
  listKernels,
} from "./install";
export { abortKernelSignal, kernelAbortSignal } from "./interrupt";
export { KernelInstallError } from "./kernel-install-error";
export { ensurePlotly, plotlyLoaderHtml } from "./plotly-loader";
export { ProgressBar, type ProgressBarOptions, type ProgressState, renderProgress } from "./progress-bar";
export { confusionMatrixFigure, predictionScatterFigure, type ScoreFigure } from "./score-figures";
export { type Rendering, resolveSurface, type Surface, type SurfaceOptions } from "./surface";
export {
  renderTable,
  type ShowTableOptions,
  showTable,
  type TableFrame,
  type TableInput,
  type TableRecord,
} from "./table";
export { notebookTrainingView, type TrainingView, type TrainingViewOptions } from "./training-view";
export { inKernel } from "./tslab-bridge";

enableNotebookDefaults();
