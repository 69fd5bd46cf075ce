import type { OutboxRender } from "../../src/bot/notify/outbox-worker.ts";
import type { Database } from "../../src/db/database.ts";

/**
 * Makes writing an outbox row to `chatId` fail, as a full disk or a lost connection
 * would: the transaction writing it is rolled back. Implemented as a trigger because the
 * service's own statements are what is under test.
 */
export async function failOutboxRowsTo(db: Database, chatId: string): Promise<void> {
  await db.prisma.$executeRawUnsafe(`CREATE OR REPLACE FUNCTION linli_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW."chatId" = '${chatId}' THEN RAISE EXCEPTION 'test: outbox write fails'; END IF; RETURN NEW; END $$`);
  await db.prisma.$executeRawUnsafe(
    `CREATE TRIGGER linli_test_fail BEFORE INSERT ON "OutboxMessage" FOR EACH ROW EXECUTE FUNCTION linli_test_fail()`,
  );
}

/** Undoes {@link failOutboxRowsTo}. */
export async function stopFailingOutboxRows(db: Database): Promise<void> {
  await db.prisma.$executeRawUnsafe(`DROP TRIGGER linli_test_fail ON "OutboxMessage"`);
  await db.prisma.$executeRawUnsafe(`DROP FUNCTION linli_test_fail()`);
}

/**
 * Renders a test row whose payload is `{ text }` as that one text, so a test
 * can tell deliveries apart by their text. Shared by a worker in a child
 * process and its successor in the test, which must render rows alike.
 */
export const renderTextRow: OutboxRender = (row) => [{ type: "text", text: (row.payload as { text: string }).text }];
