// Leaflet 1.9 ships no types: this declares the part of its API the console's map script uses.
declare module "leaflet" {
  export type LatLngTuple = [number, number];
  export interface LatLng {
    lat: number;
    lng: number;
  }
  export interface LatLngBounds {
    isValid(): boolean;
    extend(other: LatLngBounds | LatLngTuple): LatLngBounds;
  }
  export interface LeafletMouseEvent {
    latlng: LatLng;
  }
  export interface Layer {
    addTo(map: Map | LayerGroup): this;
    bindPopup(content: HTMLElement | string, options?: { maxWidth?: number }): this;
    openPopup(): this;
    bindTooltip(content: string, options?: { permanent?: boolean; direction?: "center" | "auto"; className?: string }): this;
    on(event: string, handler: (event: LeafletMouseEvent) => void): this;
    remove(): this;
  }
  export interface Path extends Layer {
    getBounds(): LatLngBounds;
    setStyle(style: { className?: string; weight?: number; fillOpacity?: number }): this;
  }
  export interface Marker extends Layer {
    getLatLng(): LatLng;
    setLatLng(latlng: LatLngTuple): this;
  }
  export interface LayerGroup extends Layer {
    clearLayers(): this;
    addLayer(layer: Layer): this;
  }
  export interface Map {
    fitBounds(bounds: LatLngBounds, options?: { padding?: [number, number]; maxZoom?: number }): this;
    setView(center: LatLngTuple, zoom: number): this;
    on(event: string, handler: (event: LeafletMouseEvent) => void): this;
    getContainer(): HTMLElement;
    attributionControl: { addAttribution(text: string): void; setPrefix(prefix: string | false): void };
  }
  export interface PathOptions {
    className?: string;
    weight?: number;
    fillOpacity?: number;
  }
  export function map(
    element: HTMLElement,
    options?: { zoomSnap?: number; minZoom?: number; maxZoom?: number; keyboard?: boolean; attributionControl?: boolean },
  ): Map;
  export function polygon(rings: LatLngTuple[][], options?: PathOptions): Path;
  export function circleMarker(at: LatLngTuple, options?: PathOptions & { radius?: number; interactive?: boolean }): Marker;
  export function marker(at: LatLngTuple, options?: { icon?: DivIcon; title?: string; keyboard?: boolean; alt?: string }): Marker;
  export function divIcon(options: {
    className: string;
    html?: string;
    iconSize?: [number, number];
    iconAnchor?: [number, number];
  }): DivIcon;
  export function latLngBounds(points: LatLngTuple[]): LatLngBounds;
  export function tileLayer(
    template: string,
    options: { attribution?: string; subdomains?: string; maxZoom?: number; className?: string },
  ): Layer;
  export interface DivIcon {
    readonly divIcon: true;
  }
}
