import { useState } from 'react';
import { request } from '../../api/api-client.js';
import { graphql } from '../../gql/index.js';
import { describeHistory, type HistoryEvent } from './instance-history.js';
import { messageOf, useInstancePart } from './use-instance-part.js';

const TabHistory = graphql(`
  query TabHistory($id: ID!, $after: String) {
    instance(id: $id) {
      id
      history(first: 100, after: $after) { edges { node { id type occurredAt data } } pageInfo { hasNextPage endCursor } }
    }
  }
`);

interface Page { events: HistoryEvent[]; endCursor: string | null; more: boolean }

async function readHistory(id: string, after: string | null): Promise<Page> {
  const history = (await request(TabHistory, { id, after })).instance?.history;
  return { events: history?.edges.map((e) => e.node) ?? [], endCursor: history?.pageInfo.endCursor ?? null, more: history?.pageInfo.hasNextPage ?? false };
}

/** What happened to the instance, oldest first, in words: what, who, when. */
export function HistoryTab({ instance }: { instance: { id: string; status: string } }) {
  // The first page, read again as the status changes; later pages added on asking.
  const { part: first, problem } = useInstancePart(() => readHistory(instance.id, null), instance, () => false);
  const [later, setLater] = useState<Page[]>([]);
  const [laterProblem, setLaterProblem] = useState<string | null>(null);
  if (first === undefined) return problem ? <p className="banner error" role="alert">{problem}</p> : <p role="status">Loading its history…</p>;
  // A full first page never changes (the history only grows), so the later pages read after it still follow it.
  const pages = [first, ...later];
  const last = pages.at(-1)!;
  const lines = describeHistory(pages.flatMap((p) => p.events));
  const more = () => readHistory(instance.id, last.endCursor).then((page) => setLater((current) => [...current, page]), (error) => setLaterProblem(messageOf(error)));
  return (
    <section aria-label="History">
      {problem ?? laterProblem ? <p className="banner error" role="alert">{problem ?? laterProblem}</p> : null}
      <ol className="history">
        {lines.map((line) => (
          <li key={line.id}>
            <span className="history-what">{line.text}</span>
            <span className="muted">By {line.by}, <time dateTime={line.occurredAt}>{new Date(line.occurredAt).toLocaleString()}</time></span>
          </li>
        ))}
      </ol>
      {last.more ? <button type="button" className="secondary" onClick={more}>Show later events</button> : null}
    </section>
  );
}
