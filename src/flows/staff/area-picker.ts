import type { AlertArea } from "../../domain/staff/desk.ts";
import type { FlowContext } from "../kit/flow.ts";
import type { ChoiceOption } from "../kit/messages.ts";

const DISTRICT_PREFIX = "area:d:";
const ROAD_COMMITTEE_PREFIX = "area:r:";

/** The chosen districts and road committees by name, in the reader's language. */
export function areaNames(area: AlertArea, context: FlowContext): string[] {
  const { index } = context.services.grid;
  return [
    ...area.districtCodes.map((code) => index.district(code)?.name[context.locale] ?? code),
    ...area.roadCommitteeCodes.map((code) => index.snapshot.roadCommittees.find((c) => c.code === code)?.name[context.locale] ?? code),
  ];
}

/** Every district and road committee as a button, ticked when chosen; pressing one toggles it (see {@link toggleArea}). */
export function areaOptions(area: AlertArea, context: FlowContext): ChoiceOption[] {
  const { snapshot } = context.services.grid.index;
  const tick = (chosen: boolean, label: string) => (chosen ? `✅ ${label}` : label);
  return [
    ...snapshot.districts.map((d) => ({
      label: tick(area.districtCodes.includes(d.code), d.name[context.locale]),
      value: `${DISTRICT_PREFIX}${d.code}`,
    })),
    ...snapshot.roadCommittees.map((c) => ({
      label: tick(area.roadCommitteeCodes.includes(c.code), c.name[context.locale]),
      value: `${ROAD_COMMITTEE_PREFIX}${c.code}`,
    })),
  ];
}

/** The area after a press on one of {@link areaOptions}; undefined when the value is no (current) area button. */
export function toggleArea(area: AlertArea, value: string, context: FlowContext): AlertArea | undefined {
  const { index } = context.services.grid;
  const toggle = (list: string[], code: string) => (list.includes(code) ? list.filter((c) => c !== code) : [...list, code]);
  if (value.startsWith(DISTRICT_PREFIX)) {
    const code = value.slice(DISTRICT_PREFIX.length);
    return index.district(code) ? { ...area, districtCodes: toggle(area.districtCodes, code) } : undefined;
  }
  if (value.startsWith(ROAD_COMMITTEE_PREFIX)) {
    const code = value.slice(ROAD_COMMITTEE_PREFIX.length);
    return index.snapshot.roadCommittees.some((c) => c.code === code)
      ? { ...area, roadCommitteeCodes: toggle(area.roadCommitteeCodes, code) }
      : undefined;
  }
  return undefined;
}
