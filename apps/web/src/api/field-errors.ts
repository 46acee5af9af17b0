/** An error as the API answers it: GraphQL's errors, and /auth's, which have the same shape. */
export interface ApiErrorBody {
  message: string;
  extensions?: { code?: string; field?: string };
}

/** What a form shows: each field's message beside it, and the rest above the form. */
export interface FormErrors {
  fields: Record<string, string>;
  general: string[];
}

/**
 * The form field an error names: the API says `input.name`, `planId` or `input.sshKeys[2]`
 * (extensions.field); the form's field is `name`, `planId`, `sshKeys`.
 */
export const formField = (field: string) => field.replace(/^input\./, '').replace(/\[\d+\]$/, '');

/**
 * Each error beside the field it names, without the field's name in front (the API's messages
 * start `input.name: …`, the form shows the label already); errors naming a field the form has not
 * (or none) are general. A field's first error wins.
 */
export function formErrors(errors: readonly ApiErrorBody[], formFields: readonly string[]): FormErrors {
  const result: FormErrors = { fields: {}, general: [] };
  for (const error of errors) {
    const named = error.extensions?.field;
    const field = named === undefined ? undefined : formField(named);
    if (named !== undefined && field !== undefined && formFields.includes(field)) {
      const message = error.message.startsWith(`${named}: `) ? error.message.slice(named.length + 2) : error.message;
      result.fields[field] ??= message;
    } else {
      result.general.push(error.message);
    }
  }
  return result;
}

/** An exact decimal amount of money, as the API gives it (never a float): trailing zeros past the cents dropped. */
export function formatMoney(money: { amount: string; currency: string }): string {
  const [whole, fraction = ''] = money.amount.split('.');
  const cents = fraction.replace(/0+$/, '').padEnd(2, '0');
  return `${whole}.${cents} ${money.currency}`;
}
