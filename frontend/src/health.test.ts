import type { UTCTimestamp } from "lightweight-charts";
import { describe, expect, it } from "vitest";
import type { DisagreementPoint, HealthPoint, IcPoint, QuickStatus, StatusComponent, Trend } from "./contract";
import {
  IN_SAMPLE_COLOR,
  OUT_OF_SAMPLE_COLOR,
  ascendingUnique,
  disagreementSeries,
  historyLine,
  icSeries,
  localChartTime,
  utcSeconds,
} from "./chartData";
import {
  STATUS_LEVEL_VIEW,
  countByStatus,
  describeThreshold,
  describeTrend,
  formatComponentValue,
  lightState,
  nextWorse,
  orderComponents,
  signedSignificant,
  sinceFor,
  statusRank,
  worstStatus,
} from "./health";

const component = (overrides: Partial<StatusComponent> & Pick<StatusComponent, "name">): StatusComponent => ({
  status: "ok",
  value: null,
  threshold: null,
  message: "",
  ...overrides,
});

const QUICK_STATUS: QuickStatus = {
  overall: "warning",
  at: "2026-03-10T12:00:00.000001+00:00",
  components: [
    component({ name: "cache", status: "warning" }),
    component({ name: "data_freshness" }),
    component({ name: "registry", status: "critical" }),
    component({ name: "disk" }),
  ],
};

describe("status levels", () => {
  it("orders ok < warning < critical and takes the worst, ok for none", () => {
    expect([statusRank("ok"), statusRank("warning"), statusRank("critical")]).toEqual([0, 1, 2]);
    expect(worstStatus(["ok", "critical", "warning"])).toBe("critical");
    expect(worstStatus(["warning", "ok"])).toBe("warning");
    expect(worstStatus([])).toBe("ok");
  });

  it("names the next worse level a component can reach, skipping the levels it has none of", () => {
    expect(nextWorse("data_freshness", "ok")).toBe("warning");
    expect(nextWorse("data_freshness", "warning")).toBe("critical");
    expect(nextWorse("data_freshness", "critical")).toBeNull();
    expect(nextWorse("registry", "ok")).toBe("critical"); // no warning level
    expect(nextWorse("cache", "ok")).toBe("warning");
    expect(nextWorse("cache", "warning")).toBeNull(); // no critical level
  });

  it("counts components per level and lists them in the contract's order", () => {
    expect(countByStatus(QUICK_STATUS.components)).toEqual({ ok: 2, warning: 1, critical: 1 });
    expect(orderComponents(QUICK_STATUS.components).map((item) => item.name)).toEqual([
      "data_freshness",
      "disk",
      "registry",
      "cache",
    ]);
  });

  it("gives every level a word and a distinct shape, not only a colour", () => {
    const icons = Object.values(STATUS_LEVEL_VIEW).map((view) => view.icon);
    expect(new Set(icons).size).toBe(3);
    expect(STATUS_LEVEL_VIEW.critical.label).toBe("Critical");
  });
});

describe("header light", () => {
  it("shows the overall level of a current answer", () => {
    expect(lightState({ data: QUICK_STATUS, isError: false, failureCount: 0 })).toBe("warning");
  });

  it("is checking before the first answer", () => {
    expect(lightState({ data: undefined, isError: false, failureCount: 0 })).toBe("checking");
  });

  it("is unknown once a request failed, even with an older answer in the cache or while retrying", () => {
    expect(lightState({ data: undefined, isError: true, failureCount: 1 })).toBe("unknown");
    expect(lightState({ data: undefined, isError: false, failureCount: 2 })).toBe("unknown");
    expect(lightState({ data: QUICK_STATUS, isError: true, failureCount: 1 })).toBe("unknown");
  });
});

describe("component values", () => {
  it("reads each value with its unit", () => {
    expect(formatComponentValue("data_freshness", 0)).toBe("0 business days");
    expect(formatComponentValue("data_freshness", 1)).toBe("1 business day");
    expect(formatComponentValue("data_freshness", 12)).toBe("12 business days");
    expect(formatComponentValue("model_age", 12.345)).toBe("12.3 days");
    expect(formatComponentValue("model_age", 1)).toBe("1 day");
    expect(formatComponentValue("ic_trend", -0.0512)).toBe("rank IC: -0.0512");
    expect(formatComponentValue("disagreement", 0.7234)).toBe("correlation: 0.723");
    expect(formatComponentValue("job_queue", 3)).toBe("3 jobs");
    expect(formatComponentValue("job_queue", 1)).toBe("1 job");
    expect(formatComponentValue("disk", 12.3456)).toBe("12.35 GiB");
    expect(formatComponentValue("registry", 1)).toBe("readable: yes");
    expect(formatComponentValue("registry", 0)).toBe("readable: no");
    expect(formatComponentValue("cache", 0.456)).toBe("hit rate: 45.6%");
  });

  it("shows a dash when there is nothing to measure", () => {
    expect(formatComponentValue("disagreement", null)).toBe("—");
    expect(formatComponentValue("disk", Number.NaN)).toBe("—");
  });

  it("says where the next worse level starts, on the side that is worse", () => {
    expect(describeThreshold(component({ name: "data_freshness", value: 0, threshold: 3 }))).toBe(
      "warning if > 3 business days",
    );
    expect(describeThreshold(component({ name: "disk", status: "warning", value: 1.2, threshold: 0.5 }))).toBe(
      "critical if < 0.5 GiB",
    );
    expect(describeThreshold(component({ name: "job_queue", value: 0, threshold: 8 }))).toBe("warning if ≥ 8 jobs");
    expect(describeThreshold(component({ name: "ic_trend", value: 0.02, threshold: 0 }))).toBe(
      "warning if rank IC < 0.0000",
    );
    expect(describeThreshold(component({ name: "cache", value: 0.5, threshold: 0.2 }))).toBe("warning if hit rate < 20.0%");
    expect(describeThreshold(component({ name: "registry", value: 1, threshold: 1 }))).toBe("critical if unreadable");
    expect(describeThreshold(component({ name: "cache", status: "warning", value: 0.1, threshold: null }))).toBe("—");
  });

  it("names a threshold without a level when the component cannot get worse", () => {
    expect(describeThreshold(component({ name: "data_freshness", status: "critical", value: 12, threshold: 10 }))).toBe(
      "threshold > 10 business days",
    );
  });
});

describe("trend", () => {
  const trend = (overrides: Partial<Trend>): Trend => ({
    slope_per_day: 0,
    direction: "flat",
    tolerance: 0.01,
    points: 10,
    ...overrides,
  });

  it("rounds a slope to three significant digits with its sign", () => {
    expect(signedSignificant(0.5)).toBe("+0.5");
    expect(signedSignificant(-0.000123456)).toBe("-0.000123");
    expect(signedSignificant(1234.5)).toBe("+1,230");
    expect(signedSignificant(0)).toBe("0");
  });

  it("reads a rising staleness as worsening, with arrow, slope and tolerance per day", () => {
    const view = describeTrend("data_freshness", trend({ slope_per_day: 0.5, direction: "up" }));
    expect(view).toEqual({
      arrow: "↑",
      direction: "up",
      outlook: "worsening",
      slope: "+0.5 business days/day",
      tolerance: "±0.01 business days/day",
    });
  });

  it("reads direction against the component's better side", () => {
    expect(describeTrend("ic_trend", trend({ slope_per_day: 0.002, direction: "up" })).outlook).toBe("improving");
    expect(describeTrend("disk", trend({ slope_per_day: -0.3, direction: "down" })).outlook).toBe("worsening");
    expect(describeTrend("job_queue", trend({ slope_per_day: -1, direction: "down" })).outlook).toBe("improving");
    const flat = describeTrend("disk", trend({ slope_per_day: 0.004, direction: "flat" }));
    expect([flat.arrow, flat.outlook]).toEqual(["→", "steady"]);
  });

  it("shows the cache's slope and tolerance in percentage points", () => {
    const view = describeTrend("cache", trend({ slope_per_day: -0.0012, direction: "down", tolerance: 0.0005 }));
    expect(view.arrow).toBe("↓");
    expect(view.slope).toBe("-0.12 percentage points/day");
    expect(view.tolerance).toBe("±0.05 percentage points/day");
  });
});

describe("time ranges and timestamps", () => {
  const now = new Date("2026-03-10T12:00:00Z");

  it("starts each range its length before now, in UTC", () => {
    expect(sinceFor("24h", now)).toBe("2026-03-09T12:00:00.000Z");
    expect(sinceFor("7d", now)).toBe("2026-03-03T12:00:00.000Z");
    expect(sinceFor("30d", now)).toBe("2026-02-08T12:00:00.000Z");
    expect(sinceFor("1y", now)).toBe("2025-03-10T12:00:00.000Z");
  });

  it("reads ISO timestamps with microseconds and offsets to whole UTC seconds", () => {
    const noon = Date.UTC(2026, 2, 10, 12, 0, 0) / 1000;
    expect(utcSeconds("2026-03-10T12:00:00.999999+00:00")).toBe(noon);
    expect(utcSeconds("2026-03-10T13:00:00+01:00")).toBe(noon);
    expect(utcSeconds("2026-03-10T12:00:01Z")).toBe(noon + 1);
    expect(utcSeconds("not a time")).toBeNull();
  });
});

describe("chart series", () => {
  const point = (at: string, value: number | null, status: HealthPoint["status"] = "ok"): HealthPoint => ({
    at,
    value,
    status,
  });
  const second = (iso: string) => utcSeconds(iso);
  const utc = (seconds: number) => seconds as UTCTimestamp;

  it("charts snapshots with a value, coloured by status, skipping nulls", () => {
    const line = historyLine(
      "disk",
      [
        point("2026-03-10T12:00:00.000001+00:00", 5.5),
        point("2026-03-10T12:05:00.000001+00:00", null, "critical"),
        point("2026-03-10T12:10:00.000001+00:00", 1.5, "warning"),
      ],
      utc,
    );
    expect(line).toEqual([
      { time: second("2026-03-10T12:00:00Z"), value: 5.5, color: STATUS_LEVEL_VIEW.ok.color },
      { time: second("2026-03-10T12:10:00Z"), value: 1.5, color: STATUS_LEVEL_VIEW.warning.color },
    ]);
  });

  it("puts snapshots on the browser's wall clock by default", () => {
    const seconds = utcSeconds("2026-03-10T12:00:00Z") ?? 0;
    const wall = new Date(seconds * 1000);
    const expected = Date.UTC(wall.getFullYear(), wall.getMonth(), wall.getDate(), wall.getHours(), wall.getMinutes()) / 1000;
    expect(localChartTime(seconds)).toBe(expected);
    expect(historyLine("disk", [point("2026-03-10T12:00:00Z", 1)])[0]?.time).toBe(expected);
    expect(localChartTime(seconds) + wall.getTimezoneOffset() * 60).toBe(seconds); // shifted by the zone's offset
  });

  it("charts the cache's hit rate in percent", () => {
    const line = historyLine("cache", [point("2026-03-10T12:00:00Z", 0.25)]);
    expect(line.map((item) => item.value)).toEqual([25]);
  });

  it("keeps one point per second (the later) in ascending time, as lightweight-charts requires", () => {
    const line = historyLine(
      "job_queue",
      [point("2026-03-10T12:10:00Z", 3), point("2026-03-10T12:00:00.100000Z", 1), point("2026-03-10T12:00:00.900000Z", 2)],
      utc,
    );
    expect(line.map((item) => [item.time, item.value])).toEqual([
      [second("2026-03-10T12:00:00Z"), 2],
      [second("2026-03-10T12:10:00Z"), 3],
    ]);
  });

  it("sorts dates and drops repeated ones", () => {
    const sorted = ascendingUnique([
      { time: "2026-01-03", value: 3 },
      { time: "2026-01-01", value: 1 },
      { time: "2026-01-03", value: 4 },
    ]);
    expect(sorted).toEqual([
      { time: "2026-01-01", value: 1 },
      { time: "2026-01-03", value: 4 },
    ]);
  });

  it("splits the IC history into daily rank IC bars (grey in sample) and rolling lines without nulls", () => {
    const ic = (overrides: Partial<IcPoint> & Pick<IcPoint, "date">): IcPoint => ({
      ic: null,
      rank_ic: null,
      names: 100,
      in_sample: false,
      rolling_ic: null,
      rolling_rank_ic: null,
      ...overrides,
    });
    const series = icSeries([
      ic({ date: "2026-01-02", rank_ic: 0.1, ic: 0.08, in_sample: true }),
      ic({ date: "2026-01-05", rank_ic: -0.02, ic: -0.01, rolling_rank_ic: -0.02, rolling_ic: -0.01 }),
      ic({ date: "2026-01-06", names: 2 }),
      ic({ date: "2026-01-07", rank_ic: 0.04, ic: 0.03, rolling_rank_ic: 0.01, rolling_ic: 0.01 }),
    ]);
    expect(series.dailyRankIc).toEqual([
      { time: "2026-01-02", value: 0.1, color: IN_SAMPLE_COLOR },
      { time: "2026-01-05", value: -0.02, color: OUT_OF_SAMPLE_COLOR },
      { time: "2026-01-07", value: 0.04, color: OUT_OF_SAMPLE_COLOR },
    ]);
    expect(series.rollingRankIc).toEqual([
      { time: "2026-01-05", value: -0.02 },
      { time: "2026-01-07", value: 0.01 },
    ]);
    expect(series.rollingIc.map((item) => item.time)).toEqual(["2026-01-05", "2026-01-07"]);
    expect([series.inSample, series.outOfSample]).toEqual([1, 2]);
  });

  it("charts the disagreement's correlation without nulls and its overlap on every date", () => {
    const agreement = (date: string, rank: number | null, overlap: number): DisagreementPoint => ({
      date,
      rank_correlation: rank,
      top_overlap: overlap,
      top_n: 20,
      names: rank === null ? 2 : 400,
      rolling_rank_correlation: rank,
    });
    const series = disagreementSeries([agreement("2026-01-06", null, 0), agreement("2026-01-05", 0.8, 0.65)]);
    expect(series.rankCorrelation).toEqual([{ time: "2026-01-05", value: 0.8 }]);
    expect(series.rollingRankCorrelation).toEqual([{ time: "2026-01-05", value: 0.8 }]);
    expect(series.topOverlap).toEqual([
      { time: "2026-01-05", value: 0.65 },
      { time: "2026-01-06", value: 0 },
    ]);
  });
});
