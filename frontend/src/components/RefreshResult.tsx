// The result of a data refresh job.
import type { DataRefreshResult } from "../contract";
import { formatInteger } from "../format";

export function RefreshResultSummary({ result }: { result: DataRefreshResult }) {
  return (
    <div className="result">
      <dl className="facts">
        <div>
          <dt>Imported</dt>
          <dd>{formatInteger(result.tickers_imported)}</dd>
        </div>
        <div>
          <dt>Unchanged</dt>
          <dd>{formatInteger(result.tickers_unchanged)}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{formatInteger(result.tickers_failed)}</dd>
        </div>
        <div>
          <dt>Elapsed</dt>
          <dd>{result.elapsed_seconds.toFixed(2)} s</dd>
        </div>
        <div>
          <dt>Mode</dt>
          <dd>{result.mode}</dd>
        </div>
      </dl>
      <p className="small">
        Source <code>{result.source}</code>, universe fingerprint{" "}
        <code className="fingerprint" title={result.universe_fingerprint}>
          {result.universe_fingerprint.slice(0, 16)}…
        </code>
      </p>
      {result.failed.length > 0 && (
        <table className="table compact">
          <caption>Failed sources</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Ticker</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {result.failed.map((failure) => (
              <tr key={failure.source_file}>
                <td>{failure.source_file}</td>
                <td>{failure.ticker ?? "—"}</td>
                <td>{failure.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
