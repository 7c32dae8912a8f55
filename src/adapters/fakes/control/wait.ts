/** Resolves on SIGINT or SIGTERM: the foreground fakes stop cleanly on Ctrl-C. */
export function waitForSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}
