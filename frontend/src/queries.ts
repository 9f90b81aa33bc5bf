// TanStack Query bindings of the API: one query key family per resource, one hook per
// operation. All requests go through the single typed client in api.ts.
import {
  QueryClient,
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { ApiError, api, call } from "./api";
import { cycleActive } from "./autopilot";
import { type HistoryRange, sinceFor } from "./health";
import type {
  AbTestRequest,
  AutopilotConfigUpdate,
  AutopilotRunRequest,
  BacktestRequest,
  BatchOption,
  FeatureMode,
  ImportanceKind,
  ImpliedVolatilityRequest,
  JobPage,
  JobRecord,
  JobStatus,
  JobType,
  LogLevelFilter,
  OptionPriceRequest,
  QualityStatus,
  SignalsRequest,
  StatusComponentName,
  TrainRequest,
} from "./contract";

/** While the data store is importing, data endpoints answer 503; keep asking this long. */
const UNAVAILABLE_RETRY_MS = 2_000;
const UNAVAILABLE_MAX_RETRIES = 30;

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // Retry only what can heal by itself: a degraded subsystem or an unreachable server.
        retry: (failures, error) =>
          error instanceof ApiError && (error.status === 503 || error.status === 0)
            ? failures < UNAVAILABLE_MAX_RETRIES
            : false,
        retryDelay: UNAVAILABLE_RETRY_MS,
      },
      mutations: { retry: false },
    },
  });
}

export const keys = {
  health: ["health"] as const,
  data: ["data"] as const,
  dataMode: ["data", "mode"] as const,
  universe: (filter: UniverseFilter) => ["data", "universe", filter] as const,
  ticker: (ticker: string) => ["data", "ticker", ticker] as const,
  bars: (ticker: string, range: DateRange) => ["data", "bars", ticker, range] as const,
  quality: (status: QualityStatus | undefined) => ["data", "quality", status ?? "all"] as const,
  jobs: ["jobs"] as const,
  jobLists: ["jobs", "list"] as const,
  jobList: (filter: JobFilter) => ["jobs", "list", filter] as const,
  job: (jobId: string) => ["jobs", "detail", jobId] as const,
  pricingModels: ["pricing", "models"] as const,
  features: (mode: FeatureMode) => ["features", mode] as const,
  models: ["models"] as const,
  modelLists: ["models", "list"] as const,
  modelList: (filter: ModelFilter) => ["models", "list", filter] as const,
  model: (version: string) => ["models", "detail", version] as const,
  importance: (version: string, horizon: number | undefined, kind: ImportanceKind) =>
    ["models", "importance", version, horizon ?? "first", kind] as const,
  signals: ["signals"] as const,
  signalSet: (filter: SignalFilter) => ["signals", filter] as const,
  logs: (filter: LogFilter) => ["logs", filter] as const,
  backtests: ["backtests"] as const,
  backtestLists: ["backtests", "list"] as const,
  backtestList: (filter: BacktestFilter) => ["backtests", "list", filter] as const,
  backtest: (backtestId: string) => ["backtests", "detail", backtestId] as const,
  backtestEquity: (backtestId: string) => ["backtests", "equity", backtestId] as const,
  backtestTrades: (backtestId: string, filter: TradeFilter) => ["backtests", "trades", backtestId, filter] as const,
  abTests: ["abtests"] as const,
  abTestList: ["abtests", "list"] as const,
  abTest: (testId: string) => ["abtests", "detail", testId] as const,
  dashboard: ["dashboard"] as const,
  status: ["status"] as const,
  quickStatus: ["status", "quick"] as const,
  modelAge: ["status", "model-age"] as const,
  healthHistory: (filter: HealthHistoryFilter) => ["status", "history", filter] as const,
  tracking: ["tracking"] as const,
  icHistory: ["tracking", "ic"] as const,
  disagreement: ["tracking", "disagreement"] as const,
  autopilot: ["autopilot"] as const,
  paper: ["paper"] as const,
  paperAccount: ["paper", "account"] as const,
  paperPositions: ["paper", "positions"] as const,
  paperOrders: (limit: number) => ["paper", "orders", limit] as const,
  paperEquity: ["paper", "equity"] as const,
};

// ---------------------------------------------------------------- system
export function useHealth(refetchInterval?: number) {
  return useQuery({
    queryKey: keys.health,
    queryFn: () => call(api.GET("/api/v1/health")),
    refetchInterval,
  });
}

export type LogFilter = { level: LogLevelFilter; limit: number };

export function useLogs(filter: LogFilter) {
  return useQuery({
    queryKey: keys.logs(filter),
    queryFn: () => call(api.GET("/api/v1/logs", { params: { query: filter } })),
    placeholderData: keepPreviousData,
  });
}

// ---------------------------------------------------------------- data
export type UniverseFilter = { status?: QualityStatus; limit: number; cursor?: string };
export type DateRange = { start?: string; end?: string };

export function useDataMode() {
  return useQuery({
    queryKey: keys.dataMode,
    queryFn: () => call(api.GET("/api/v1/data/mode")),
  });
}

export function useUniverse(filter: UniverseFilter) {
  return useQuery({
    queryKey: keys.universe(filter),
    queryFn: () => call(api.GET("/api/v1/data/universe", { params: { query: filter } })),
    placeholderData: keepPreviousData,
  });
}

export function useTicker(ticker: string) {
  return useQuery({
    queryKey: keys.ticker(ticker),
    queryFn: () => call(api.GET("/api/v1/data/tickers/{ticker}", { params: { path: { ticker } } })),
  });
}

export function useBars(ticker: string, range: DateRange, enabled: boolean) {
  return useQuery({
    queryKey: keys.bars(ticker, range),
    queryFn: () =>
      call(
        api.GET("/api/v1/data/tickers/{ticker}/bars", {
          params: { path: { ticker }, query: range },
        }),
      ),
    enabled,
    placeholderData: keepPreviousData,
  });
}

export function useQuality(status: QualityStatus | undefined) {
  return useQuery({
    queryKey: keys.quality(status),
    queryFn: () =>
      call(api.GET("/api/v1/data/quality", { params: { query: status ? { status } : {} } })),
  });
}

/** Start a data refresh job; the returned record seeds the job's cache entry. */
export function useRefreshData() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (force: boolean) => call(api.POST("/api/v1/data/refresh", { body: { force } })),
    onSuccess: (job) => {
      queryClient.setQueryData(keys.job(job.job_id), job);
      void queryClient.invalidateQueries({ queryKey: keys.jobLists });
      void queryClient.invalidateQueries({ queryKey: keys.health });
    },
  });
}

// ---------------------------------------------------------------- jobs
export type JobFilter = { status?: JobStatus; job_type?: JobType; limit: number; cursor?: string };

export function useJobs(filter: JobFilter) {
  return useQuery({
    queryKey: keys.jobList(filter),
    queryFn: () => call(api.GET("/api/v1/jobs", { params: { query: filter } })),
    placeholderData: keepPreviousData,
  });
}

export function useJob(jobId: string) {
  return useQuery({
    queryKey: keys.job(jobId),
    queryFn: () => call(api.GET("/api/v1/jobs/{job_id}", { params: { path: { job_id: jobId } } })),
  });
}

/** Replace one job in the detail cache and in every cached list page. */
export function putJob(queryClient: QueryClient, job: JobRecord): void {
  queryClient.setQueryData(keys.job(job.job_id), job);
  queryClient.setQueriesData<JobPage>({ queryKey: keys.jobLists }, (page) =>
    page && { ...page, items: page.items.map((item) => (item.job_id === job.job_id ? job : item)) },
  );
}

export function useCancelJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (jobId: string) =>
      call(api.POST("/api/v1/jobs/{job_id}/cancel", { params: { path: { job_id: jobId } } })),
    onSuccess: (job) => {
      putJob(queryClient, job);
      void queryClient.invalidateQueries({ queryKey: keys.health });
    },
  });
}

// ---------------------------------------------------------------- pricing
export function usePricingModels() {
  return useQuery({
    queryKey: keys.pricingModels,
    queryFn: () => call(api.GET("/api/v1/pricing/models")),
    staleTime: Infinity,
  });
}

export function usePriceOption() {
  return useMutation({
    mutationFn: (request: OptionPriceRequest) => call(api.POST("/api/v1/pricing/price", { body: request })),
  });
}

export function useImpliedVolatility() {
  return useMutation({
    mutationFn: (request: ImpliedVolatilityRequest) =>
      call(api.POST("/api/v1/pricing/implied-volatility", { body: request })),
  });
}

export function usePriceBatch() {
  return useMutation({
    mutationFn: (options: BatchOption[]) => call(api.POST("/api/v1/pricing/batch", { body: { options } })),
  });
}

// ---------------------------------------------------------------- research: models
export type ModelFilter = { limit: number; cursor?: string };

export function useFeatures(mode: FeatureMode) {
  return useQuery({
    queryKey: keys.features(mode),
    queryFn: () => call(api.GET("/api/v1/features", { params: { query: { feature_mode: mode } } })),
    staleTime: Infinity,
  });
}

export function useModels(filter: ModelFilter) {
  return useQuery({
    queryKey: keys.modelList(filter),
    queryFn: () => call(api.GET("/api/v1/models", { params: { query: filter } })),
    placeholderData: keepPreviousData,
  });
}

export function useModel(version: string) {
  return useQuery({
    queryKey: keys.model(version),
    queryFn: () => call(api.GET("/api/v1/models/{version}", { params: { path: { version } } })),
  });
}

export function useFeatureImportance(version: string, horizon: number | undefined, kind: ImportanceKind) {
  return useQuery({
    queryKey: keys.importance(version, horizon, kind),
    queryFn: () =>
      call(
        api.GET("/api/v1/models/{version}/importance", {
          params: { path: { version }, query: { kind, ...(horizon !== undefined ? { horizon } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

/** Start a train job; the returned record seeds the job's cache entry. */
export function useTrainModel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: TrainRequest) => call(api.POST("/api/v1/models/train", { body: request })),
    onSuccess: (job) => {
      queryClient.setQueryData(keys.job(job.job_id), job);
      void queryClient.invalidateQueries({ queryKey: keys.jobLists });
    },
  });
}

/** Make a version the champion; every cached view of the registry is refetched. */
export function usePromoteModel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (version: string) =>
      call(api.POST("/api/v1/models/{version}/promote", { params: { path: { version } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.models });
      void queryClient.invalidateQueries({ queryKey: keys.status });
      void queryClient.invalidateQueries({ queryKey: keys.tracking });
    },
  });
}

// ---------------------------------------------------------------- research: signals
export type SignalFilter = { version?: string; horizon?: number; as_of?: string };

/** Start a predict job; the returned record seeds the job's cache entry. */
export function useGenerateSignals() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: SignalsRequest) => call(api.POST("/api/v1/signals/generate", { body: request })),
    onSuccess: (job) => {
      queryClient.setQueryData(keys.job(job.job_id), job);
      void queryClient.invalidateQueries({ queryKey: keys.jobLists });
    },
  });
}

export function useSignals(filter: SignalFilter, enabled: boolean) {
  return useQuery({
    queryKey: keys.signalSet(filter),
    queryFn: () => call(api.GET("/api/v1/signals", { params: { query: filter } })),
    enabled,
  });
}

// ---------------------------------------------------------------- research: backtests
export type BacktestFilter = { limit: number; cursor?: string };
export type TradeFilter = { limit: number; cursor?: string };

/** Start a backtest job; the returned record seeds the job's cache entry. */
export function useRunBacktest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: BacktestRequest) => call(api.POST("/api/v1/backtests", { body: request })),
    onSuccess: (job) => {
      queryClient.setQueryData(keys.job(job.job_id), job);
      void queryClient.invalidateQueries({ queryKey: keys.jobLists });
    },
  });
}

export function useBacktests(filter: BacktestFilter) {
  return useQuery({
    queryKey: keys.backtestList(filter),
    queryFn: () => call(api.GET("/api/v1/backtests", { params: { query: filter } })),
    placeholderData: keepPreviousData,
  });
}

export function useBacktest(backtestId: string) {
  return useQuery({
    queryKey: keys.backtest(backtestId),
    queryFn: () =>
      call(api.GET("/api/v1/backtests/{backtest_id}", { params: { path: { backtest_id: backtestId } } })),
    staleTime: Infinity, // a stored backtest never changes
  });
}

export function useBacktestEquity(backtestId: string) {
  return useQuery({
    queryKey: keys.backtestEquity(backtestId),
    queryFn: () =>
      call(api.GET("/api/v1/backtests/{backtest_id}/equity", { params: { path: { backtest_id: backtestId } } })),
    staleTime: Infinity,
  });
}

export function useBacktestTrades(backtestId: string, filter: TradeFilter) {
  return useQuery({
    queryKey: keys.backtestTrades(backtestId, filter),
    queryFn: () =>
      call(
        api.GET("/api/v1/backtests/{backtest_id}/trades", {
          params: { path: { backtest_id: backtestId }, query: filter },
        }),
      ),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
  });
}

/** Delete a backtest's artifacts (scope admin); lists and the dashboard are refetched. */
export function useDeleteBacktest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (backtestId: string) =>
      call(api.DELETE("/api/v1/backtests/{backtest_id}", { params: { path: { backtest_id: backtestId } } })),
    onSuccess: (deleted) => {
      queryClient.removeQueries({ queryKey: keys.backtest(deleted.backtest_id) });
      void queryClient.invalidateQueries({ queryKey: keys.backtestLists });
      void queryClient.invalidateQueries({ queryKey: keys.dashboard });
    },
  });
}

// ---------------------------------------------------------------- research: A/B tests
/** listAbTests: every test, newest first. */
export function useAbTests() {
  return useQuery({
    queryKey: keys.abTestList,
    queryFn: () => call(api.GET("/api/v1/ab-tests")),
  });
}

/** getAbTest: the test, its assignment and its evaluation so far. */
export function useAbTest(testId: string) {
  return useQuery({
    queryKey: keys.abTest(testId),
    queryFn: () => call(api.GET("/api/v1/ab-tests/{test_id}", { params: { path: { test_id: testId } } })),
  });
}

/** createAbTest (scope admin); the list is refetched. */
export function useCreateAbTest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: AbTestRequest) => call(api.POST("/api/v1/ab-tests", { body: request })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.abTestList });
    },
  });
}

/** stopAbTest (scope admin; 409 CONFLICT when already stopped); list and detail are refetched. */
export function useStopAbTest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (testId: string) =>
      call(api.POST("/api/v1/ab-tests/{test_id}/stop", { params: { path: { test_id: testId } } })),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: keys.abTests });
    },
  });
}

// ---------------------------------------------------------------- dashboard
export function useDashboard(refetchInterval?: number) {
  return useQuery({
    queryKey: keys.dashboard,
    queryFn: () => call(api.GET("/api/v1/dashboard")),
    refetchInterval,
  });
}

// ---------------------------------------------------------------- health and tracking
/** How often the quick status is asked for, by the header light and the Health page alike. */
export const STATUS_REFRESH_MS = 20_000;

/** getQuickStatus; one cache entry shared by every view of the status. */
export function useQuickStatus() {
  return useQuery({
    queryKey: keys.quickStatus,
    queryFn: () => call(api.GET("/api/v1/health/status")),
    refetchInterval: STATUS_REFRESH_MS,
  });
}

/** getModelAge; 404 NOT_FOUND while there is no champion. */
export function useModelAge(refetchInterval?: number) {
  return useQuery({
    queryKey: keys.modelAge,
    queryFn: () => call(api.GET("/api/v1/health/model-age")),
    refetchInterval,
  });
}

/** One component's snapshots over a range ending now; `limit` caps the newest kept. */
export type HealthHistoryFilter = { component: StatusComponentName; range: HistoryRange; limit?: number };

/** getHealthHistory; `since` is taken at each fetch, so a refetch slides the range to now. */
export function useHealthHistory(filter: HealthHistoryFilter, refetchInterval?: number) {
  return useQuery({
    queryKey: keys.healthHistory(filter),
    queryFn: () =>
      call(
        api.GET("/api/v1/health/history", {
          params: {
            query: {
              component: filter.component,
              since: sinceFor(filter.range, new Date()),
              ...(filter.limit !== undefined ? { limit: filter.limit } : {}),
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval,
  });
}

/** getIcHistory of the champion's first horizon (the contract's defaults). */
export function useIcHistory() {
  return useQuery({
    queryKey: keys.icHistory,
    queryFn: () => call(api.GET("/api/v1/tracking/ic")),
  });
}

/** getDisagreement of the champion and the newest challenger; 404 when there is none. */
export function useDisagreement() {
  return useQuery({
    queryKey: keys.disagreement,
    queryFn: () => call(api.GET("/api/v1/tracking/disagreement")),
  });
}

// ---------------------------------------------------------------- autopilot and paper account
/** How often the autopilot's state is asked for while a cycle is queued or running. */
export const AUTOPILOT_ACTIVE_REFRESH_MS = 3_000;
/** …and while none is (the scheduler may start one; the clock moves with new data). */
export const AUTOPILOT_IDLE_REFRESH_MS = 30_000;

/** getAutopilotState; polled every few seconds while a cycle runs (its steps change). */
export function useAutopilotState() {
  return useQuery({
    queryKey: keys.autopilot,
    queryFn: () => call(api.GET("/api/v1/autopilot")),
    refetchInterval: (query) =>
      cycleActive(query.state.data) ? AUTOPILOT_ACTIVE_REFRESH_MS : AUTOPILOT_IDLE_REFRESH_MS,
  });
}

/**
 * runAutopilot (scope admin): queues one cycle; 409 CONFLICT while one is queued or running.
 * The returned record seeds the job's cache entry; the state is refetched either way.
 */
export function useRunAutopilot() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: AutopilotRunRequest) => call(api.POST("/api/v1/autopilot/run", { body: request })),
    onSuccess: (job) => {
      queryClient.setQueryData(keys.job(job.job_id), job);
      void queryClient.invalidateQueries({ queryKey: keys.jobLists });
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: keys.autopilot });
    },
  });
}

/** updateAutopilotConfig (scope admin): the answer is the new state, written to the cache. */
export function useUpdateAutopilotConfig() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (update: AutopilotConfigUpdate) => call(api.PUT("/api/v1/autopilot/config", { body: update })),
    onSuccess: (state) => {
      queryClient.setQueryData(keys.autopilot, state);
    },
  });
}

/** getPaperAccount; 404 NOT_FOUND before the first cycle opened it. */
export function usePaperAccount() {
  return useQuery({
    queryKey: keys.paperAccount,
    queryFn: () => call(api.GET("/api/v1/paper/account")),
  });
}

export function usePaperPositions() {
  return useQuery({
    queryKey: keys.paperPositions,
    queryFn: () => call(api.GET("/api/v1/paper/positions")),
  });
}

/** listPaperOrders, newest signal date first, page after page ("Load more"). */
export function usePaperOrders(limit: number) {
  return useInfiniteQuery({
    queryKey: keys.paperOrders(limit),
    queryFn: ({ pageParam }) =>
      call(api.GET("/api/v1/paper/orders", { params: { query: { limit, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function usePaperEquity() {
  return useQuery({
    queryKey: keys.paperEquity,
    queryFn: () => call(api.GET("/api/v1/paper/equity")),
  });
}

/** resetPaperAccount (scope admin; 409 while a cycle runs); the account is refetched either way. */
export function useResetPaperAccount() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.POST("/api/v1/paper/reset", { body: { confirm: true } })),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: keys.paper });
      void queryClient.invalidateQueries({ queryKey: keys.autopilot });
    },
  });
}
