// Batch pricing: paste CSV rows, get one result per row (a price, or that row's error).
import { type FormEvent, useId, useState } from "react";
import { ErrorMessage } from "../../components/Feedback";
import type { BatchOption, BatchPriceResult } from "../../contract";
import { BATCH_COLUMNS, type BatchLine, parseBatchCsv } from "../../csv";
import { formatInteger, formatNumber } from "../../format";
import { usePriceBatch } from "../../queries";

const EXAMPLE = [
  BATCH_COLUMNS.join(","),
  "100,100,1,0.05,0.2,call",
  "100,100,1,0.05,0.2,put",
  "100,110,0.5,0.03,0.25,put,0.01,american,binomial",
].join("\n");

type Sent = { lines: BatchLine[]; options: BatchOption[] };

function ResultCells({ result }: { result: BatchPriceResult | undefined }) {
  if (!result) return <td colSpan={3} className="muted">not priced</td>;
  if (!result.ok) {
    return (
      <td colSpan={3} className="row-error" data-testid="batch-row-error">
        <span className="error-code">{result.error.code}</span>
        {result.error.field && (
          <>
            {" "}
            <code>{result.error.field}</code>
          </>
        )}
        : {result.error.message}
      </td>
    );
  }
  return (
    <>
      <td className="numeric mono" data-testid="batch-row-price">
        {formatNumber(result.price, 6)}
        {result.standard_error !== null && <span className="muted small"> ± {formatNumber(result.standard_error, 4)}</span>}
      </td>
      <td className="numeric mono">{formatNumber(result.greeks.delta, 4)}</td>
      <td className="numeric mono">{formatNumber(result.greeks.vega, 4)}</td>
    </>
  );
}

export function BatchPrice() {
  const [text, setText] = useState(EXAMPLE);
  const [sent, setSent] = useState<Sent | null>(null);
  const batch = usePriceBatch();
  const inputId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const lines = parseBatchCsv(text);
    const options = lines.flatMap((line) => ("option" in line ? [line.option] : []));
    setSent({ lines, options });
    if (options.length > 0) batch.mutate(options);
    else batch.reset();
  };

  // The server answers one result per sent option, in order; map them back to CSV lines.
  const results = batch.data?.results ?? [];
  let sentIndex = 0;
  const rows =
    sent?.lines.map((line) => {
      if (!("option" in line)) return { line, result: undefined, problem: line.problem };
      const result = results.find((item) => item.index === sentIndex);
      sentIndex += 1;
      return { line, result, problem: null };
    }) ?? [];

  return (
    <section className="card wide" aria-labelledby="batch-title">
      <h2 id="batch-title">Batch pricing</h2>
      <form onSubmit={submit} aria-label="Batch pricing" data-testid="batch-form">
        <div className="field">
          <label htmlFor={inputId}>
            CSV rows: <code>spot,strike,time_to_expiry,rate,volatility,option_type[,dividend_yield,exercise,model]</code>
          </label>
          <textarea
            id={inputId}
            rows={7}
            spellCheck={false}
            value={text}
            onChange={(event) => setText(event.target.value)}
            className="mono"
          />
          <small className="muted">
            A first line starting with “spot” is a header; blank lines and lines starting with # are skipped. Bounds
            are checked per row by the server, so one bad row fails alone.
          </small>
        </div>
        <button type="submit" className="button-primary" disabled={batch.isPending}>
          {batch.isPending ? "Pricing…" : "Price batch"}
        </button>
      </form>
      {batch.isError && <ErrorMessage error={batch.error} title="Batch rejected" />}
      {sent && sent.lines.length === 0 && <p className="empty">No rows to price.</p>}
      {batch.data && (
        <p className="small" aria-live="polite" data-testid="batch-summary">
          {formatInteger(batch.data.priced)} priced, {formatInteger(batch.data.failed)} failed
          {sent && sent.options.length < sent.lines.length
            ? `, ${sent.lines.length - sent.options.length} not sent (unreadable)`
            : ""}{" "}
          · {formatNumber(batch.data.computation_ms, 3)} ms in the engines
        </p>
      )}
      {rows.length > 0 && (batch.data || batch.isError || sent?.options.length === 0) && (
        <table className="table" data-testid="batch-table">
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Input</th>
              <th scope="col" className="numeric">
                Price
              </th>
              <th scope="col" className="numeric">
                Delta
              </th>
              <th scope="col" className="numeric">
                Vega
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ line, result, problem }) => (
              <tr key={line.line} data-ok={result ? String(result.ok) : "false"}>
                <td>{line.line}</td>
                <td className="mono small">{line.text}</td>
                {problem ? (
                  <td colSpan={3} className="row-error" data-testid="batch-row-error">
                    <span className="error-code">not sent</span>: {problem}
                  </td>
                ) : (
                  <ResultCells result={result} />
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
