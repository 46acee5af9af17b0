import { useId } from 'react';
import type { Usage } from './admin-figures.js';

/** A capacity or utilisation bar: a labelled <meter>, its figures in words beside it (never the bar alone). */
export function UsageBar({ label, usage, figures }: { label: string; usage: Usage; figures: string }) {
  const id = useId();
  return (
    <div className="usage">
      <label htmlFor={id}>{label}</label>
      <meter id={id} min={0} max={100} value={usage.percent} low={60} high={80} optimum={0} aria-describedby={`${id}-figures`} />
      <span id={`${id}-figures`} className={usage.nearlyFull ? 'usage-figures nearly-full' : 'usage-figures'}>
        {figures} ({usage.percent} %){usage.nearlyFull ? ' · nearly full' : ''}
      </span>
    </div>
  );
}
