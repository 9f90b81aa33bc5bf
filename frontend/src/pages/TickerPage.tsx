// One ticker: price-and-volume chart over a chosen date range, and its quality details.
import { type FormEvent, useEffect, useId, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { QualityBadge } from "../components/Badges";
import { Empty, ErrorMessage, Loading } from "../components/Feedback";
import { PriceVolumeChart } from "../components/PriceVolumeChart";
import { QUARANTINE_REASONS, type TickerDetail } from "../contract";
import { formatInteger, humanize, isoDaysBefore } from "../format";
import { useBars, useTicker } from "../queries";

/** Range presets in calendar days before the ticker's last date (null: everything). */
const PRESETS: { label: string; days: number | null }[] = [
  { label: "3M", days: 91 },
  { label: "6M", days: 182 },
  { label: "1Y", days: 365 },
  { label: "2Y", days: 730 },
  { label: "All", days: null },
];
const DEFAULT_DAYS = 365;

function RangeForm({ detail, start, end, onApply }: {
  detail: TickerDetail;
  start: string;
  end: string;
  onApply: (start: string, end: string) => void;
}) {
  const [draftStart, setDraftStart] = useState(start);
  const [draftEnd, setDraftEnd] = useState(end);
  const [problem, setProblem] = useState<string | null>(null);
  const startId = useId();
  const endId = useId();
  useEffect(() => {
    setDraftStart(start);
    setDraftEnd(end);
  }, [start, end]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!draftStart || !draftEnd) return setProblem("Choose both dates.");
    if (draftStart > draftEnd) return setProblem("The start date must not be after the end date.");
    setProblem(null);
    onApply(draftStart, draftEnd);
  };
  const preset = (days: number | null) => {
    const from = days === null ? detail.first_date : isoDaysBefore(detail.last_date, days, detail.first_date);
    setProblem(null);
    onApply(from, detail.last_date);
  };

  return (
    <form className="row controls" onSubmit={submit} aria-label="Date range">
      <label htmlFor={startId}>From</label>
      <input
        id={startId}
        type="date"
        value={draftStart}
        min={detail.first_date}
        max={detail.last_date}
        onChange={(event) => setDraftStart(event.target.value)}
      />
      <label htmlFor={endId}>To</label>
      <input
        id={endId}
        type="date"
        value={draftEnd}
        min={detail.first_date}
        max={detail.last_date}
        onChange={(event) => setDraftEnd(event.target.value)}
      />
      <button type="submit">Show</button>
      <span className="button-group" role="group" aria-label="Range presets">
        {PRESETS.map((item) => (
          <button key={item.label} type="button" onClick={() => preset(item.days)}>
            {item.label}
          </button>
        ))}
      </span>
      {problem && (
        <span className="field-error" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}

function QualityDetails({ detail }: { detail: TickerDetail }) {
  const quality = detail.quality;
  return (
    <section className="card wide" aria-labelledby="ticker-quality-title">
      <h2 id="ticker-quality-title">
        Quality <QualityBadge status={quality.status} />
      </h2>
      <dl className="facts">
        <div>
          <dt>Source file</dt>
          <dd>
            <code>{quality.source_file}</code>
          </dd>
        </div>
        <div>
          <dt>Rows read</dt>
          <dd>{formatInteger(quality.rows_read)}</dd>
        </div>
        <div>
          <dt>Rows stored</dt>
          <dd>{formatInteger(quality.rows_stored)}</dd>
        </div>
        <div>
          <dt>Rows quarantined</dt>
          <dd>{formatInteger(quality.rows_quarantined)}</dd>
        </div>
        <div>
          <dt>Gaps</dt>
          <dd>{quality.gaps.length}</dd>
        </div>
      </dl>
      {quality.message && <p className="error-box">{quality.message}</p>}
      <div className="two-columns">
        <table className="table compact">
          <caption>Quarantined rows by reason</caption>
          <thead>
            <tr>
              <th scope="col">Reason</th>
              <th scope="col" className="numeric">
                Rows
              </th>
            </tr>
          </thead>
          <tbody>
            {QUARANTINE_REASONS.map((reason) => (
              <tr key={reason} className={quality.quarantined[reason] > 0 ? "highlight" : undefined}>
                <td>{humanize(reason)}</td>
                <td className="numeric">{formatInteger(quality.quarantined[reason])}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div>
          <h3>Gaps longer than 5 business days</h3>
          {quality.gaps.length === 0 ? (
            <Empty>No gaps.</Empty>
          ) : (
            <table className="table compact">
              <thead>
                <tr>
                  <th scope="col">Last date before</th>
                  <th scope="col">First date after</th>
                  <th scope="col" className="numeric">
                    Business days missing
                  </th>
                </tr>
              </thead>
              <tbody>
                {quality.gaps.map((gap) => (
                  <tr key={gap.start}>
                    <td>{gap.start}</td>
                    <td>{gap.end}</td>
                    <td className="numeric">{gap.business_days}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
    </section>
  );
}

function Chart({ detail }: { detail: TickerDetail }) {
  const [params, setParams] = useSearchParams();
  const end = params.get("end") ?? detail.last_date;
  const start = params.get("start") ?? isoDaysBefore(detail.last_date, DEFAULT_DAYS, detail.first_date);
  const bars = useBars(detail.ticker, { start, end }, true);
  return (
    <section className="card wide" aria-labelledby="chart-title">
      <h2 id="chart-title">Price and volume</h2>
      <RangeForm detail={detail} start={start} end={end} onApply={(from, to) => setParams({ start: from, end: to })} />
      {bars.isPending && <Loading label="Loading bars…" />}
      {bars.isError && <ErrorMessage error={bars.error} />}
      {bars.data && bars.data.bars.length === 0 && <Empty>No bars in this date range.</Empty>}
      {bars.data && bars.data.bars.length > 0 && <PriceVolumeChart ticker={detail.ticker} bars={bars.data.bars} />}
    </section>
  );
}

export function TickerPage() {
  const { ticker = "" } = useParams();
  const detail = useTicker(ticker);
  return (
    <>
      <p className="breadcrumb">
        <Link to="/data">Data</Link> / {ticker}
      </p>
      <h1>{ticker}</h1>
      {detail.isPending && <Loading />}
      {detail.isError && <ErrorMessage error={detail.error} />}
      {detail.data && (
        <div className="grid">
          <section className="card wide">
            <dl className="facts">
              <div>
                <dt>Kind</dt>
                <dd>{detail.data.kind}</dd>
              </div>
              <div>
                <dt>Sector</dt>
                <dd>{detail.data.sector ?? "—"}</dd>
              </div>
              <div>
                <dt>Rows</dt>
                <dd>{formatInteger(detail.data.rows)}</dd>
              </div>
              <div>
                <dt>Dates</dt>
                <dd>
                  {detail.data.first_date} → {detail.data.last_date}
                </dd>
              </div>
              <div>
                <dt>Fingerprint</dt>
                <dd>
                  <code className="fingerprint" title={detail.data.fingerprint}>
                    {detail.data.fingerprint.slice(0, 16)}…
                  </code>
                </dd>
              </div>
            </dl>
          </section>
          <Chart detail={detail.data} />
          <QualityDetails detail={detail.data} />
        </div>
      )}
    </>
  );
}
