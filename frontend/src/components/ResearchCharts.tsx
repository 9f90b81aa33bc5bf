// Bar charts of a model version drawn with SVG: out-of-fold rank IC per cross-validation
// fold (bars up or down from zero) and feature importance (horizontal bars, largest first).
import type { FeatureImportance, FoldReport } from "../contract";
import { formatNumber } from "../format";
import { barScale, formatMetric, niceTicks } from "../research";

const FOLD_WIDTH = 720;
const FOLD_HEIGHT = 260;
const FOLD_MARGIN = { top: 16, right: 16, bottom: 40, left: 64 };

/** Rank IC of each fold's out-of-fold predictions; a fold without one shows "—". */
export function FoldChart({ folds, horizon, overall }: { folds: FoldReport[]; horizon: number; overall: number | null }) {
  const plotWidth = FOLD_WIDTH - FOLD_MARGIN.left - FOLD_MARGIN.right;
  const plotHeight = FOLD_HEIGHT - FOLD_MARGIN.top - FOLD_MARGIN.bottom;
  const values = folds.map((fold) => fold.metrics.rank_ic);
  const scale = barScale([...values, overall], plotHeight, 0.15); // room for the value labels
  const y = (value: number) => FOLD_MARGIN.top + plotHeight - scale.at(value);
  const zeroY = y(0);
  const step = plotWidth / Math.max(1, folds.length);
  const barWidth = Math.min(80, step * 0.6);
  const ticks = niceTicks(scale.min, scale.max, 5).filter((tick) => tick >= scale.min && tick <= scale.max);
  return (
    <figure className="chart research-chart">
      <figcaption>
        Out-of-fold rank IC per fold, horizon {horizon} day{horizon === 1 ? "" : "s"}
        <span className="muted"> · overall {formatMetric(overall)}</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${FOLD_WIDTH} ${FOLD_HEIGHT}`}
        role="img"
        aria-label={`Rank IC of each of ${folds.length} cross-validation folds for horizon ${horizon}`}
        data-testid="fold-chart"
      >
        {ticks.map((tick) => (
          <g key={tick} className="grid">
            <line x1={FOLD_MARGIN.left} x2={FOLD_WIDTH - FOLD_MARGIN.right} y1={y(tick)} y2={y(tick)} />
            <text x={FOLD_MARGIN.left - 8} y={y(tick)} dy="0.32em" textAnchor="end">
              {formatNumber(tick, 3)}
            </text>
          </g>
        ))}
        {overall !== null && (
          <line
            className="overall-line"
            x1={FOLD_MARGIN.left}
            x2={FOLD_WIDTH - FOLD_MARGIN.right}
            y1={y(overall)}
            y2={y(overall)}
          >
            <title>overall rank IC {formatMetric(overall)}</title>
          </line>
        )}
        {folds.map((fold, index) => {
          const value = fold.metrics.rank_ic;
          const center = FOLD_MARGIN.left + step * (index + 0.5);
          const top = value === null ? zeroY : Math.min(zeroY, y(value));
          const height = value === null ? 0 : Math.abs(y(value) - zeroY);
          return (
            <g key={fold.fold}>
              <rect
                className={`fold-bar ${value !== null && value < 0 ? "negative" : "positive"}`}
                data-fold={fold.fold}
                x={center - barWidth / 2}
                y={top}
                width={barWidth}
                height={Math.max(height, value === null ? 0 : 1)}
              >
                <title>
                  Fold {fold.fold}: rank IC {formatMetric(value)} · test {fold.test.first ?? "—"} → {fold.test.last ?? "—"}
                </title>
              </rect>
              <text
                className="bar-value"
                x={center}
                y={value === null || value >= 0 ? top - 4 : top + height + 12}
                textAnchor="middle"
              >
                {formatMetric(value, 3)}
              </text>
              <text className="axis-label" x={center} y={FOLD_HEIGHT - 22} textAnchor="middle">
                fold {fold.fold}
              </text>
              <text className="axis-label" x={center} y={FOLD_HEIGHT - 8} textAnchor="middle">
                {fold.test.first ?? ""}
              </text>
            </g>
          );
        })}
        <line className="zero-line" x1={FOLD_MARGIN.left} x2={FOLD_WIDTH - FOLD_MARGIN.right} y1={zeroY} y2={zeroY} />
      </svg>
    </figure>
  );
}

const IMPORTANCE_WIDTH = 720;
const IMPORTANCE_ROW = 20;
const IMPORTANCE_MARGIN = { top: 8, right: 80, bottom: 8, left: 200 };
export const IMPORTANCE_TOP = 25;

/** Feature importance as horizontal bars, largest first (the first `IMPORTANCE_TOP`). */
export function ImportanceChart({ importance }: { importance: FeatureImportance }) {
  const items = importance.items.slice(0, IMPORTANCE_TOP);
  const plotWidth = IMPORTANCE_WIDTH - IMPORTANCE_MARGIN.left - IMPORTANCE_MARGIN.right;
  const height = IMPORTANCE_MARGIN.top + IMPORTANCE_MARGIN.bottom + IMPORTANCE_ROW * Math.max(1, items.length);
  const scale = barScale(
    items.map((item) => item.importance),
    plotWidth,
    0,
  );
  const total = importance.items.reduce((sum, item) => sum + item.importance, 0);
  const digits = importance.kind === "split" ? 0 : 2;
  return (
    <figure className="chart research-chart">
      <figcaption>
        {importance.kind === "gain" ? "Total gain" : "Number of splits"} per feature, horizon {importance.horizon}
        <span className="muted">
          {" "}
          · {items.length < importance.items.length ? `top ${items.length} of ` : ""}
          {importance.items.length} features
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${IMPORTANCE_WIDTH} ${height}`}
        role="img"
        aria-label={`Feature importance (${importance.kind}) of ${importance.version}, horizon ${importance.horizon}`}
        data-testid="importance-chart"
        data-kind={importance.kind}
      >
        {items.map((item, index) => {
          const top = IMPORTANCE_MARGIN.top + index * IMPORTANCE_ROW;
          const width = Math.max(0, scale.at(item.importance) - scale.zero);
          const share = total > 0 ? item.importance / total : 0;
          return (
            <g key={item.feature}>
              <text x={IMPORTANCE_MARGIN.left - 8} y={top + IMPORTANCE_ROW / 2} dy="0.32em" textAnchor="end">
                {item.feature}
              </text>
              <rect
                className="importance-bar"
                data-feature={item.feature}
                x={IMPORTANCE_MARGIN.left + scale.zero}
                y={top + 3}
                width={width}
                height={IMPORTANCE_ROW - 6}
              >
                <title>
                  {item.feature}: {formatNumber(item.importance, digits)} ({(share * 100).toFixed(1)}%)
                </title>
              </rect>
              <text className="bar-value" x={IMPORTANCE_MARGIN.left + scale.zero + width + 6} y={top + IMPORTANCE_ROW / 2} dy="0.32em">
                {formatNumber(item.importance, digits)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
