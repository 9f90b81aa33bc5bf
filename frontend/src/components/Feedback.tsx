// Loading, empty and error states, shared by every page.
import type { ReactNode } from "react";
import { ApiError } from "../api";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** An API error with its code, message and each field detail. */
export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  if (!(error instanceof ApiError)) {
    const message = error instanceof Error ? error.message : String(error);
    return (
      <div className="error-box" role="alert">
        {title && <strong>{title}: </strong>}
        {message}
      </div>
    );
  }
  return (
    <div className="error-box" role="alert" data-error-code={error.code}>
      {title && <strong>{title}: </strong>}
      <span className="error-code">{error.code}</span> {error.message}
      {error.details.length > 0 && (
        <ul className="error-details">
          {error.details.map((detail, index) => (
            <li key={index}>
              <code>{detail.loc.join(".")}</code>: {detail.msg}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The data layer is still importing (503 UNAVAILABLE): say so instead of failing. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof ApiError && error.code === "UNAVAILABLE";
}

/** The resource does not exist (404 NOT_FOUND): e.g. no champion or no challenger yet. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.code === "NOT_FOUND";
}
