import type { Catalog } from "./catalog.ts";

/** English, the second language; it must say everything the Chinese catalog says. */
export const en: Catalog = {
  menu: {
    text: "Hello, I am Linli (邻里), your community assistant. What would you like to do?",
    lookup: "🏘 Who runs my district",
    help: "❓ Help",
    switchLanguage: "🌐 中文",
  },
  help: [
    "Linli can help you with:",
    "· Who runs my district: type your neighbourhood or estate name, a road and house number, or share your location, to find your district, its governance committee, your residents' committee and the road management committee.",
    "",
    "Commands:",
    "/start main menu",
    "/lookup who runs my district",
    "/lang switch language",
    "/cancel cancel what you are doing",
    "/help this help",
  ].join("\n"),
  cancel: {
    done: "Cancelled. Send /start for the main menu.",
    nothing: "There is nothing to cancel. Send /start for the main menu.",
  },
  lang: {
    prompt: "请选择语言 / Please choose a language:",
    set: "Language set to English.",
  },
  unknownCommand: (command) => `There is no “/${command}” command. Send /help to see the commands.`,
  session: {
    expired: "Our last conversation was idle for a long time, so we are starting again.",
    reset: "Linli was just updated and your unfinished conversation has to start again. Sorry about that.",
  },
  errors: {
    generic: "Sorry, something went wrong while handling your message. Please try again in a moment. Anything you already submitted is safe.",
    unavailable: "The service is temporarily unavailable. Please try again in a little while.",
    staleChoice: "That button has expired; please use the latest message.",
  },
  lookup: {
    prompt: "Tell me your neighbourhood or estate name, or a road and house number (e.g. “永德路12号”, 12 Yongde Road), or share your location.",
    shareLocation: "📍 Share my location",
    ambiguous: "I found several places. Which one do you mean?",
    notFound: (query) => `I could not find “${query}”. Please check the name or try another way (an estate name, or road and house number).`,
    suggestions: "Did you mean:",
    townOffice: (name, phone, hours) => `You can also contact the ${name}: ☎ ${phone} (${hours})`,
    outsideTown: (town) => `That location is outside ${town}; Linli only serves ${town} for now.`,
    unknownHouseNumber: (road, houseNumber) => `There is no record of No. ${houseNumber} on ${road}. Pick a section below or type the house number again:`,
    expectText: "Please type a neighbourhood or road name, or share your location.",
    tooLong: "That is too long. Please type just the neighbourhood or road name (under 100 characters).",
    empty: "I did not see any text. Please type a neighbourhood or road name.",
    again: "🔎 Look up another place",
    mainMenu: "🏠 Main menu",
    answer: {
      belongsTo: (place, district) => `📍 ${place} belongs to【${district}】`,
      located: (district) => `📍 The location you shared belongs to【${district}】`,
      roadPlace: (road, houseNumber) => (houseNumber === null ? road : `No. ${houseNumber}, ${road}`),
      committee: (name) => `🏛 ${name}`,
      roles: { DIRECTOR: "Director", DEPUTY_DIRECTOR: "Full-time deputy director", ENFORCEMENT: "Law enforcement", MANAGEMENT: "Management" },
      member: (role, title, contact) => `· ${role}: ${title}${contact ? ` (${contact})` : ""}`,
      office: (phone, hours) => `☎ Office: ${phone} (${hours})`,
      address: (address) => `🏢 Office address: ${address}`,
      neighbourhood: (name, phone, address) => `🏘 Residents' committee: ${name} ☎ ${phone}, ${address}`,
      party: (name) => `🚩 Party organisation: ${name}`,
      roadCommittee: (name, phone) => `🛣 Road management committee: ${name} ☎ ${phone}`,
      sample: "⚠️ This is sample data: the contacts are examples, not real numbers.",
    },
  },
};
