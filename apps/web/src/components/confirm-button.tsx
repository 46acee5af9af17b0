import { useState, type ReactNode } from 'react';

/**
 * A button for what cannot be undone (revoking a key, releasing an address): the first press asks,
 * in words beside it, and only the second button does it; "Keep it" or Escape takes it back.
 * `action` is the button's text, `of` what it acts on (its name for screen readers: "Revoke ci").
 */
export function ConfirmButton({ action, of, question, confirm, busy, onConfirm }: { action: string; of: string; question: ReactNode; confirm: string; busy?: boolean; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking) return <button type="button" className="danger secondary" aria-label={`${action} ${of}`} disabled={busy} onClick={() => setAsking(true)}>{action}</button>;
  return (
    <div className="confirm" role="group" aria-label={`${action} ${of}?`} onKeyDown={(event) => event.key === 'Escape' && setAsking(false)}>
      <p>{question}</p>
      <button type="button" className="danger" disabled={busy} autoFocus onClick={() => { setAsking(false); onConfirm(); }}>{confirm}</button>
      <button type="button" className="secondary" onClick={() => setAsking(false)}>Keep it</button>
    </div>
  );
}
