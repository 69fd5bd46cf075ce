import type { PGlite, Transaction as PGliteTransaction } from "@electric-sql/pglite";
import pg from "pg";
import { raw, type Sql as Statement } from "sql-template-tag";
import type { Prisma } from "../generated/prisma/client.ts";

export { default as sql, join, raw, empty, type Sql as Statement } from "sql-template-tag";

/**
 * SQL through the database driver, for the tables conversation steps write
 * (decision record 0007 lists them): a statement here costs a fraction of the
 * CPU of one through Prisma's query builder, and a step makes several. The
 * other tables stay on Prisma; one schema and one migration history describe
 * them all.
 *
 * The contract is PostgreSQL's, on a server (pg) or embedded (PGlite), with
 * one rule for both: Prisma's `DateTime` columns are `timestamp(3)` holding
 * UTC, so parameters are passed as `Date` and such columns come back as `Date`
 * read as UTC, whatever the process's time zone.
 *
 * Statements are composed with the {@link sql} tag (sql-template-tag), so a
 * value is always a parameter and parameters are never numbered by hand. A row
 * type names the columns it reads from the Prisma model they belong to
 * (`Pick<Report, "id" | "reference">`), so renaming or retyping a column in the
 * schema fails the compiler where the row is read.
 */
export interface Sql {
  /** Runs one statement and returns its rows. */
  query<Row>(statement: Statement): Promise<Row[]>;
  /**
   * Runs `work` in one transaction on one connection: committed when it
   * resolves, rolled back when it throws. Inside, use only the `tx` it is
   * given; on PGlite anything else waits for the transaction to end.
   */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
}

/**
 * `column` (an identifier such as `s."startsAt"`, never input) as milliseconds
 * since the epoch (a number on every transport), for statements that also run
 * through {@link prismaSql}; `new Date(ms)` is the instant.
 */
export const epochMillis = (column: string) => raw(`(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`);

/** PostgreSQL's type id of `timestamp without time zone`, the column type of Prisma's DateTime. */
const TIMESTAMP_OID = 1114;

/** A `timestamp(3)` as PostgreSQL prints it ("2026-11-27 03:00:00.123"), read as the UTC instant it stores. */
const utcTimestamp = (value: string) => new Date(`${value.replace(" ", "T")}Z`);

/** Dates go in as ISO text: PostgreSQL drops the trailing Z for a timestamp column, keeping the UTC wall time. */
const toParam = (value: unknown) => (value instanceof Date ? value.toISOString() : value);
const toParams = (statement: Statement) => statement.values.map(toParam);

const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP_OID ? utcTimestamp : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/**
 * More distinct statement texts than the code has (a few dozen, some built from
 * a bounded set of parts) would mean a text made from data; past this many,
 * statements are no longer prepared, so such a bug cannot fill every
 * connection's memory with prepared statements.
 */
const MAX_PREPARED_STATEMENTS = 500;
const preparedNames = new Map<string, string>();

/** The name `text` is prepared under on every connection, the same in the whole process. */
function preparedName(text: string): string | undefined {
  const known = preparedNames.get(text);
  if (known !== undefined || preparedNames.size >= MAX_PREPARED_STATEMENTS) return known;
  const name = `linli_${preparedNames.size + 1}`;
  preparedNames.set(text, name);
  return name;
}

/**
 * SQL over a pg pool: each statement on any free connection, a transaction on
 * one. Statements are prepared once per connection (pg's named statements):
 * PostgreSQL then neither parses nor, once it settles on a generic plan, plans
 * them again (decision record 0005). Behind a connection
 * pooler this needs one that keeps prepared statements per client (PgBouncer
 * 1.21 or later with max_prepared_statements set, or session pooling).
 */
export function poolSql(pool: pg.Pool): Sql {
  const on =
    (client: pg.Pool | pg.PoolClient): Sql["query"] =>
    async <Row>(statement: Statement) => {
      const text = statement.text;
      return (await client.query({ name: preparedName(text), text, values: toParams(statement), types: pgTypes })).rows as Row[];
    };
  return {
    query: on(pool),
    async transaction(work) {
      const client = await pool.connect();
      let broken: unknown;
      // A connection lost while checked out (the server restarting) emits "error" on the client;
      // unheard, that would crash the process. The statement in flight rejects on its own.
      const onLost = (error: Error) => (broken = error);
      client.on("error", onLost);
      try {
        const tx: Sql = { query: on(client), transaction: (inner) => inner(tx) };
        await client.query("BEGIN");
        try {
          const result = await work(tx);
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch((rollbackError: unknown) => (broken = rollbackError));
          throw error;
        }
      } finally {
        client.off("error", onLost);
        // A connection that broke or could not roll back is in an unknown state: the pool drops it instead of reusing it.
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
  };
}

/** SQL over PGlite, whose one connection runs one transaction at a time. */
export function pgliteSql(pglite: PGlite): Sql {
  const parsers = { [TIMESTAMP_OID]: utcTimestamp };
  const on =
    (target: PGlite | PGliteTransaction): Sql["query"] =>
    async <Row>(statement: Statement) =>
      (await target.query<Row>(statement.text, toParams(statement), { parsers })).rows;
  return {
    query: on(pglite),
    transaction: (work) =>
      pglite.transaction(async (transaction) => {
        const tx: Sql = { query: on(transaction), transaction: (inner) => inner(tx) };
        return work(tx);
      }),
  };
}

/**
 * A Prisma interactive transaction seen as {@link Sql}, so work that still runs
 * on Prisma (imports, staff actions) shares the hot path's statements instead
 * of keeping a second copy of them. One exception to the contract: Prisma's
 * PGlite adapter reads a `timestamp` column in a raw query as local time, so a
 * statement that may run here selects timestamps through {@link epochMillis}.
 */
export function prismaSql(tx: Prisma.TransactionClient): Sql {
  const sql: Sql = {
    query: async <Row>(statement: Statement) => {
      try {
        return await tx.$queryRawUnsafe<Row[]>(statement.text, ...toParams(statement));
      } catch (error) {
        throw databaseErrorIn(error) ?? error;
      }
    },
    transaction: (work) => work(sql),
  };
  return sql;
}

/** A statement the database refused, with the database's own message and SQLSTATE code. */
export class SqlStatementError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = "SqlStatementError";
  }
}

/**
 * Prisma wraps a raw statement's failure as P2010 and, on PGlite, even loses
 * the message ("Message: undefined"); the driver's error it keeps in `meta`
 * is what an operator needs in the log.
 */
function databaseErrorIn(error: unknown): SqlStatementError | undefined {
  const cause = (error as { meta?: { driverAdapterError?: { cause?: { message?: unknown; code?: unknown } } } }).meta?.driverAdapterError
    ?.cause;
  if (typeof cause?.message !== "string") return undefined;
  return new SqlStatementError(cause.message, typeof cause.code === "string" ? cause.code : undefined, { cause: error });
}
