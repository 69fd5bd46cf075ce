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
    ],
    en: ["complain", "complaint", "report", "someone", "somebody", "keeps", "every night", "again", "nobody", "blocking", "dumped", "there is", "there are"],
  },
  lookup: {
    zh: [
      "哪个片区", "哪一个片区", "什么片区", "归哪", "归谁", "谁管", "属于哪", "哪个居委", "居委会电话", "居委在哪", "路管会电话", "找谁", "联系谁",
      "电话多少", "办公时间", "几点上班", "在哪办", "片区", "居委", "网格", "管辖", "负责人是谁",
    ],
    en: ["which district", "what district", "who runs", "who manages", "who is in charge", "who covers", "committee", "contact", "office hours", "belong to", "which area"],
  },
  classes: {
    zh: ["报名", "课程", "上课", "课", "培训", "学院", "班", "讲座", "学习", "签到", "达人", "人才库", "技能", "特长", "开班", "名额", "学员"],
    en: ["class", "course", "sign up", "enrol", "enroll", "register", "training", "lecture", "academy", "talent", "check in", "workshop", "seminar", "lesson"],
  },
  compact: {
    zh: ["公约", "签署", "签了", "签约", "承诺书", "店主", "商户", "绑定", "邀请码", "我的店", "我们店", "本店"],
    en: ["compact", "signed", "signing", "pledge", "shop owner", "my shop", "our shop", "invitation code", "bind", "merchant"],
  },
  myReports: {
    zh: [
      "之前", "上次", "前几天", "我反映的", "我举报的", "我投诉的", "我报的", "处理得怎么样", "处理的怎么样", "进度", "结果", "有回复", "有没有回复", "处理了吗",
      "怎么样了", "还没处理", "没消息", "没下文", "查一下我的", "我的举报", "我的投诉", "编号",
    ],
    en: ["my report", "my complaint", "status", "progress", "update on", "what happened", "follow up", "any news", "reported earlier", "last week", "i reported", "reference"],
  },
  staffCases: {
    zh: ["工单", "案子", "案件", "待处理", "待办", "未处理", "认领", "派单", "办结", "超期", "逾期", "结案", "我们片区有多少", "还有多少"],
    en: ["case", "cases", "ticket", "tickets", "open cases", "pending", "assigned", "claim", "overdue", "backlog", "to handle"],
  },
  help: {
    zh: ["怎么用", "怎么操作", "能做什么", "能干什么", "有什么功能", "帮助", "使用说明", "怎么举报", "教程", "不会用", "菜单", "功能", "干嘛的", "是什么"],
    en: ["help", "how do i", "how to use", "what can you do", "instructions", "menu", "how does this work", "what is this"],
  },
  greeting: {
    zh: ["你好", "您好", "在吗", "谢谢", "感谢", "多谢", "辛苦了", "早上好", "晚上好", "下午好", "再见", "拜拜", "好的", "收到", "哈喽", "嗨"],
    en: ["hi", "hello", "hey", "thanks", "thank you", "good morning", "good evening", "bye", "cheers", "ok"],
  },
  outOfRemit: {
    zh: [
      "漏水", "物业", "社保", "医保", "户口", "落户", "公积金", "个税", "交税", "快递", "天气", "看病", "医院", "挂号", "房租", "租房", "房东", "家里", "卫生间",
      "马桶", "吵架", "离婚", "工资", "拖欠", "养老金", "签证", "护照", "入学", "招聘", "找工作", "买房", "股票", "外卖", "水管", "停水", "停电", "网费", "宽带",
    ],
    en: ["tax", "weather", "visa", "passport", "hospital", "doctor", "parcel", "delivery", "rent", "landlord", "salary", "leak", "leaking", "insurance", "pension", "school", "job", "bathroom", "toilet", "wifi"],
  },
};
