import { useId, useRef, type KeyboardEvent, type ReactNode } from 'react';
import './tabs.css';

/**
 * Tabs as WAI-ARIA describes them: one tab stop, the arrow keys (and Home, End) move between tabs
 * and show each; only the chosen panel is rendered (a console tab left closes its socket).
 */
export function Tabs<T extends string>({ label, tabs, chosen, onChoose, children }: {
  label: string;
  tabs: readonly { id: T; title: string }[];
  chosen: T;
  onChoose: (id: T) => void;
  children: ReactNode;
}) {
  const prefix = useId();
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const move = (event: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const to = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = (to + tabs.length) % tabs.length;
    onChoose(tabs[next].id);
    buttons.current[next]?.focus();
  };
  return (
    <>
      <div role="tablist" aria-label={label} className="tabs">
        {tabs.map((tab, index) => (
          <button
            key={tab.id}
            ref={(button) => { buttons.current[index] = button; }}
            type="button"
            role="tab"
            id={`${prefix}-${tab.id}`}
            aria-selected={tab.id === chosen}
            aria-controls={`${prefix}-panel`}
            tabIndex={tab.id === chosen ? 0 : -1}
            onClick={() => onChoose(tab.id)}
            onKeyDown={(event) => move(event, index)}
          >
            {tab.title}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${prefix}-panel`} aria-labelledby={`${prefix}-${chosen}`} className="tab-panel">
        {children}
      </div>
    </>
  );
}
