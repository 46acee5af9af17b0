const SETTLED: Record<string, string> = { RUNNING: 'running', STOPPED: 'stopped', ERROR: 'error', DELETED: 'stopped' };

/** An instance's status in words (never colour alone); one in progress says so with its ellipsis. */
export function InstanceStatus({ status }: { status: string }) {
  const tone = SETTLED[status] ?? 'busy';
  return <span className={`status status-${tone}`}>{status}{tone === 'busy' ? '…' : ''}</span>;
}
