// The grid map, for staff (/console/map: boundaries and case pins) and for anyone (/map: boundaries, search, click).
// Without a configured tile layer nothing but this server is asked for anything: the districts draw on a plain
// background. Stored coordinates are WGS-84; on GCJ-02 tiles every drawn point is shifted onto them and a
// clicked point shifted back before it is sent.
import gcoordModule from "gcoord";
import * as L from "leaflet";
import { MarkerClusterGroup } from "leaflet.markercluster";
import type { MapDistrict, PinJson } from "../map.ts";

// gcoord's types describe its CommonJS build (the object under `default`); the bundle takes its ES build, whose
// default export is the object itself.
const gcoord = ("default" in gcoordModule ? gcoordModule.default : gcoordModule) as typeof gcoordModule.default;

type District = MapDistrict;
type Bilingual = District["name"];
type Status = PinJson["status"];

interface Common {
  locale: "zh" | "en";
  tiles: { url: string; attribution: string; coordinates: "wgs84" | "gcj02" } | null;
  districts: District[];
  focus: string | null;
}

interface StaffData extends Common {
  mode: "staff";
  casesUrl: string;
  words: Record<
    "mapLabel" | "openCase" | "category" | "status" | "roadCommittees" | "phone" | "hours" | "loading" | "loadFailed",
    string
  > & { statuses: Record<Status, string> };
}

interface PublicData extends Common {
  mode: "public";
  lookupUrl: string;
  atUrl: string;
  words: Record<"mapLabel" | "roadCommittees" | "phone" | "hours" | "clickHint" | "loadFailed", string>;
}

type Pin = PinJson;

interface Answer {
  districtCode?: string;
  html: string;
}

const data = JSON.parse(document.getElementById("page-data")?.textContent ?? "null") as StaffData | PublicData;
const container = document.getElementById("map");
const statusLine = document.getElementById("map-status");
if (container) start(container);

function start(element: HTMLElement): void {
  const gcj = data.tiles?.coordinates === "gcj02";
  /** A stored WGS-84 [lng, lat] as Leaflet's [lat, lng] in the tiles' system. */
  const toMap = (lng: number, lat: number): L.LatLngTuple => {
    const [x, y] = gcj ? (gcoord.transform([lng, lat], gcoord.WGS84, gcoord.GCJ02) as [number, number]) : [lng, lat];
    return [y, x];
  };
  /** A point on the map back as WGS-84 { lat, lng }. */
  const fromMap = (point: L.LatLng): { lat: number; lng: number } => {
    if (!gcj) return { lat: point.lat, lng: point.lng };
    const [lng, lat] = gcoord.transform([point.lng, point.lat], gcoord.GCJ02, gcoord.WGS84) as [number, number];
    return { lat, lng };
  };

  element.setAttribute("role", "region");
  element.setAttribute("aria-label", data.words.mapLabel);
  const map = L.map(element, { zoomSnap: 0.25, minZoom: 3, maxZoom: 19 });
  map.attributionControl.setPrefix(false);
  if (data.tiles) {
    L.tileLayer(data.tiles.url, { attribution: escapeText(data.tiles.attribution), maxZoom: 19, className: "map-tiles" }).addTo(map);
  } else {
    element.classList.add("map-plain");
  }

  // District names sit above the areas but under the pins and clusters (markers are at 600), so no name hides a case.
  const labels = map.createPane("district-labels");
  labels.style.zIndex = "450";
  labels.style.pointerEvents = "none";
  const areas = new Map<string, L.Polygon>();
  let all: L.LatLngBounds | undefined;
  for (const district of data.districts) {
    if (!district.boundary) continue;
    const area = L.polygon(
      district.boundary.map((ring) => ring.map(([lng, lat]) => toMap(lng, lat))),
      { className: `district-area district-${district.code}`, weight: 2, fillOpacity: 0.08 },
    ).addTo(map);
    area.bindTooltip(district.name[data.locale], {
      permanent: true,
      direction: "center",
      className: "district-label",
      pane: "district-labels",
    });
    // On the public map a click inside a district is a question, answered beside the map rather than in a popup.
    if (data.mode === "staff") area.bindPopup(districtPopup(district), { maxWidth: 320 });
    areas.set(district.code, area);
    all = all ? all.extend(area.getBounds()) : L.latLngBounds([]).extend(area.getBounds());
  }
  if (all?.isValid()) map.fitBounds(all, { padding: [12, 12] });
  else map.setView([0, 0], 3);

  const focusDistrict = (code: string) => {
    const area = areas.get(code);
    if (!area) return false;
    map.fitBounds(area.getBounds(), { padding: [12, 12] });
    if (data.mode === "staff") area.openPopup();
    return true;
  };
  for (const link of Array.from(document.querySelectorAll<HTMLAnchorElement>("a[data-district]"))) {
    link.addEventListener("click", (event) => {
      const code = link.dataset.district ?? "";
      if (!focusDistrict(code)) return;
      event.preventDefault();
      element.scrollIntoView({ block: "nearest" });
      element.focus();
    });
  }

  if (data.mode === "staff") showCases(data, map, toMap);
  else answerQuestions(data, map, [...areas.values()], fromMap, focusDistrict);
}

/** Fetches the member's cases and pins them, clustered, coloured by status, filtered by the status boxes. */
function showCases(page: StaffData, map: L.Map, toMap: (lng: number, lat: number) => L.LatLngTuple): void {
  const words = page.words;
  say(words.loading);
  const group = new MarkerClusterGroup({
    showCoverageOnHover: false,
    clusterLabel: (cluster: { getChildCount(): number }) => `${cluster.getChildCount()}`,
  }) as unknown as L.LayerGroup & {
    addLayers(layers: L.Marker[]): void;
    zoomToShowLayer(marker: L.Marker, done: () => void): void;
  };
  group.addTo(map);
  fetch(page.casesUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(async (response) => {
      if (!response.ok) throw new Error(String(response.status));
      return ((await response.json()) as { cases: Pin[] }).cases;
    })
    .then((pins) => {
      say("");
      const markers = pins.map((pin) => {
        const marker = L.marker(toMap(pin.lng, pin.lat), {
          icon: L.divIcon({ className: `case-pin case-pin-${pin.status}`, iconSize: [18, 18], iconAnchor: [9, 9] }),
          title: `${pin.ref} · ${words.statuses[pin.status]}`,
          keyboard: true,
        });
        marker.bindPopup(casePopup(pin, page));
        return { pin, marker };
      });
      const filter = document.getElementById("map-filter") as HTMLFieldSetElement | null;
      const shown = () => {
        const statuses = new Set(
          Array.from(filter?.querySelectorAll<HTMLInputElement>("input[name=status]") ?? [])
            .filter((box) => box.checked)
            .map((box) => box.value),
        );
        group.clearLayers();
        group.addLayers(markers.filter(({ pin }) => !filter || statuses.has(pin.status)).map(({ marker }) => marker));
      };
      if (filter) {
        filter.hidden = false;
        filter.addEventListener("change", shown);
      }
      shown();
      const focus = page.focus && markers.find(({ pin }) => pin.ref === page.focus);
      if (focus) group.zoomToShowLayer(focus.marker, () => focus.marker.openPopup());
    })
    .catch(() => say(words.loadFailed));
}

/** The public map: a search answered in place, and a click answered for the point clicked. */
function answerQuestions(
  page: PublicData,
  map: L.Map,
  areas: L.Polygon[],
  fromMap: (point: L.LatLng) => { lat: number; lng: number },
  focusDistrict: (code: string) => boolean,
): void {
  say(page.words.clickHint);
  const answer = document.getElementById("map-answer");
  const form = document.getElementById("map-search") as HTMLFormElement | null;
  const input = document.getElementById("map-q") as HTMLInputElement | null;
  let spot: L.CircleMarker | undefined;
  if (page.focus) focusDistrict(page.focus);

  // A searched place is brought into view; a clicked one is in view already and the map stays put.
  const ask = async (url: string, focus: boolean) => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      const body = (await response.json()) as Answer & { error?: { message: Bilingual } };
      show(body.error ? `<p class="error">${escapeText(body.error.message[page.locale])}</p>` : body.html);
      if (focus && body.districtCode) focusDistrict(body.districtCode);
    } catch {
      show(`<p class="error">${escapeText(page.words.loadFailed)}</p>`);
    }
  };
  // The answer is markup the server made from its own escaped template (the page's no-script answer uses it too).
  const show = (markup: string) => {
    if (!answer) return;
    answer.innerHTML = markup;
    answer.hidden = false;
  };

  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = input?.value ?? "";
    history.replaceState(null, "", `?q=${encodeURIComponent(q)}`);
    void ask(`${page.lookupUrl}?q=${encodeURIComponent(q)}`, true);
  });
  answer?.addEventListener("click", (event) => {
    const link = (event.target as HTMLElement).closest<HTMLAnchorElement>("a[data-place]");
    if (!link) return;
    event.preventDefault();
    void ask(`${page.lookupUrl}?place=${encodeURIComponent(link.dataset.place ?? "")}`, true);
  });
  const askAt = (event: L.LeafletMouseEvent) => {
    spot = spot
      ? spot.setLatLng([event.latlng.lat, event.latlng.lng])
      : L.circleMarker([event.latlng.lat, event.latlng.lng], { radius: 7, className: "map-spot", interactive: false }).addTo(map);
    const point = fromMap(event.latlng);
    void ask(`${page.atUrl}?lat=${point.lat.toFixed(6)}&lng=${point.lng.toFixed(6)}`, false);
  };
  // A click on a district's area reaches the area, not the map.
  map.on("click", askAt);
  for (const area of areas) area.on("click", askAt);
}

function districtPopup(district: District): HTMLElement {
  const { locale, words } = data;
  const box = document.createElement("div");
  box.className = "map-popup";
  add(box, "strong", district.name[locale]);
  add(box, "div", district.committee[locale]);
  const phone = add(box, "div", `${words.phone}: `);
  phone.append(telLink(district.officePhone));
  add(box, "div", `${words.hours}: ${district.officeHours[locale]}`);
  if (district.roadCommittees.length > 0) {
    add(box, "div", `${words.roadCommittees}:`);
    const list = add(box, "ul", "");
    for (const committee of district.roadCommittees) {
      const item = add(list, "li", `${committee.name[locale]} `);
      item.append(telLink(committee.phone));
    }
  }
  return box;
}

function casePopup(pin: Pin, page: StaffData): HTMLElement {
  const { locale, words } = page;
  const box = document.createElement("div");
  box.className = "map-popup";
  add(box, "strong", pin.ref);
  add(box, "div", `${words.category}: ${pin.category[locale]}`);
  const status = add(box, "div", `${words.status}: `);
  add(status, "span", words.statuses[pin.status]).className = `status status-${pin.status}`;
  const link = add(box, "a", words.openCase) as HTMLAnchorElement;
  link.href = `case?ref=${encodeURIComponent(pin.ref)}`;
  return box;
}

function add(parent: HTMLElement, tag: string, text: string): HTMLElement {
  const element = document.createElement(tag);
  element.textContent = text;
  parent.append(element);
  return element;
}

function telLink(phone: string): HTMLAnchorElement {
  const link = document.createElement("a");
  link.href = `tel:${phone.replace(/[^\d+]/g, "")}`;
  link.textContent = phone;
  return link;
}

function say(text: string): void {
  if (statusLine) statusLine.textContent = text;
}

/** Leaflet puts attributions in as markup; the configured text is shown as text. */
function escapeText(text: string): string {
  const element = document.createElement("span");
  element.textContent = text;
  return element.innerHTML;
}
