import type { Intent } from "./reading.ts";

/**
 * The built-in base vocabulary: words and phrases that, in any town, hint at
 * what a message asks for. Each group becomes one feature ("the message has a
 * classes cue"), whose weight the classifier learns from labelled messages, so
 * a cue is a hint, never a rule. Town-specific words (places, shops, courses,
 * category keywords) come from the town's data, not from here.
 *
 * Chinese cues match anywhere in the text; English cues match whole words
 * (with a plural or verb ending), so "smell" does not fire inside "smelly
 * fish" unless listed.
 */
export const INTENT_CUES: Readonly<Record<Intent, { zh: readonly string[]; en: readonly string[] }>> = {
  report: {
    zh: [
      "投诉", "举报", "反映一下", "反映个", "曝光", "有人在", "有人把", "有人往", "天天", "每天", "每晚", "又在", "一直在", "好几天",
      "没人管", "管管", "管一管", "管一下", "处理一下", "能不能管", "严重", "受不了", "烦死", "太过分", "乱", "占着", "堵着", "趴",
      "有没有人管", "没人处理", "太吵", "太臭", "脏死", "吓人", "危险"],
    en: ["complain", "complaint", "report", "someone", "somebody", "keeps", "every night", "again", "nobody", "blocking", "dumped", "there is", "there are", "broken", "blocked", "dumping", "smell", "stink", "nobody cleans"],
  },
  lookup: {
    zh: [
      "哪个片区", "哪一个片区", "什么片区", "归哪", "归谁", "谁管", "属于哪", "哪个居委", "居委会电话", "居委在哪", "路管会电话", "找谁", "联系谁",
      "电话多少", "办公时间", "几点上班", "在哪办", "片区", "居委", "网格", "管辖", "负责人是谁",
      "地址", "电话", "几点下班", "服务窗口", "办事大厅", "在什么地方", "在哪里", "哪个居委会", "找哪个"],
    en: ["which district", "what district", "who runs", "who manages", "who is in charge", "who covers", "committee", "contact", "office hours", "belong to", "which area", "opening hours", "service desk", "address", "phone number", "which committee", "in district", "who do i call"],
  },
  classes: {
    zh: ["报名", "课程", "上课", "课", "培训", "学院", "班", "讲座", "学习", "签到", "达人", "人才库", "技能", "特长", "开班", "名额", "学员", "请假", "候补", "上课时间", "几号上课", "开课", "报不上", "达人班", "专题班", "精品班", "轮训班"],
    en: ["class", "course", "sign up", "enrol", "enroll", "register", "training", "lecture", "academy", "talent", "check in", "workshop", "seminar", "lesson", "session", "sessions", "waitlist", "waiting list", "sign me up", "cancel my place"],
  },
  compact: {
    zh: ["公约", "签署", "签了", "签约", "承诺书", "店主", "商户", "绑定", "邀请码", "我的店", "我们店", "本店", "签好了", "签好", "签字", "签名", "确认签", "绑店", "店铺绑定"],
    en: ["compact", "signed", "signing", "pledge", "shop owner", "my shop", "our shop", "invitation code", "bind", "merchant", "link my shop", "sign it", "my store", "our store", "shop code"],
  },
  myReports: {
    zh: [
      "之前", "上次", "前几天", "我反映的", "我举报的", "我投诉的", "我报的", "处理得怎么样", "处理的怎么样", "进度", "结果", "有回复", "有没有回复", "处理了吗",
      "怎么样了", "还没处理", "没消息", "没下文", "查一下我的", "我的举报", "我的投诉", "编号",
      "有人管了没", "有结果了吗", "撤回", "撤销", "我昨天的", "收到了吗", "我发的", "我提交的", "跟进"],
    en: ["my report", "my complaint", "status", "progress", "update on", "what happened", "follow up", "any news", "reported earlier", "last week", "i reported", "reference", "my reports", "i've made", "i made", "i sent", "i submitted", "withdraw", "any update"],
  },
  staffCases: {
    zh: ["工单", "案子", "案件", "待处理", "待办", "未处理", "认领", "派单", "办结", "超期", "逾期", "结案", "我们片区有多少", "还有多少", "单子", "几单", "几件", "分给我", "分配给我", "未认领", "没认领", "结了几", "处理率", "超时"],
    en: ["case", "cases", "ticket", "tickets", "open cases", "pending", "assigned", "claim", "overdue", "backlog", "to handle", "still open", "across the town", "my queue", "assigned to me", "unclaimed", "resolved this week"],
  },
  help: {
    zh: ["怎么用", "怎么操作", "能做什么", "能干什么", "有什么功能", "帮助", "使用说明", "怎么举报", "教程", "不会用", "菜单", "功能", "干嘛的", "是什么", "你能干嘛", "你会什么", "发位置", "发照片", "发语音", "机器人", "这是啥", "怎么弄", "怎么切换", "英文", "语言", "不会弄"],
    en: ["help", "how do i", "how to use", "what can you do", "instructions", "menu", "how does this work", "what is this", "what can this bot do", "how do i report", "send a photo", "send my location", "language", "english", "are you a bot"],
  },
  greeting: {
    zh: ["你好", "您好", "在吗", "谢谢", "感谢", "多谢", "辛苦了", "早上好", "晚上好", "下午好", "再见", "拜拜", "好的", "收到", "哈喽", "嗨", "侬好", "哈啰", "早安", "晚安", "拜", "谢了", "麻烦你们了", "麻烦了", "好嘞"],
    en: ["hi", "hello", "hey", "thanks", "thank you", "good morning", "good evening", "bye", "cheers", "ok", "good night", "thx", "ty", "much appreciated"],
  },
  outOfRemit: {
    zh: [
      "漏水", "物业", "社保", "医保", "户口", "落户", "公积金", "个税", "交税", "快递", "天气", "看病", "医院", "挂号", "房租", "租房", "房东", "家里", "卫生间",
      "马桶", "吵架", "离婚", "工资", "拖欠", "养老金", "签证", "护照", "入学", "招聘", "找工作", "买房", "股票", "外卖", "水管", "停水", "停电", "网费", "宽带",
      "养老院", "邻居", "地板", "下水道堵", "驿站", "下雨", "小学", "幼儿园", "发烧", "居住证", "退休", "低保", "房产证", "车险", "违章", "燃气", "暖气", "空调坏", "电梯坏"],
    en: ["tax", "weather", "visa", "passport", "hospital", "doctor", "parcel", "delivery", "rent", "landlord", "salary", "leak", "leaking", "insurance", "pension", "school", "job", "bathroom", "toilet", "wifi", "fever", "residence permit", "kindergarten", "pension", "refund", "elevator", "lift", "gas bill", "electricity bill", "neighbour upstairs"],
  },
};
