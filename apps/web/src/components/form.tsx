import { useId, type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes } from 'react';
import type { FormErrors } from '../api/field-errors.js';

/** A labelled input with its error beside it, tied to it for screen readers (aria-describedby, aria-invalid). */
export function Field({ label, error, hint, ...input }: InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string; hint?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={error || hint ? `${id}-note` : undefined} {...input} />
      {error ? <p id={`${id}-note`} className="field-error" role="alert">{error}</p> : hint ? <p id={`${id}-note`} className="hint">{hint}</p> : null}
    </div>
  );
}

/** Field's multi-line kind (SSH keys, user data). */
export function TextAreaField({ label, error, hint, ...textarea }: TextareaHTMLAttributes<HTMLTextAreaElement> & { label: string; error?: string; hint?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} aria-invalid={error ? true : undefined} aria-describedby={error || hint ? `${id}-note` : undefined} {...textarea} />
      {error ? <p id={`${id}-note`} className="field-error" role="alert">{error}</p> : hint ? <p id={`${id}-note`} className="hint">{hint}</p> : null}
    </div>
  );
}

/** A field's error for a group of choices (a fieldset's radios, a select). */
export function FieldError({ error }: { error?: string }) {
  return error ? <p className="field-error" role="alert">{error}</p> : null;
}

/** What the API refused that no field of the form names. */
export function GeneralErrors({ errors }: { errors: FormErrors }) {
  if (errors.general.length === 0) return null;
  return (
    <div className="banner error" role="alert">
      {errors.general.map((message) => <p key={message}>{message}</p>)}
    </div>
  );
}

export const noErrors: FormErrors = { fields: {}, general: [] };

export function Empty({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="empty">
      <h2>{title}</h2>
      {children}
    </section>
  );
}
