import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../../api/api-client.js';
import './instance-tabs.css';

/** How often a tab asks again while something of it is under way: the API has no subscription for snapshots, backups or firewalls. */
export const PROGRESS_POLL_MS = 2000;

/**
 * A part of an instance a tab shows (its history, snapshots, backups, firewalls): read when the tab
 * opens and again whenever the instance's status changes (the page's subscription sees that), and
 * every 2 s while `underWay` says something is still being done.
 */
export function useInstancePart<T>(read: () => Promise<T>, instance: { id: string; status: string }, underWay: (part: T) => boolean) {
  const [part, setPart] = useState<T | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);
  // `read` is a new closure each render: what it reads is named by the instance and its status.
  const load = useCallback(() => read().then((loaded) => { setPart(loaded); setProblem(null); }, (error: unknown) => setProblem(messageOf(error))), [instance.id, instance.status]);
  useEffect(() => { void load(); }, [load]);
  const busy = part !== undefined && underWay(part);
  useEffect(() => {
    if (!busy) return undefined;
    const timer = setInterval(() => void load(), PROGRESS_POLL_MS);
    return () => clearInterval(timer);
  }, [busy, load]);
  // A change the tab asked for (take, delete, attach…): its buttons wait for it.
  const [acting, setActing] = useState(false);
  /** Runs a change, then reads the part again; its error is the tab's problem. */
  const run = async (change: () => Promise<unknown>) => {
    setActing(true);
    setProblem(null);
    try {
      await change();
      await load();
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setActing(false);
    }
  };
  return { part, problem, setProblem, load, acting, setActing, run };
}

/** An error as the page shows it. */
export const messageOf = (error: unknown) => (error instanceof ApiError ? error.message : String(error));
