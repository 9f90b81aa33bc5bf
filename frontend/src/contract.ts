// Names for the contract's shapes, and runtime lists of its enums. Every type here is an
// alias of the generated `components["schemas"]`; nothing restates a shape by hand.
import type { components } from "@contract/schema";

type Schemas = components["schemas"];

export type SchemaName = keyof Schemas;

export type ErrorBody = Schemas["ErrorBody"];
export type ErrorCode = Schemas["ErrorCode"];
export type Health = Schemas["Health"];
export type LogLevel = Schemas["LogLevel"];
export type LogLevelFilter = Schemas["LogLevelFilter"];
export type LogRecord = Schemas["LogRecord"];

export type DataMode = Schemas["DataMode"];
export type UniverseEntry = Schemas["UniverseEntry"];
export type UniversePage = Schemas["UniversePage"];
export type QualityStatus = Schemas["QualityStatus"];
export type QuarantineCounts = Schemas["QuarantineCounts"];
export type TickerDetail = Schemas["TickerDetail"];
export type Bar = Schemas["Bar"];

export type JobRecord = Schemas["JobRecord"];
export type JobPage = Schemas["JobPage"];
export type JobStatus = Schemas["JobStatus"];
export type JobType = Schemas["JobType"];
export type JobEvent = Schemas["JobEvent"];
export type JobEventName = Schemas["JobEventName"];
export type JobErrorCode = Schemas["JobErrorCode"];
export type JobError = Schemas["JobError"];
export type DataRefreshResult = Schemas["DataRefreshResult"];
export type DataRefreshParams = Schemas["DataRefreshParams"];

export type FeatureMode = Schemas["FeatureMode"];
export type FeatureCatalog = Schemas["FeatureCatalog"];
export type TrainRequest = Schemas["TrainRequest"];
export type TrainParams = Schemas["TrainParams"];
export type TrainResult = Schemas["TrainResult"];
export type LightGBMParams = Schemas["LightGBMParams"];
export type CvMetrics = Schemas["CvMetrics"];
export type DateSpan = Schemas["DateSpan"];
export type FoldReport = Schemas["FoldReport"];
export type HorizonReport = Schemas["HorizonReport"];
export type ModelRole = Schemas["ModelRole"];
export type ModelSummary = Schemas["ModelSummary"];
export type ModelPage = Schemas["ModelPage"];
export type ModelLabResult = Schemas["ModelLabResult"];
export type GovernanceDecision = Schemas["GovernanceDecision"];
export type DecisionKind = GovernanceDecision["kind"];
export type FeatureImportance = Schemas["FeatureImportance"];
export type ImportanceKind = FeatureImportance["kind"];
export type SignalsRequest = Schemas["SignalsRequest"];
export type PredictParams = Schemas["PredictParams"];
export type PredictResult = Schemas["PredictResult"];
export type SignalSet = Schemas["SignalSet"];
export type SignalRow = Schemas["SignalRow"];
export type FailedTicker = Schemas["FailedTicker"];
export type FailedTickerReason = Schemas["FailedTickerReason"];

export type AutopilotParams = Schemas["AutopilotParams"];
export type AutopilotResult = Schemas["AutopilotResult"];
export type AutopilotMode = Schemas["AutopilotMode"];
export type AutopilotStepName = Schemas["AutopilotStepName"];
export type AutopilotStepStatus = Schemas["AutopilotStepStatus"];
export type AutopilotStep = Schemas["AutopilotStep"];
export type AutopilotCycle = Schemas["AutopilotCycle"];
export type AutopilotConfig = Schemas["AutopilotConfig"];
export type AutopilotConfigUpdate = Schemas["AutopilotConfigUpdate"];
export type AutopilotRunRequest = Schemas["AutopilotRunRequest"];
export type AutopilotState = Schemas["AutopilotState"];
export type TradingConfig = Schemas["TradingConfig"];
export type PaperAccount = Schemas["PaperAccount"];
export type PaperPosition = Schemas["PaperPosition"];
export type PaperOrder = Schemas["PaperOrder"];
export type PaperOrderPage = Schemas["PaperOrderPage"];
export type PaperOrderStatus = Schemas["PaperOrderStatus"];
export type PaperMark = Schemas["PaperMark"];
export type PaperEquity = Schemas["PaperEquity"];
export type BacktestRequest = Schemas["BacktestRequest"];
export type BacktestParams = Schemas["BacktestParams"];
export type BacktestResult = Schemas["BacktestResult"];
export type BacktestSummary = Schemas["BacktestSummary"];
export type BacktestPage = Schemas["BacktestPage"];
export type BacktestEquity = Schemas["BacktestEquity"];
export type EquityPoint = Schemas["EquityPoint"];
export type BacktestTrade = Schemas["BacktestTrade"];
export type BacktestTradePage = Schemas["BacktestTradePage"];
export type ExitReason = BacktestTrade["exit_reason"];
export type PerformanceMetrics = Schemas["PerformanceMetrics"];
export type BenchmarkComparison = Schemas["BenchmarkComparison"];
export type WalkForwardSettings = Schemas["WalkForwardSettings"];
export type RiskSettings = Schemas["RiskSettings"];
export type DashboardKPIs = Schemas["DashboardKPIs"];
export type BenchmarkSeries = Schemas["BenchmarkSeries"];

export type AbArmRequest = Schemas["AbArmRequest"];
export type AbTestRequest = Schemas["AbTestRequest"];
export type AbTestStatus = Schemas["AbTestStatus"];
export type AbArm = Schemas["AbArm"];
export type AbTest = Schemas["AbTest"];
export type AbTestList = Schemas["AbTestList"];
export type AbArmDay = Schemas["AbArmDay"];
export type AbArmResult = Schemas["AbArmResult"];
export type AbStatistics = Schemas["AbStatistics"];
export type AbTestDetail = Schemas["AbTestDetail"];

export type StatusLevel = Schemas["StatusLevel"];
export type StatusComponentName = Schemas["StatusComponentName"];
export type StatusComponent = Schemas["StatusComponent"];
export type QuickStatus = Schemas["QuickStatus"];
export type ModelAge = Schemas["ModelAge"];
export type HealthPoint = Schemas["HealthPoint"];
export type HealthHistory = Schemas["HealthHistory"];
export type Trend = Schemas["Trend"];
export type TrendDirection = Schemas["TrendDirection"];
export type IcPoint = Schemas["IcPoint"];
export type IcHistory = Schemas["IcHistory"];
export type DisagreementPoint = Schemas["DisagreementPoint"];
export type DisagreementHistory = Schemas["DisagreementHistory"];

export type OptionType = Schemas["OptionType"];
export type ExerciseStyle = Schemas["ExerciseStyle"];
export type OptionPriceRequest = Schemas["OptionPriceRequest"];
export type OptionPrice = Schemas["OptionPrice"];
export type Greeks = Schemas["Greeks"];
export type PricingParameters = Schemas["PricingParameters"];
export type PricingModelInfo = Schemas["PricingModelInfo"];
export type PricingModelName = Schemas["PricingModelName"];
export type ImpliedVolatilityRequest = Schemas["ImpliedVolatilityRequest"];
export type ImpliedVolatility = Schemas["ImpliedVolatility"];
export type BatchOption = Schemas["BatchOption"];
export type OptionBatchResult = Schemas["OptionBatchResult"];
export type BatchPriceResult = Schemas["BatchPriceResult"];

/**
 * Compile-time proof that a runtime list names every member of the union `All`.
 * `AssertNever<Exclude<All, Listed>>` only type-checks when nothing is left over, so a
 * member added to (or renamed in) the contract fails `tsc` until the list handles it.
 */
type AssertNever<T extends never> = T;

/** Every SSE event name of `streamJobEvents`; the hook listens for each one. */
export const JOB_EVENT_NAMES = [
  "status",
  "started",
  "progress",
  "completed",
  "failed",
  "cancelled",
  "done",
] as const satisfies readonly JobEventName[];
export type EveryJobEventNameListed = AssertNever<
  Exclude<JobEventName, (typeof JOB_EVENT_NAMES)[number]>
>;

export const JOB_STATUSES = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
] as const satisfies readonly JobStatus[];
export type EveryJobStatusListed = AssertNever<Exclude<JobStatus, (typeof JOB_STATUSES)[number]>>;

export const JOB_TYPES = ["data_refresh", "train", "predict", "backtest", "autopilot"] as const satisfies readonly JobType[];
export type EveryJobTypeListed = AssertNever<Exclude<JobType, (typeof JOB_TYPES)[number]>>;

export const QUALITY_STATUSES = ["ok", "warnings", "failed"] as const satisfies readonly QualityStatus[];
export type EveryQualityStatusListed = AssertNever<
  Exclude<QualityStatus, (typeof QUALITY_STATUSES)[number]>
>;

export const LOG_LEVEL_FILTERS = [
  "debug",
  "info",
  "warning",
  "error",
] as const satisfies readonly LogLevelFilter[];
export type EveryLogLevelFilterListed = AssertNever<
  Exclude<LogLevelFilter, (typeof LOG_LEVEL_FILTERS)[number]>
>;

export const OPTION_TYPES = ["call", "put"] as const satisfies readonly OptionType[];
export type EveryOptionTypeListed = AssertNever<Exclude<OptionType, (typeof OPTION_TYPES)[number]>>;

export const EXERCISE_STYLES = ["european", "american"] as const satisfies readonly ExerciseStyle[];
export type EveryExerciseStyleListed = AssertNever<
  Exclude<ExerciseStyle, (typeof EXERCISE_STYLES)[number]>
>;

export const FEATURE_MODES = ["core", "full"] as const satisfies readonly FeatureMode[];
export type EveryFeatureModeListed = AssertNever<Exclude<FeatureMode, (typeof FEATURE_MODES)[number]>>;

export const MODEL_ROLES = ["champion", "challenger", "retired"] as const satisfies readonly ModelRole[];
export type EveryModelRoleListed = AssertNever<Exclude<ModelRole, (typeof MODEL_ROLES)[number]>>;

export const IMPORTANCE_KINDS = ["gain", "split"] as const satisfies readonly ImportanceKind[];
export type EveryImportanceKindListed = AssertNever<Exclude<ImportanceKind, (typeof IMPORTANCE_KINDS)[number]>>;

export const DECISION_KINDS = ["automatic", "manual"] as const satisfies readonly DecisionKind[];
export type EveryDecisionKindListed = AssertNever<Exclude<DecisionKind, (typeof DECISION_KINDS)[number]>>;

export const FAILED_TICKER_REASONS = [
  "INSUFFICIENT_HISTORY",
  "MISSING_FEATURES",
  "STALE_DATA",
  "UNKNOWN_TICKER",
] as const satisfies readonly FailedTickerReason[];
export type EveryFailedTickerReasonListed = AssertNever<
  Exclude<FailedTickerReason, (typeof FAILED_TICKER_REASONS)[number]>
>;

export const AUTOPILOT_MODES = ["live", "replay"] as const satisfies readonly AutopilotMode[];
export type EveryAutopilotModeListed = AssertNever<Exclude<AutopilotMode, (typeof AUTOPILOT_MODES)[number]>>;

/** The six steps of an autopilot cycle, in the order a cycle runs them. */
export const AUTOPILOT_STEP_NAMES = [
  "data_refresh",
  "train",
  "governance",
  "signals",
  "paper",
  "tracking",
] as const satisfies readonly AutopilotStepName[];
export type EveryAutopilotStepNameListed = AssertNever<
  Exclude<AutopilotStepName, (typeof AUTOPILOT_STEP_NAMES)[number]>
>;

/** Status levels from best to worst; the order is the one `overall` is the worst of. */
export const STATUS_LEVELS = ["ok", "warning", "critical"] as const satisfies readonly StatusLevel[];
export type EveryStatusLevelListed = AssertNever<Exclude<StatusLevel, (typeof STATUS_LEVELS)[number]>>;

/** The quick status's components, in the contract's order (the Health page's order). */
export const STATUS_COMPONENT_NAMES = [
  "data_freshness",
  "model_age",
  "ic_trend",
  "disagreement",
  "job_queue",
  "disk",
  "registry",
  "cache",
] as const satisfies readonly StatusComponentName[];
export type EveryStatusComponentNameListed = AssertNever<
  Exclude<StatusComponentName, (typeof STATUS_COMPONENT_NAMES)[number]>
>;

/** Why a backtest trade was closed; a `Record` so a reason added to the contract fails `tsc`. */
export const EXIT_REASON_VIEW: Record<ExitReason, { label: string }> = {
  holding_period: { label: "Holding period" },
  stop_loss: { label: "Stop-loss" },
  delisted: { label: "Delisted" },
  end_of_backtest: { label: "End of backtest" },
};

/** The LightGBM settings a train request can carry, in form order. */
export const LIGHTGBM_FIELDS = [
  "num_leaves",
  "learning_rate",
  "n_estimators",
  "min_data_in_leaf",
  "feature_fraction",
] as const satisfies readonly (keyof LightGBMParams)[];
export type EveryLightGBMFieldListed = AssertNever<
  Exclude<keyof LightGBMParams, (typeof LIGHTGBM_FIELDS)[number]>
>;

/** How each job type renders; a `Record` so a type added to the contract fails `tsc`. */
export const JOB_TYPE_VIEW: Record<JobType, { label: string }> = {
  data_refresh: { label: "Data refresh" },
  train: { label: "Train" },
  predict: { label: "Predict" },
  backtest: { label: "Backtest" },
  autopilot: { label: "Autopilot" },
};

/** Reasons a row is quarantined, in the contract's precedence order. */
export const QUARANTINE_REASONS = [
  "unparseable_date",
  "missing_value",
  "non_positive_price",
  "negative_volume",
  "inconsistent_ohlc",
  "duplicate_date",
] as const satisfies readonly (keyof QuarantineCounts)[];
export type EveryQuarantineReasonListed = AssertNever<
  Exclude<keyof QuarantineCounts, (typeof QUARANTINE_REASONS)[number]>
>;

/** How each job status renders; a `Record` so a renamed or added status fails `tsc`. */
export const JOB_STATUS_VIEW: Record<JobStatus, { label: string; terminal: boolean; cancellable: boolean }> = {
  queued: { label: "Queued", terminal: false, cancellable: true },
  running: { label: "Running", terminal: false, cancellable: true },
  succeeded: { label: "Succeeded", terminal: true, cancellable: false },
  failed: { label: "Failed", terminal: true, cancellable: false },
  cancelled: { label: "Cancelled", terminal: true, cancellable: false },
};

export function isTerminal(status: JobStatus): boolean {
  return JOB_STATUS_VIEW[status].terminal;
}

export function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}
