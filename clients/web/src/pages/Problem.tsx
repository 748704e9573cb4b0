import type { ApiError } from "../api/errors";

/** An API error as a person reads it, with a way forward; never a blank page. */
export function Problem({ error, retry }: { error: ApiError | Error; retry?: () => void }) {
  const text = "human" in error ? error.human : "Something went wrong. Please try again.";
  return (
    <div role="alert" className="problem">
      <p>{text}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}
