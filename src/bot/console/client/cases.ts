/*
 * The case desk's live updates. The page is complete without this script: it
 * listens to the console's event stream and, for a case shown on the page,
 * updates its status badge in place; for any other case it shows the page's
 * notice that new or changed cases are waiting, with a link that reloads the
 * same filters.
 */

interface CaseEvent {
  reference: string;
  status: string;
}

const pageData = JSON.parse(document.getElementById("page-data")?.textContent ?? "{}") as { statuses?: Record<string, string> };
const statusNames = pageData.statuses ?? {};
const notice = document.getElementById("live-notice");

function isCaseEvent(value: unknown): value is CaseEvent {
  const event = value as Partial<CaseEvent> | null;
  return typeof event?.reference === "string" && typeof event.status === "string";
}

function rowOf(reference: string): HTMLTableRowElement | undefined {
  return Array.from(document.querySelectorAll<HTMLTableRowElement>("tr[data-reference]")).find(
    (row) => row.dataset.reference === reference,
  );
}

function onCase(event: CaseEvent): void {
  const badge = rowOf(event.reference)?.querySelector<HTMLElement>("[data-status]");
  const name = statusNames[event.status];
  if (badge && name !== undefined) {
    badge.className = `status status-${event.status}`;
    badge.dataset.status = event.status;
    badge.textContent = name;
    return;
  }
  if (notice) notice.hidden = false;
}

if (typeof EventSource !== "undefined") {
  const source = new EventSource("events");
  source.addEventListener("case", (message) => {
    try {
      const data: unknown = JSON.parse((message as MessageEvent<string>).data);
      if (isCaseEvent(data)) onCase(data);
    } catch {
      // A malformed event changes nothing; the list is still right after a refresh.
    }
  });
}
