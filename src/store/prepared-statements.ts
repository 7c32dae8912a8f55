/**
 * Prepared statements for the PostgreSQL pool. kysely hands node-postgres every statement unnamed, so the server
 * parses and plans it on every execution; the fleet's per-site statements (the claim, the poll's write, the site's
 * context read, the plan and command rows) spent about a quarter of PostgreSQL's CPU per site there. Here a statement
 * text with parameters that is run a second time gets a name, and node-postgres then parses it once per connection
 * and executes it by name (the server may keep a generic plan). The first run stays unnamed, so one-off texts (DDL,
 * statements with inlined values) never become prepared statements; at most MAX_NAMED texts are named per process
 * (the server holds each on every connection that ran it), later new texts stay unnamed.
 */

const MAX_NAMED = 400;
const MAX_SEEN = 10_000;

type Query = (...args: unknown[]) => unknown;
interface Client {
  query: Query;
  __preparesRepeated?: true;
}

const names = new Map<string, string>();
const seenOnce = new Set<string>();

/** The name a statement text runs under, or undefined (its first run, or the cap is reached). */
export function statementName(text: string): string | undefined {
  const known = names.get(text);
  if (known) return known;
  if (names.size >= MAX_NAMED) return undefined;
  if (!seenOnce.has(text)) {
    if (seenOnce.size >= MAX_SEEN) seenOnce.clear();
    seenOnce.add(text);
    return undefined;
  }
  seenOnce.delete(text);
  const name = `ercot_arb_${names.size}`;
  names.set(text, name);
  return name;
}

/** Wraps the pool's clients: `query(text, values)` with values runs as a named statement once the text repeats. */
export function prepareRepeatedStatements(pool: { connect(): Promise<unknown> }): void {
  const connect = pool.connect.bind(pool);
  pool.connect = async () => {
    const client = (await connect()) as Client;
    if (!client.__preparesRepeated) {
      const query = client.query.bind(client);
      client.query = (text: unknown, values?: unknown, callback?: unknown) => {
        if (typeof text === 'string' && Array.isArray(values) && values.length > 0) {
          const name = statementName(text);
          if (name) return query({ text, values, name }, callback);
        }
        return query(text, values, callback);
      };
      client.__preparesRepeated = true;
    }
    return client;
  };
}
