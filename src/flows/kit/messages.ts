/** Languages every user-facing sentence exists in; Simplified Chinese comes first. */
export const LOCALES = ["zh", "en"] as const;
export type Locale = (typeof LOCALES)[number];

/** The channels Linli speaks; a flow never branches on this. */
export type ChannelId = "telegram" | "web" | "wecom";

/**
 * What the user sent, already parsed by the channel. `unsupported` carries the
 * channel's own kind (sticker, voice, …) so a flow can say politely what it expects.
 */
export type InboundPayload =
  | { type: "text"; text: string }
  | { type: "choice"; value: string }
  | { type: "location"; latitude: number; longitude: number }
  | { type: "photo"; fileId: string; mimeType?: string; sizeBytes?: number }
  | { type: "command"; command: string; args: string }
  | { type: "unsupported"; kind: string };

/** One update from any channel, in the shape every flow understands. */
export interface InboundEvent {
  channel: ChannelId;
  /** The sender, stable across chats on that channel. */
  userId: string;
  /** Where the answer goes; equals userId in private chats on most channels. */
  chatId: string;
  chatType: "private" | "group";
  /** The channel's own id for this delivery; a second delivery with the same id is ignored. */
  messageId: string;
  /** The language the user's client reports, used until they choose one with /lang. */
  localeHint?: Locale;
  /**
   * Where the message came from, when an identity there costs nothing to make
   * (the web chat's client address): allowances that must hold however many
   * identities someone makes up are counted by it. Channels whose accounts are
   * costly to make leave it out.
   */
  origin?: string;
  payload: InboundPayload;
}

/** A button of a choices message. `value` travels back as a `choice` payload. */
export interface ChoiceOption {
  label: string;
  /** At most {@link MAX_CHOICE_VALUE_BYTES} bytes, so it fits Telegram's callback data. */
  value: string;
}

export const MAX_CHOICE_VALUE_BYTES = 64;

/**
 * What a flow asks a channel to show. Channels narrow these to what they can
 * render (length limits, keyboards or numbered text) but never drop meaning.
 */
export type OutboundMessage =
  | { type: "text"; text: string }
  | { type: "choices"; text: string; options: ChoiceOption[] }
  | { type: "locationRequest"; text: string; buttonLabel: string }
  /** A photo from Linli's media store (a report's photo, a resolution photo), by media id. */
  | { type: "photo"; mediaId: string; caption?: string }
  | { type: "link"; text: string; url: string; label: string }
  /**
   * Replaces a message sent earlier to the same chat (`messageRef`: the channel's
   * id for it, as the outbox recorded it), e.g. a group alert showing its new
   * status and buttons. Channels that cannot edit send it as a new message.
   */
  | { type: "replace"; messageRef: string; text: string; options: ChoiceOption[] }
  /**
   * A short acknowledgement of a button press ("已认领", "只有本片区工作人员可以操作").
   * Telegram shows it as the button's pop-up, without a message in the chat;
   * other channels send it as plain text.
   */
  | { type: "notice"; text: string }
  /**
   * A file to download (a roster as CSV), its bytes as base64 so the message
   * stays plain JSON. Telegram sends a document; the web chat offers a download.
   */
  | { type: "document"; fileName: string; mimeType: string; contentBase64: string; caption: string };
