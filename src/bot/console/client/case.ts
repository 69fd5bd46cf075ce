/**
 * The case page's live notice: listens to the console's event stream and,
 * when this page's case changes (someone claimed it in a chat, another
 * member resolved it), shows the notice with a reload link the server
 * rendered hidden. The page works without it; it only saves acting on a
 * stale view.
 */
const data = JSON.parse(document.getElementById("page-data")?.textContent ?? "{}") as { reference?: string };
const notice = document.getElementById("case-changed");

if (data.reference && notice && "EventSource" in window) {
  const events = new EventSource("events");
  events.addEventListener("case", (event) => {
    const change = JSON.parse((event as MessageEvent<string>).data) as { reference: string; status: string };
    if (change.reference !== data.reference) return;
    notice.hidden = false;
  });
}
