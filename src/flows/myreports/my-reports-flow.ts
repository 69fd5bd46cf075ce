import { z } from "zod";
import type { Flow } from "../kit/flow.ts";
import { startFlowChoice } from "../kit/menu.ts";

const stateSchema = z.object({});

/** How many reports the list shows; older ones stay reachable with /report <reference>. */
const MAX_LISTED = 10;

/**
 * /myreports: the resident's own and followed reports, newest first, each a
 * button that opens it (through the report flow's view) with its timeline.
 */
export const myReportsFlow: Flow<z.infer<typeof stateSchema>> = {
  id: "myReports",
  version: 1,
  stateSchema,
  command: { name: "myreports", audience: "everyone" },

  async start(context) {
    const { t, locale, services, user } = context;
    const reports = await services.reports.myReports({ ...user, locale });
    if (reports.length === 0) return { type: "done", replies: [{ type: "text", text: t.myReports.empty }] };
    return {
      type: "done",
      replies: [
        {
          type: "choices",
          text: t.myReports.title,
          options: reports.slice(0, MAX_LISTED).map((report) => ({
            label: t.myReports.line(report.reference, report.category[locale], t.report.status[report.status], report.relation),
            value: `${startFlowChoice("report")}:view:${report.reference}`,
          })),
        },
      ],
    };
  },

  async onEvent() {
    return { type: "done", replies: [] };
  },
};
