// Where to paste a bearer token for a server running with authentication. It is kept in
// localStorage and sent on every request (and on event streams).
import { type FormEvent, useId, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { readToken, saveToken } from "../auth";

export function TokenControl() {
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState(() => readToken() !== null);
  const [draft, setDraft] = useState("");
  const id = useId();

  const apply = (token: string | null) => {
    saveToken(token);
    setSaved(readToken() !== null);
    setDraft("");
    void queryClient.invalidateQueries(); // every answer may differ with the new identity
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    apply(draft);
  };

  return (
    <details className="token">
      <summary>Token{saved ? " ✓" : ""}</summary>
      <form onSubmit={onSubmit} className="token-form">
        <label htmlFor={id}>Bearer token (stored in this browser)</label>
        <input
          id={id}
          type="password"
          autoComplete="off"
          value={draft}
          placeholder={saved ? "A token is saved; paste to replace" : "eyJhbGciOi…"}
          onChange={(event) => setDraft(event.target.value)}
        />
        <div className="row">
          <button type="submit" disabled={!draft.trim()}>
            Save
          </button>
          <button type="button" onClick={() => apply(null)} disabled={!saved}>
            Clear
          </button>
        </div>
      </form>
    </details>
  );
}
