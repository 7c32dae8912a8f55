/**
 * What the store logs through: the few pino methods it calls. The app's pino Logger satisfies it, so the store
 * needs nothing from src/app.
 */
export interface StoreLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}
