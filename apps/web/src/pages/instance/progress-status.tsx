/** A snapshot's or backup's status in words; one under way says so, with its ellipsis and a busy bar a screen reader hears as such. */
export function ProgressStatus({ status, settled }: { status: string; settled: readonly string[] }) {
  if (settled.includes(status)) return <span className={`status status-${status === 'ERROR' ? 'error' : 'running'}`}>{status}</span>;
  return (
    <span className="status status-busy">
      {status}… <progress aria-label={`${status.toLowerCase()}`} className="under-way" />
    </span>
  );
}
