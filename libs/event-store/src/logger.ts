/** The few logging calls the library makes; Nest's Logger fits, and so does console. */
export interface Logger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

export function consoleLogger(context: string): Logger {
  return {
    log: (m) => console.log(`[${context}] ${m}`),
    warn: (m) => console.warn(`[${context}] ${m}`),
    error: (m) => console.error(`[${context}] ${m}`),
  };
}
