// A/B tests: start one (two or more model versions, each on a hashed share of the universe;
// weights sum to 1, checked before sending; the server's 422 field errors shown at the fields)
// and every test, newest first, with a Stop button for the running ones.
import { type FormEvent, useId, useState } from "react";
import { Link } from "react-router";
import {
  type AbProblems,
  type AbTestDraft,
  type ArmDraft,
  evenWeights,
  initialAbTestDraft,
  problemsFromDetails,
  readAbTestDraft,
} from "../abtest";
import { ApiError } from "../api";
import { arrayBoundsOf, boundsOf } from "../bounds";
import { AbTestStatusBadge } from "../components/Badges";
import { Empty, ErrorMessage, Loading } from "../components/Feedback";
import { NumberField } from "../components/NumberField";
import type { AbTest } from "../contract";
import { formatDateTime, formatPercent, shortId } from "../format";
import { useAbTests, useCreateAbTest, useModels, useStopAbTest } from "../queries";

function ArmFields({
  index,
  arm,
  versions,
  problems,
  canRemove,
  onChange,
  onRemove,
}: {
  index: number;
  arm: ArmDraft;
  versions: { version: string; label: string }[];
  problems: AbProblems;
  canRemove: boolean;
  onChange: (arm: ArmDraft) => void;
  onRemove: () => void;
}) {
  const versionId = useId();
  const versionProblem = problems[`arms.${index}.version`];
  return (
    <fieldset className="subform" data-testid={`arm-${index}`}>
      <legend>Arm {index}</legend>
      <div className="form-grid">
        <div className={`field ${versionProblem ? "field-invalid" : ""}`}>
          <label htmlFor={versionId}>Model version</label>
          <select
            id={versionId}
            name={`arms.${index}.version`}
            value={arm.version}
            onChange={(event) => onChange({ ...arm, version: event.target.value })}
            aria-invalid={versionProblem ? true : undefined}
          >
            <option value="">Choose a version…</option>
            {versions.map((item) => (
              <option key={item.version} value={item.version}>
                {item.label}
              </option>
            ))}
          </select>
          <small className="field-error" role={versionProblem ? "alert" : undefined}>
            {versionProblem ?? ""}
          </small>
        </div>
        <NumberField
          name={`arms.${index}.weight`}
          label="Weight"
          hint="share of the universe"
          value={arm.weight}
          onChange={(weight) => onChange({ ...arm, weight })}
          bounds={boundsOf("AbArmRequest", "weight")}
          error={problems[`arms.${index}.weight`] ?? null}
        />
        <div className="field">
          <span className="field-label">&nbsp;</span>
          <button type="button" onClick={onRemove} disabled={!canRemove}>
            Remove arm
          </button>
        </div>
      </div>
    </fieldset>
  );
}

function AbTestForm() {
  const create = useCreateAbTest();
  const models = useModels({ limit: 100 });
  const [draft, setDraft] = useState<AbTestDraft>(initialAbTestDraft);
  const [problems, setProblems] = useState<AbProblems>({});
  const [created, setCreated] = useState<AbTest | null>(null);
  const nameId = useId();
  const saltId = useId();
  const armBounds = arrayBoundsOf("AbTestRequest", "arms");
  const minArms = armBounds.minItems ?? 2;
  const maxArms = armBounds.maxItems ?? Number.POSITIVE_INFINITY;
  const versions = (models.data?.items ?? []).map((item) => ({
    version: item.version,
    label: `${item.version} (${item.role}, trained to ${item.training_end})`,
  }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const { request, problems: found } = readAbTestDraft(draft);
    setProblems(found);
    setCreated(null);
    if (!request) {
      create.reset();
      return;
    }
    create.mutate(request, {
      onSuccess: (test) => {
        setCreated(test);
        setDraft(initialAbTestDraft());
      },
      onError: (error) => {
        if (error instanceof ApiError && error.status === 422) setProblems(problemsFromDetails(error.details));
      },
    });
  };
  const setArm = (index: number, arm: ArmDraft) =>
    setDraft((d) => ({ ...d, arms: d.arms.map((item, i) => (i === index ? arm : item)) }));
  const reweigh = (arms: ArmDraft[]) => {
    const weights = evenWeights(arms.length);
    return arms.map((arm, i) => ({ ...arm, weight: weights[i] ?? arm.weight }));
  };
  const addArm = () => setDraft((d) => ({ ...d, arms: reweigh([...d.arms, { version: "", weight: "" }]) }));
  const removeArm = (index: number) =>
    setDraft((d) => ({ ...d, arms: reweigh(d.arms.filter((_, i) => i !== index)) }));
  const hasProblems = Object.keys(problems).length > 0;

  return (
    <section className="card wide" aria-labelledby="abtest-form-title">
      <h2 id="abtest-form-title">Start an A/B test</h2>
      <p className="small muted">
        Scope <code>admin</code> when authentication is on. Each ticker is hashed with the salt into one arm, in
        proportion to the weights, so the arms score disjoint parts of the universe. An arm's daily figure is the mean
        forward return of its top-<code>top_n</code> names in its version's stored signals.
      </p>
      <form onSubmit={submit} noValidate aria-label="Start an A/B test" data-testid="abtest-form">
        <div className="form-grid">
          <div className={`field ${problems.name ? "field-invalid" : ""}`}>
            <label htmlFor={nameId}>Name</label>
            <input
              id={nameId}
              name="name"
              value={draft.name}
              maxLength={100}
              onChange={(event) => setDraft((d) => ({ ...d, name: event.target.value }))}
              aria-invalid={problems.name ? true : undefined}
            />
            <small className="field-error" role={problems.name ? "alert" : undefined}>
              {problems.name ?? ""}
            </small>
          </div>
          <div className={`field ${problems.salt ? "field-invalid" : ""}`}>
            <label htmlFor={saltId}>Salt</label>
            <input
              id={saltId}
              name="salt"
              value={draft.salt}
              maxLength={100}
              onChange={(event) => setDraft((d) => ({ ...d, salt: event.target.value }))}
              aria-invalid={problems.salt ? true : undefined}
            />
            <small className="muted">optional; default a random token (stored with the test)</small>
            <small className="field-error" role={problems.salt ? "alert" : undefined}>
              {problems.salt ?? ""}
            </small>
          </div>
          <NumberField
            name="horizon"
            label="Horizon"
            hint="optional; default the first arm's first horizon"
            value={draft.horizon}
            onChange={(horizon) => setDraft((d) => ({ ...d, horizon }))}
            bounds={boundsOf("AbTestRequest", "horizon")}
            error={problems.horizon ?? null}
            step="1"
          />
          <NumberField
            name="top_n"
            label="Top N"
            hint="names per arm and date"
            value={draft.topN}
            onChange={(topN) => setDraft((d) => ({ ...d, topN }))}
            bounds={boundsOf("AbTestRequest", "top_n")}
            error={problems.top_n ?? null}
            step="1"
          />
        </div>
        {draft.arms.map((arm, index) => (
          <ArmFields
            key={index}
            index={index}
            arm={arm}
            versions={versions}
            problems={problems}
            canRemove={draft.arms.length > minArms}
            onChange={(next) => setArm(index, next)}
            onRemove={() => removeArm(index)}
          />
        ))}
        <p className="small muted">{models.isPending ? "Loading versions…" : `${versions.length} version(s) to choose from`}</p>
        <small className="field-error" role={problems.weights ? "alert" : undefined} data-testid="weights-error">
          {problems.weights ?? ""}
        </small>
        <div className="row">
          <button type="button" onClick={addArm} disabled={draft.arms.length >= maxArms}>
            Add arm
          </button>
          <button type="submit" className="button-primary" disabled={create.isPending}>
            {create.isPending ? "Starting…" : "Start A/B test"}
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(initialAbTestDraft());
              setProblems({});
            }}
          >
            Reset
          </button>
        </div>
        {hasProblems && !create.isError && (
          <p className="field-error" role="alert">
            Fix the highlighted fields; nothing was sent.
          </p>
        )}
      </form>
      {created && (
        <p className="notice" role="status" data-testid="abtest-created">
          Started <Link to={`/ab-tests/${created.test_id}`}>{created.name}</Link>.
        </p>
      )}
      {models.isError && <ErrorMessage error={models.error} title="Could not list the versions" />}
      {create.isError && <ErrorMessage error={create.error} title="Could not start the A/B test" />}
    </section>
  );
}

/** Stop a running test (scope admin); list and detail are refetched, also after a 409. */
export function StopAbTestButton({ test }: { test: AbTest }) {
  const stop = useStopAbTest();
  return (
    <span className="cancel">
      <button
        type="button"
        className="button-danger"
        disabled={stop.isPending}
        onClick={() => {
          if (window.confirm(`Stop the A/B test “${test.name}”? It keeps its assignment and results.`)) {
            stop.mutate(test.test_id);
          }
        }}
      >
        {stop.isPending ? "Stopping…" : "Stop"}
      </button>
      {stop.isError && <ErrorMessage error={stop.error} title="Could not stop" />}
    </span>
  );
}

function AbTestsTable() {
  const tests = useAbTests();
  const items = tests.data?.items;
  return (
    <section className="card wide" aria-labelledby="abtests-title">
      <h2 id="abtests-title" className="row">
        <span>A/B tests</span>
        {tests.isFetching && <span className="muted small">Updating…</span>}
      </h2>
      {tests.isPending && <Loading label="Loading A/B tests…" />}
      {tests.isError && <ErrorMessage error={tests.error} />}
      {items && items.length === 0 && <Empty>No A/B test has been started yet.</Empty>}
      {items && items.length > 0 && (
        <table className="table" data-testid="abtests-table">
          <caption className="small muted">Newest first.</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Arms</th>
              <th scope="col">Horizon · top N</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((test) => (
              <tr key={test.test_id} data-test-id={test.test_id} data-status={test.status}>
                <td>
                  <Link to={`/ab-tests/${test.test_id}`}>{test.name}</Link>{" "}
                  <span className="mono small muted">{shortId(test.test_id)}</span>
                </td>
                <td>
                  <AbTestStatusBadge status={test.status} />
                  {test.stopped_at && <div className="small muted">{formatDateTime(test.stopped_at)}</div>}
                </td>
                <td>
                  {test.arms.map((arm) => (
                    <div key={arm.index} className="nowrap">
                      {arm.index}: <span className="mono">{arm.version}</span> · {formatPercent(arm.weight, 1)}
                    </div>
                  ))}
                </td>
                <td>
                  {test.horizon} d · {test.top_n}
                </td>
                <td>{formatDateTime(test.created_at)}</td>
                <td>{test.status === "running" && <StopAbTestButton test={test} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function AbTestsPage() {
  return (
    <>
      <h1>A/B tests</h1>
      <div className="grid">
        <AbTestForm />
        <AbTestsTable />
      </div>
    </>
  );
}
