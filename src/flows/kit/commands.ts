import type { Locale } from "./messages.ts";

/**
 * The commands every channel advertises in its menu, with their descriptions in
 * each locale. The dispatcher and the flows own what the commands do; channels
 * only publish this list (Telegram's setMyCommands, the web chat's help).
 */
export const COMMAND_MENU: readonly { command: string; description: Record<Locale, string> }[] = [
  { command: "start", description: { zh: "主菜单", en: "Main menu" } },
  { command: "lookup", description: { zh: "谁管我这片：查片区、居委会和路管会", en: "Who runs my district: find your district, residents' committee and road committee" } },
  { command: "classes", description: { zh: "社区课程：查看和报名治理学院的课程", en: "Community classes: browse and sign up for the academy's classes" } },
  { command: "myclasses", description: { zh: "我的课程：签到码、上课时间、取消报名", en: "My classes: check-in code, next session, cancel" } },
  { command: "talent", description: { zh: "加入社区人才资源库", en: "Join the community talent pool" } },
  { command: "compact", description: { zh: "街区公约：各路商户签署情况；商户查看和签署公约", en: "Street compact: how many shops on each road have signed; shops read and sign it" } },
  { command: "shop", description: { zh: "商户：输入邀请码绑定店铺", en: "Shops: bind your shop with its invitation code" } },
  { command: "shopreports", description: { zh: "商户：关于本店的举报及回复", en: "Shops: reports about your shop, and your answers" } },
  { command: "help", description: { zh: "使用帮助", en: "How to use Linli" } },
  { command: "lang", description: { zh: "切换语言 / Switch language", en: "Switch language / 切换语言" } },
  { command: "cancel", description: { zh: "取消当前操作", en: "Cancel what you are doing" } },
];
