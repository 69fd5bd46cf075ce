import { z } from "zod";
import { parseLocalDate } from "../time/zone.ts";

/*
 * The town-data file: one town's grid map (districts, their committees,
 * neighbourhoods, roads with house-number segments, road committees), the
 * report categories of its street compact and the merchants on its roads. The
 * town maintains it; Linli validates it here before a single row is written. Every
 * message is bilingual because the people who fix the file read Chinese first.
 */

/** Editor help text: Chinese first, English second, shown by YAML editors through the JSON Schema. */
function help(zh: string, en: string): string {
  return `${zh}\n${en}`;
}

const text = (zh: string, en: string) => z.string().trim().min(1).describe(help(zh, en));

const code = (zh: string, en: string) =>
  z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "代码只能由小写字母、数字和 - 组成 / a code is lowercase letters, digits and -")
    .describe(help(zh, en));

// Same rule as TOWN_CODE in src/config.ts, so any file's town can be selected by configuration.
const townCode = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9-]{1,31}$/, "镇代码须为小写字母开头的代码，如 qinghe / the town code must be a lowercase code such as qinghe")
  .describe(help("镇代码，与配置项 TOWN_CODE 一致，如 qinghe", "Town code, matching the TOWN_CODE setting, e.g. qinghe"));

const phone = (zh: string, en: string) =>
  z
    .string()
    .trim()
    .regex(/^[0-9+()\- ]{3,40}$/, "电话号码只能包含数字、空格和 + - ( ) / a phone number holds digits, spaces and + - ( ) only")
    .describe(help(zh, en));

const aliases = (zh: string, en: string) => z.array(z.string().trim().min(1)).default([]).describe(help(zh, en));

/** Working minutes an unclaimed report of a category waits before escalation when the file does not say (2 working hours, issue 4). */
export const ESCALATE_AFTER_MINUTES_DEFAULT = 120;
/** Working days to close a case of a category when the file does not say (issue 4). */
export const DEADLINE_WORKING_DAYS_DEFAULT = 3;
// Upper bounds that catch a unit mistake (hours typed as minutes times sixty, a year of days) without getting in a town's way.
const MAX_ESCALATE_AFTER_MINUTES = 30 * 24 * 60;
const MAX_DEADLINE_WORKING_DAYS = 250;

/** The code of the fallback category every town must have, for reports that fit no other. */
export const FALLBACK_CATEGORY_CODE = "other";

// Lower-case in the file because that is how people write it; the database enum is upper-case.
const PARITIES = ["all", "odd", "even"] as const;

// Same names as the CommitteeRole enum of the database, so no mapping can go wrong.
const COMMITTEE_ROLES = ["DIRECTOR", "DEPUTY_DIRECTOR", "ENFORCEMENT", "MANAGEMENT"] as const;

const position = z
  .tuple([
    z.number().min(-180).max(180).describe(help("经度（WGS-84）", "Longitude (WGS-84)")),
    z.number().min(-90).max(90).describe(help("纬度（WGS-84）", "Latitude (WGS-84)")),
  ])
  .describe(
    help(
      "坐标点 [经度, 纬度]，WGS-84（GPS 坐标，不是 GCJ-02 或 BD-09）",
      "A point [longitude, latitude] in WGS-84 (GPS coordinates, not GCJ-02 or BD-09)",
    ),
  );

type Position = z.output<typeof position>;

const samePosition = (a: Position, b: Position) => a[0] === b[0] && a[1] === b[1];

const ring = z
  .array(position)
  .superRefine((points, ctx) => {
    const open = points.length > 1 && samePosition(points[0]!, points[points.length - 1]!) ? points.slice(0, -1) : points;
    const distinct = new Set(open.map(([lng, lat]) => `${lng},${lat}`));
    if (distinct.size < 3) {
      ctx.addIssue({
        code: "custom",
        message: `边界环至少需要 3 个不同的点，现有 ${distinct.size} 个 / a boundary ring needs at least 3 distinct points, it has ${distinct.size}`,
      });
      return;
    }
    // Shoelace formula: zero area means every point lies on one line, which encloses nothing.
    let twiceArea = 0;
    for (let i = 0; i < open.length; i++) {
      const [x1, y1] = open[i]!;
      const [x2, y2] = open[(i + 1) % open.length]!;
      twiceArea += x1 * y2 - x2 * y1;
    }
    if (Math.abs(twiceArea) < 1e-12) {
      ctx.addIssue({
        code: "custom",
        message: "边界环的点在一条直线上，无法围成区域 / the boundary ring's points lie on one line and enclose no area",
      });
    }
  })
  // Point-in-polygon code can rely on closed rings whether or not the file repeats the first point.
  .transform((points) => (samePosition(points[0]!, points[points.length - 1]!) ? points : [...points, points[0]!]))
  .describe(
    help(
      "一个闭合环：首尾点可相同也可不同，导入时自动闭合",
      "One ring; the first point may or may not be repeated at the end, import closes it",
    ),
  );

const boundary = z
  .array(ring)
  .min(1)
  .describe(
    help(
      "片区边界多边形（可选）：第一个环为外边界，其余为内部空洞；坐标为 WGS-84 [经度, 纬度]",
      "District boundary polygon (optional): the first ring is the outline, further rings are holes; WGS-84 [longitude, latitude]",
    ),
  );

const member = z
  .strictObject({
    role: z
      .enum(COMMITTEE_ROLES)
      .describe(
        help(
          "职位：DIRECTOR 主任、DEPUTY_DIRECTOR 专职副主任、ENFORCEMENT 执法力量、MANAGEMENT 管理力量",
          "Role: DIRECTOR, DEPUTY_DIRECTOR (full-time), ENFORCEMENT (law-enforcement forces), MANAGEMENT (management forces)",
        ),
      ),
    title: text("职务名称，如“第一片区治理委员会主任”", "Title in Chinese, e.g. 第一片区治理委员会主任"),
    titleEn: text("职务英文名称", "Title in English, e.g. Director, District 1 Governance Committee"),
    personName: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe(help("姓名（可选，仅在公开信息中有时填写）", "Person's name (optional; only when it is published)")),
    contact: z.string().trim().min(1).optional().describe(help("联系方式（可选）", "Contact (optional)")),
  })
  .describe(help("片区治理委员会成员", "A seat on the district committee"));

const district = z
  .strictObject({
    code: code("片区代码，文件内唯一，如 d1", "District code, unique in the file, e.g. d1"),
    name: text("片区名称，如“第一片区”", "District name in Chinese, e.g. 第一片区"),
    nameEn: text("片区英文名称", "District name in English, e.g. District 1"),
    committeeName: text("片区治理委员会名称", "Name of the district governance committee in Chinese"),
    committeeNameEn: text("片区治理委员会英文名称", "Name of the district governance committee in English"),
    officePhone: phone("片区办公室电话", "District office phone"),
    officeHours: text("办公时间", "Office hours in Chinese"),
    officeHoursEn: text("办公时间（英文）", "Office hours in English"),
    officeAddress: text("办公地址", "Office address"),
    boundary: boundary.optional(),
    members: z
      .array(member)
      .describe(
        help(
          "委员会成员：恰好 1 名主任、1 名专职副主任，以及执法和管理力量",
          "Committee seats: exactly one DIRECTOR, one DEPUTY_DIRECTOR, plus enforcement and management members",
        ),
      ),
  })
  .describe(help("片区及其片区治理委员会", "A district and its governance committee"));

const neighbourhood = z
  .strictObject({
    code: code("居民区代码，文件内唯一", "Neighbourhood code, unique in the file"),
    name: text("居民区名称，如“XX居民区”", "Neighbourhood name in Chinese, e.g. XX居民区"),
    nameEn: text("居民区英文名称", "Neighbourhood name in English"),
    aliases: aliases("别名：居民常用的叫法，如“XX小区”", "Aliases residents use, e.g. XX小区"),
    district: code("所属片区代码", "Code of the district the neighbourhood belongs to"),
    committeeName: text("居委会名称", "Name of the residents' committee in Chinese"),
    committeeNameEn: text("居委会英文名称", "Name of the residents' committee in English"),
    committeePhone: phone("居委会电话", "Residents' committee phone"),
    committeeAddress: text("居委会地址", "Residents' committee address"),
    partyOrganisation: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe(help("居民区党组织名称（可选）", "Name of the neighbourhood party organisation (optional)")),
  })
  .describe(help("居民区及其居委会", "A neighbourhood and its residents' committee"));

const roadCommittee = z
  .strictObject({
    code: code("路管会代码，文件内唯一", "Road committee code, unique in the file"),
    name: text("路管会名称", "Road committee name in Chinese"),
    nameEn: text("路管会英文名称", "Road committee name in English"),
    officePhone: phone("路管会电话", "Road committee phone"),
    officeAddress: text("路管会地址", "Road committee address"),
    roads: z
      .array(code("道路代码", "Road code"))
      .min(1)
      .describe(
        help(
          "该路管会负责的道路代码；每条道路恰好由一个路管会负责",
          "Codes of the roads this committee covers; every road is covered by exactly one committee",
        ),
      ),
  })
  .describe(help("路管会", "A road management committee"));

const segment = z
  .strictObject({
    from: z.number().int().min(1).describe(help("起始门牌号（含）", "First house number (inclusive)")),
    to: z.number().int().min(1).describe(help("结束门牌号（含）", "Last house number (inclusive)")),
    parity: z.enum(PARITIES).default("all").describe(help("门牌范围：all 全部、odd 单号、even 双号", "Which numbers: all, odd or even")),
    district: code("该路段所属片区代码", "Code of the district this stretch lies in"),
    neighbourhood: code(
      "该路段所属居民区代码（可选，须属于同一片区）",
      "Code of the neighbourhood of this stretch (optional, must be in the same district)",
    ).optional(),
  })
  .describe(help("一段门牌号及其所属片区", "A run of house numbers and the district it lies in"));

const road = z
  .strictObject({
    code: code("道路代码，文件内唯一", "Road code, unique in the file"),
    name: text("道路名称，如“XX路”", "Road name in Chinese, e.g. XX路"),
    nameEn: text("道路英文名称", "Road name in English, e.g. XX Road"),
    aliases: aliases("别名，如“XX”", "Aliases, e.g. XX"),
    segments: z
      .array(segment)
      .min(1)
      .describe(help("门牌号分段；同一道路上同单双号的分段不得重叠", "House-number segments; segments of one road must not overlap")),
  })
  .describe(help("道路", "A road"));

const clause = z
  .strictObject({
    ref: text("公约条款编号，如“第三条”", "Clause number in Chinese, e.g. 第三条"),
    text: text("条款内容（中文），在选择类别时展示给居民", "Clause text in Chinese, shown to residents with the category"),
    textEn: text("条款内容（英文）", "Clause text in English"),
  })
  .describe(help("该类别所依据的街区公约条款", "The street-compact clause this category enforces"));

const routeTo = z
  .strictObject({
    roadCommittee: code("改派到该路管会（代码）", "Send reports to this road committee (code)").optional(),
    district: code(
      "改派到该片区的治理委员会（片区代码）",
      "Send reports to this district's governance committee (district code)",
    ).optional(),
  })
  .superRefine((target, ctx) => {
    if ((target.roadCommittee === undefined) === (target.district === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "routeTo 须且只能填写 roadCommittee 或 district 其中之一 / routeTo needs exactly one of roadCommittee or district",
      });
    }
  })
  .describe(
    help(
      "按类别改派（可选）：填写 roadCommittee 或 district 之一，该类别的举报一律送到这里，而不是按道路或片区的常规路线",
      "Per-category routing (optional): exactly one of roadCommittee or district; reports of this category always go there instead of the usual route by road or district",
    ),
  );

/** Longer examples are pastes, not the way a resident writes one message. */
const MAX_EXAMPLE_LENGTH = 200;

const category = z
  .strictObject({
    code: code(
      `举报类别代码，文件内唯一；必须有一个 ${FALLBACK_CATEGORY_CODE}（其他）`,
      `Report category code, unique in the file; one must be ${FALLBACK_CATEGORY_CODE}`,
    ),
    name: text("类别名称，如“占道经营”", "Category name in Chinese, e.g. 占道经营"),
    nameEn: text("类别英文名称", "Category name in English, e.g. Occupying the pavement to trade"),
    clause,
    keywords: z
      .array(z.string().trim().min(1))
      .default([])
      .describe(
        help(
          "居民描述问题时常用的词（中英文均可），用于根据文字推荐类别，如“摆摊”“占道”",
          "Words residents use when describing the problem (Chinese or English), used to suggest the category from free text, e.g. 摆摊, stall",
        ),
      ),
    examples: z
      .array(z.string().trim().min(1).max(MAX_EXAMPLE_LENGTH))
      .default([])
      .describe(
        help(
          "居民反映这类问题时可能发的原话（可选），用于理解居民用自己的话描述的问题，如“店门口又支了张桌子卖水果”",
          "Messages as residents would write them about this problem (optional), so Linli understands it in residents' own words, e.g. 店门口又支了张桌子卖水果",
        ),
      ),
    excludes: z
      .array(z.string().trim().min(1))
      .default([])
      .describe(
        help(
          "出现时说明不是这一类的词（可选），如环境卫生类的“卫生间”",
          "Words whose presence means the message is not about this category (optional), e.g. 卫生间 (a bathroom) for street sanitation",
        ),
      ),
    routeTo: routeTo.optional(),
    escalateAfterMinutes: z
      .number()
      .int()
      .min(1)
      .max(MAX_ESCALATE_AFTER_MINUTES)
      // Optional rather than defaulted, so data built in code need not spell it out; import applies the default.
      .optional()
      .describe(
        help(
          `无人认领多少个工作分钟后升级到片区主任群（可选，默认 ${ESCALATE_AFTER_MINUTES_DEFAULT}，即 2 个工作小时）`,
          `Working minutes an unclaimed report waits before it is escalated to the director's group (optional; ${ESCALATE_AFTER_MINUTES_DEFAULT}, i.e. 2 working hours, by default)`,
        ),
      ),
    deadlineWorkingDays: z
      .number()
      .int()
      .min(1)
      .max(MAX_DEADLINE_WORKING_DAYS)
      .optional()
      .describe(
        help(
          `处理时限：提交后多少个工作日内应办结，逾期提醒工作群（可选，默认 ${DEADLINE_WORKING_DAYS_DEFAULT}）`,
          `Deadline: working days after submission by which a case should be closed; past it the staff groups are reminded (optional; ${DEADLINE_WORKING_DAYS_DEFAULT} by default)`,
        ),
      ),
  })
  .describe(help("举报类别：街区公约中的一类违约行为", "A report category: one kind of street-compact violation"));

const merchant = z
  .strictObject({
    code: code("商户代码，文件内唯一", "Merchant code, unique in the file"),
    name: text("商户名称（店招上的名称）", "Shop name in Chinese, as on its sign"),
    nameEn: text("商户英文名称", "Shop name in English"),
    road: code("商户所在道路代码", "Code of the road the shop is on"),
    houseNumber: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(help("门牌号（可选），须落在该道路的某个门牌分段内", "House number (optional); must lie in one of the road's segments")),
    address: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe(
        help(
          "地址（可选），店招或执照上的写法比道路加门牌更详细时填写",
          "Address (optional), when the sign or licence says more than road and number",
        ),
      ),
    licenceNumber: z
      .string()
      .trim()
      .regex(
        /^[0-9A-Za-z-]{6,30}$/,
        "营业执照号或统一社会信用代码只能由字母、数字和 - 组成（6–30 位） / a licence number is 6–30 letters, digits and -",
      )
      .optional()
      .describe(help("营业执照号或统一社会信用代码（可选）", "Business licence number or unified social credit code (optional)")),
    contactName: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .optional()
      .describe(help("联系人（可选，仅工作人员可见）", "Contact person (optional; shown to staff only)")),
    contactPhone: phone("联系电话（可选，仅工作人员可见）", "Contact phone (optional; shown to staff only)").optional(),
  })
  .describe(help("道路上的商户，居民举报时可指明涉及的店铺", "A shop on a road, which a report can name"));

const BAD_DATE = "日期须写成 YYYY-MM-DD 且真实存在，如 2026-10-01 / a date is written YYYY-MM-DD and must exist, e.g. 2026-10-01";

const localDate = (zh: string, en: string) =>
  z
    .string()
    .trim()
    // The pattern reaches editors through the JSON Schema; the refinement also catches 2026-02-30.
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: BAD_DATE, abort: true })
    .refine((value) => parseLocalDate(value) !== undefined, BAD_DATE)
    .describe(help(zh, en));

const codeList = (zh: string, en: string) => z.array(code(zh, en)).default([]).describe(help(zh, en));

const compactClause = z
  .strictObject({
    ref: text(
      "条款编号，如“第二条”，文件内唯一；举报类别的 clause.ref 引用它",
      "Clause number in Chinese, e.g. 第二条, unique in the file; categories' clause.ref refer to it",
    ),
    text: text("条款内容（中文）", "Clause text in Chinese"),
    textEn: text("条款内容（英文）", "Clause text in English"),
  })
  .describe(help("街区公约的一条", "One clause of the street compact"));

const compact = z
  .strictObject({
    title: text("公约名称，如“XX路街区自治公约”", "Compact title in Chinese, e.g. XX路街区自治公约"),
    titleEn: text("公约英文名称", "Compact title in English"),
    effectiveFrom: localDate("生效日期（YYYY-MM-DD，当地时间零点起生效）", "Date it takes effect (YYYY-MM-DD, from local midnight)"),
    clauses: z.array(compactClause).min(1).describe(help("条款，按编号顺序排列", "The clauses, in order")),
  })
  .describe(
    help(
      "街区公约（可选）：商户在聊天中签署。内容（名称和条款）改变后导入会生成新版本，已签署的商户会被请求重新签署；内容不变则不生成新版本",
      "The street compact (optional): merchants acknowledge it in the chat. Changed content (title or clauses) makes a new version on import and signed shops are asked to acknowledge again; unchanged content makes none",
    ),
  );

const alertDestination = z
  .strictObject({
    code: code("告警群代码，文件内唯一", "Alert destination code, unique in the file"),
    name: text("告警群名称，如“第二片区工作群”", "Name of the group, e.g. District 2 staff group"),
    telegramChatId: z
      .string()
      .trim()
      .regex(
        /^-?\d{5,20}$/,
        "Telegram 群的 chat id 须为数字，如 -1001234567890 / a Telegram group chat id is a number such as -1001234567890",
      )
      .optional()
      .describe(help("Telegram 群的 chat id（与 wecomRobotUrl 二选一）", "The Telegram group's chat id (or wecomRobotUrl)")),
    wecomRobotUrl: z
      .string()
      .trim()
      .regex(
        /^https:\/\/qyapi\.weixin\.qq\.com\/cgi-bin\/webhook\/send\?key=[\w-]+$/,
        "企业微信群机器人地址须形如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… / a WeCom group robot URL looks like https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
      )
      .optional()
      .describe(
        help(
          "企业微信群机器人的 Webhook 地址（含密钥，注意保密）",
          "The WeCom group robot's webhook URL (it contains a key: keep it secret)",
        ),
      ),
    locale: z.enum(["zh", "en"]).default("zh").describe(help("告警语言，默认中文", "Language of the alerts; Chinese by default")),
    districts: codeList("订阅的片区代码", "Codes of the districts whose reports this group receives"),
    roadCommittees: codeList("订阅的路管会代码", "Codes of the road committees whose reports this group receives"),
    categories: codeList("只接收这些类别（留空为全部）", "Only these categories (empty: all)"),
    escalation: z
      .boolean()
      .optional()
      .describe(
        help(
          "true 表示片区主任群：只接收所订阅片区和路管会超时未认领的升级告警，不接收新举报告警（可选，默认 false）",
          "true marks a director's group: it receives only escalations of unclaimed reports of its districts and road committees, not every new report (optional; false by default)",
        ),
      ),
  })
  .describe(
    help(
      "接收举报告警的工作群；片区和路管会都不填时接收全镇告警",
      "A staff group chat that receives report alerts; with neither districts nor road committees it receives the whole town",
    ),
  );

/** The share of sessions a resident must attend to complete a cohort when the file does not say (three quarters). */
export const COMPLETION_SHARE_DEFAULT = 0.75;

const BAD_INSTANT =
  "时间须写成带时区的 ISO 8601 格式，如 2026-03-07T14:00:00+08:00 / a time is written in ISO 8601 with its offset, e.g. 2026-03-07T14:00:00+08:00";

// An explicit offset, because a cohort's times must mean the same instant whichever server imports the file.
const instant = (zh: string, en: string) => z.iso.datetime({ offset: true, local: false, message: BAD_INSTANT }).describe(help(zh, en));

const cohortSession = z
  .strictObject({
    startsAt: instant("开始时间，如 2026-03-07T14:00:00+08:00", "Start, e.g. 2026-03-07T14:00:00+08:00"),
    endsAt: instant("结束时间，须晚于开始时间且在同一天内", "End; after the start, on the same day"),
    place: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe(help("上课地点（可选，默认为该期的地点）", "Place (optional; the cohort's location by default)")),
    placeEn: z.string().trim().min(1).optional().describe(help("上课地点（英文，可选）", "Place in English (optional)")),
    topic: text("课程主题，如“社区达人在基层治理中的作用”", "Topic in Chinese, e.g. 社区达人在基层治理中的作用"),
    topicEn: text("课程主题（英文）", "Topic in English"),
    lecturerRole: text(
      "授课人身份（只写职务，不写姓名），如“华东师范大学教授”",
      "Lecturer's role in Chinese (a role, not a name), e.g. 华东师范大学教授",
    ),
    lecturerRoleEn: text("授课人身份（英文）", "Lecturer's role in English"),
  })
  .describe(help("一次课程（按时间先后排列）", "One session of the cohort (in time order)"));

const cohort = z
  .strictObject({
    code: code("期次代码，全镇唯一，如 talent-2026-1", "Cohort code, unique in the town, e.g. talent-2026-1"),
    title: text("期次名称，如“2026 年第一期”", "Cohort title in Chinese, e.g. 2026 年第一期"),
    titleEn: text("期次英文名称", "Cohort title in English"),
    capacity: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .describe(help("名额（至少 1）；不能低于已入座人数", "Seats (at least 1); never below the number already seated")),
    enrolmentOpensAt: instant("报名开始时间", "When enrolment opens"),
    enrolmentClosesAt: instant(
      "报名截止时间，须晚于开始时间且不晚于最后一次课开始",
      "When enrolment closes; after it opens and no later than the last session starts",
    ),
    eligibility: text("报名条件说明", "Who may enrol, in Chinese"),
    eligibilityEn: text("报名条件说明（英文）", "Who may enrol, in English"),
    location: text("上课地点，如“XX镇社区学校”", "Location in Chinese, e.g. XX镇社区学校"),
    locationEn: text("上课地点（英文）", "Location in English"),
    neighbourhoods: codeList(
      "只接受这些居民区的居民报名（留空为全镇）",
      "Only residents of these neighbourhoods may enrol (empty: the whole town)",
    ),
    completionShare: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe(
        help(
          `结业所需出勤比例（0–1，可选，默认 ${COMPLETION_SHARE_DEFAULT}）`,
          `Share of sessions to attend for completion (0–1, optional; ${COMPLETION_SHARE_DEFAULT} by default)`,
        ),
      ),
    sessions: z.array(cohortSession).min(1).describe(help("课程安排，按时间先后排列", "The sessions, in time order")),
  })
  .describe(help("一期：名额、报名时间、地点和课程安排", "A cohort: seats, enrolment window, location and sessions"));

const course = z
  .strictObject({
    code: code("班次代码，文件内唯一，如 talent-premium", "Course code, unique in the file, e.g. talent-premium"),
    name: text("班次名称，如“XX培训班”", "Course name in Chinese, e.g. XX培训班"),
    nameEn: text("班次英文名称", "Course name in English"),
    description: text("班次简介", "Course description in Chinese"),
    descriptionEn: text("班次简介（英文）", "Course description in English"),
    cohorts: z.array(cohort).min(1).describe(help("各期", "Its cohorts")),
  })
  .describe(help("社区课程的班次", "A class of the town's community classes"));

const town = z
  .strictObject({
    code: townCode,
    name: text("镇名称", "Town name in Chinese"),
    nameEn: text("镇英文名称", "Town name in English"),
    officeName: text("找不到片区时推荐居民联系的镇办公室名称", "Name of the town office residents are pointed to when nothing matches"),
    officeNameEn: text("镇办公室英文名称", "Town office name in English"),
    officePhone: phone("镇办公室电话", "Town office phone"),
    officeHours: text("镇办公室办公时间", "Town office hours in Chinese"),
    officeHoursEn: text("镇办公室办公时间（英文）", "Town office hours in English"),
    officeAddress: text("镇办公室地址", "Town office address"),
    // Required: a default would number another town's reports with the sample town's prefix.
    referencePrefix: z
      .string()
      .trim()
      .regex(/^[A-Z]{2,4}$/, "编号前缀须为 2–4 个大写字母，如 QH / the reference prefix must be 2–4 uppercase letters, e.g. QH")
      .describe(
        help(
          "举报编号前缀：2–4 个大写字母，编号形如 QH-2026-000123（前缀-年份-序号）",
          "Prefix of report reference numbers: 2–4 uppercase letters, giving e.g. QH-2026-000123 (prefix-year-serial)",
        ),
      ),
    sample: z
      .boolean()
      .describe(
        help(
          "true 表示示例数据：其中的联系方式均为示例，不是真实号码",
          "true marks sample data: its contacts are examples, not real numbers",
        ),
      ),
  })
  .describe(help("镇及镇办公室", "The town and its office"));

const townDataShape = z.strictObject({
  town,
  districts: z.array(district).min(1).describe(help("片区（网格地图）", "Districts of the grid map")),
  neighbourhoods: z.array(neighbourhood).describe(help("居民区", "Neighbourhoods")),
  roadCommittees: z.array(roadCommittee).describe(help("路管会", "Road management committees")),
  roads: z.array(road).describe(help("道路", "Roads")),
  // No .min(1): the required `other` category already makes an empty list an error, with a plainer message.
  categories: z
    .array(category)
    .describe(
      help(
        `举报类别，按居民看到的顺序排列；必须恰好有一个代码为 ${FALLBACK_CATEGORY_CODE} 的类别（其他）`,
        `Report categories, in the order residents see them; exactly one must have the code ${FALLBACK_CATEGORY_CODE} (the fallback)`,
      ),
    ),
  merchants: z.array(merchant).default([]).describe(help("商户（可选）", "Merchants (optional)")),
  alertDestinations: z
    .array(alertDestination)
    .default([])
    .describe(help("接收告警的工作群（可选）", "Staff group chats that receive alerts (optional)")),
  courses: z
    .array(course)
    .default([])
    .describe(help("社区课程的班次、各期和课程（可选）", "The town's community classes: courses, cohorts and sessions (optional)")),
  compact: compact.optional(),
  holidays: z
    .array(localDate("法定节假日（YYYY-MM-DD）", "A public holiday (YYYY-MM-DD)"))
    .default([])
    .describe(
      help(
        "法定节假日（可选）：这些日期不计入工作时间，升级和处理时限都会顺延",
        "Public holidays (optional): these dates are not working time, so escalations and deadlines wait for the next working day",
      ),
    ),
  extraWorkingDays: z
    .array(localDate("调休上班日（YYYY-MM-DD）", "A make-up working day (YYYY-MM-DD)"))
    .default([])
    .describe(
      help(
        "调休上班日（可选）：周末但需要上班的日期，计入工作时间",
        "Make-up working days (调休, optional): weekend dates that are worked and count as working time",
      ),
    ),
});

type Shape = z.output<typeof townDataShape>;
type Path = (string | number)[];
type Report = (path: Path, message: string) => void;

/** Maps each code to the index of its first entry; later entries with the same code are reported. */
function indexCodes(list: readonly { code: string }[], listName: string, label: string, report: Report): Map<string, number> {
  const index = new Map<string, number>();
  list.forEach((entry, i) => {
    const first = index.get(entry.code);
    if (first === undefined) index.set(entry.code, i);
    else
      report(
        [listName, i, "code"],
        `${label}代码“${entry.code}”重复（已用于 ${listName}[${first}]） / duplicate code "${entry.code}" (already used by ${listName}[${first}])`,
      );
  });
  return index;
}

function checkCommittee(data: Shape, report: Report): void {
  data.districts.forEach((d, i) => {
    for (const [role, zh] of [
      ["DIRECTOR", "主任"],
      ["DEPUTY_DIRECTOR", "专职副主任"],
    ] as const) {
      const seats = d.members.flatMap((m, k) => (m.role === role ? [k] : []));
      if (seats.length === 0) {
        report(
          ["districts", i, "members"],
          `片区治理委员会缺少${zh}（${role}），须恰好 1 名 / the committee has no ${role}; it needs exactly one`,
        );
      }
      for (const k of seats.slice(1)) {
        report(
          ["districts", i, "members", k, "role"],
          `片区治理委员会只能有 1 名${zh}（${role}），members[${seats[0]}] 已是 / the committee may have only one ${role}; members[${seats[0]}] already is`,
        );
      }
    }
  });
}

function checkRoadCommittees(data: Shape, roads: Map<string, number>, report: Report): void {
  const coveredBy = new Map<string, string>();
  data.roadCommittees.forEach((committee, j) => {
    committee.roads.forEach((roadCode, k) => {
      const path = ["roadCommittees", j, "roads", k];
      if (!roads.has(roadCode)) {
        report(path, `未知的道路代码“${roadCode}” / unknown road code "${roadCode}"`);
        return;
      }
      const first = coveredBy.get(roadCode);
      if (first !== undefined) {
        report(
          path,
          `道路“${roadCode}”已由 ${first} 负责，每条道路只能属于一个路管会 / road "${roadCode}" is already covered by ${first}; a road belongs to exactly one road committee`,
        );
        return;
      }
      coveredBy.set(roadCode, `roadCommittees[${j}]`);
    });
  });
  data.roads.forEach((r, i) => {
    if (!coveredBy.has(r.code)) {
      report(
        ["roads", i, "code"],
        `没有路管会负责道路“${r.code}”，请把它加入某个路管会的 roads / no road committee covers road "${r.code}"; add it to one committee's roads`,
      );
    }
  });
}

type NumberRun = Pick<Shape["roads"][number]["segments"][number], "from" | "to" | "parity">;

/** The first house number both segments contain, or undefined when they share none. */
function firstSharedNumber(a: NumberRun, b: NumberRun): number | undefined {
  const parity = a.parity === "all" ? b.parity : b.parity === "all" || b.parity === a.parity ? a.parity : undefined;
  if (parity === undefined) return undefined;
  const low = Math.max(a.from, b.from);
  const high = Math.min(a.to, b.to);
  const wantOdd = parity === "odd";
  const first = parity === "all" || (low % 2 === 1) === wantOdd ? low : low + 1;
  return first <= high ? first : undefined;
}

function checkSegments(data: Shape, districts: Map<string, number>, neighbourhoods: Map<string, number>, report: Report): void {
  data.roads.forEach((r, i) => {
    r.segments.forEach((s, j) => {
      const path = ["roads", i, "segments", j];
      if (!districts.has(s.district))
        report([...path, "district"], `未知的片区代码“${s.district}” / unknown district code "${s.district}"`);
      if (s.neighbourhood !== undefined) {
        const n = neighbourhoods.get(s.neighbourhood);
        const other = n === undefined ? undefined : data.neighbourhoods[n]!.district;
        if (other === undefined) {
          report([...path, "neighbourhood"], `未知的居民区代码“${s.neighbourhood}” / unknown neighbourhood code "${s.neighbourhood}"`);
        } else if (other !== s.district && districts.has(other) && districts.has(s.district)) {
          // An unknown district on either side is already reported; a mismatch on top of it would be noise.
          report(
            [...path, "neighbourhood"],
            `居民区“${s.neighbourhood}”属于片区“${other}”，而此路段属于片区“${s.district}” / neighbourhood "${s.neighbourhood}" is in district "${other}" but this segment is in "${s.district}"`,
          );
        }
      }
      if (s.from > s.to) {
        report([...path, "from"], `起始门牌号 ${s.from} 大于结束门牌号 ${s.to} / from (${s.from}) is greater than to (${s.to})`);
        return;
      }
      for (let k = 0; k < j; k++) {
        const earlier = r.segments[k]!;
        if (earlier.from > earlier.to) continue;
        const shared = firstSharedNumber(earlier, s);
        if (shared !== undefined) {
          report(path, `与 segments[${k}] 重叠（如 ${r.name}${shared}号） / overlaps segments[${k}] (e.g. number ${shared})`);
        }
      }
    });
  });
}

function checkCategories(data: Shape, districts: Map<string, number>, roadCommittees: Map<string, number>, report: Report): void {
  indexCodes(data.categories, "categories", "举报类别", report);
  if (!data.categories.some((c) => c.code === FALLBACK_CATEGORY_CODE)) {
    report(
      ["categories"],
      `缺少代码为“${FALLBACK_CATEGORY_CODE}”的类别（其他），无法归类的举报需要它 / no category has the code "${FALLBACK_CATEGORY_CODE}"; reports that fit no other category need it`,
    );
  }
  data.categories.forEach((c, i) => {
    const target = c.routeTo;
    if (target?.roadCommittee !== undefined && !roadCommittees.has(target.roadCommittee)) {
      report(
        ["categories", i, "routeTo", "roadCommittee"],
        `未知的路管会代码“${target.roadCommittee}” / unknown road committee code "${target.roadCommittee}"`,
      );
    }
    if (target?.district !== undefined && !districts.has(target.district)) {
      report(["categories", i, "routeTo", "district"], `未知的片区代码“${target.district}” / unknown district code "${target.district}"`);
    }
  });
}

function checkMerchants(data: Shape, roads: Map<string, number>, report: Report): void {
  indexCodes(data.merchants, "merchants", "商户", report);
  data.merchants.forEach((m, i) => {
    const r = roads.get(m.road);
    if (r === undefined) {
      report(["merchants", i, "road"], `未知的道路代码“${m.road}” / unknown road code "${m.road}"`);
      return;
    }
    const road = data.roads[r]!;
    const n = m.houseNumber;
    if (n !== undefined && !road.segments.some((s) => firstSharedNumber(s, { from: n, to: n, parity: "all" }) !== undefined)) {
      const runs = road.segments.map((s) => `${s.from}–${s.to}${s.parity === "all" ? "" : ` ${s.parity}`}`).join(", ");
      report(
        ["merchants", i, "houseNumber"],
        `${road.name}没有 ${n} 号：门牌分段为 ${runs} / ${road.nameEn} has no number ${n}; its segments are ${runs}`,
      );
    }
  });
}

function checkCompact(data: Shape, report: Report): void {
  if (!data.compact) return;
  const refs = new Map<string, number>();
  data.compact.clauses.forEach((c, i) => {
    const first = refs.get(c.ref);
    if (first === undefined) refs.set(c.ref, i);
    else
      report(
        ["compact", "clauses", i, "ref"],
        `条款编号“${c.ref}”重复（已用于 compact.clauses[${first}]） / duplicate clause ref "${c.ref}" (already used by compact.clauses[${first}])`,
      );
  });
  data.categories.forEach((c, i) => {
    if (!refs.has(c.clause.ref)) {
      report(
        ["categories", i, "clause", "ref"],
        `公约 compact.clauses 中没有条款“${c.clause.ref}” / the compact has no clause "${c.clause.ref}" in compact.clauses`,
      );
    }
  });
}

function checkAlertDestinations(
  data: Shape,
  known: { districts: Map<string, number>; roadCommittees: Map<string, number>; categories: Set<string> },
  report: Report,
): void {
  indexCodes(data.alertDestinations, "alertDestinations", "告警群", report);
  data.alertDestinations.forEach((d, i) => {
    if ((d.telegramChatId === undefined) === (d.wecomRobotUrl === undefined)) {
      report(
        ["alertDestinations", i],
        "须且只能填写 telegramChatId 或 wecomRobotUrl 之一 / give exactly one of telegramChatId or wecomRobotUrl",
      );
    }
    d.districts.forEach((c, j) => {
      if (!known.districts.has(c)) report(["alertDestinations", i, "districts", j], `未知的片区代码“${c}” / unknown district code "${c}"`);
    });
    d.roadCommittees.forEach((c, j) => {
      if (!known.roadCommittees.has(c))
        report(["alertDestinations", i, "roadCommittees", j], `未知的路管会代码“${c}” / unknown road committee code "${c}"`);
    });
    d.categories.forEach((c, j) => {
      if (!known.categories.has(c))
        report(["alertDestinations", i, "categories", j], `未知的类别代码“${c}” / unknown category code "${c}"`);
    });
  });
}

function checkCalendar(data: Shape, report: Report): void {
  const holidays = new Set(data.holidays);
  data.extraWorkingDays.forEach((date, i) => {
    if (holidays.has(date)) {
      report(
        ["extraWorkingDays", i],
        `${date} 同时列在 holidays 和 extraWorkingDays 中，请只保留一处 / ${date} is listed both in holidays and in extraWorkingDays; keep it in one list`,
      );
    }
  });
}

// A session longer than this is a typing mistake (a wrong day or a missing "T"), not a class.
const MAX_SESSION_HOURS = 12;

function checkCourses(data: Shape, neighbourhoods: Map<string, number>, report: Report): void {
  indexCodes(data.courses, "courses", "班次", report);
  const cohortCodes = new Map<string, string>();
  data.courses.forEach((c, i) => {
    c.cohorts.forEach((cohort, j) => {
      const path = ["courses", i, "cohorts", j];
      const first = cohortCodes.get(cohort.code);
      if (first === undefined) cohortCodes.set(cohort.code, `courses[${i}].cohorts[${j}]`);
      else
        report(
          [...path, "code"],
          `期次代码“${cohort.code}”重复（已用于 ${first}），期次代码须全镇唯一 / duplicate cohort code "${cohort.code}" (already used by ${first}); cohort codes are unique in the town`,
        );
      cohort.neighbourhoods.forEach((n, k) => {
        if (!neighbourhoods.has(n)) report([...path, "neighbourhoods", k], `未知的居民区代码“${n}” / unknown neighbourhood code "${n}"`);
      });
      const opens = Date.parse(cohort.enrolmentOpensAt);
      const closes = Date.parse(cohort.enrolmentClosesAt);
      if (closes <= opens) {
        report([...path, "enrolmentClosesAt"], "报名截止时间须晚于报名开始时间 / enrolment must close after it opens");
      }
      let previousEnd = opens;
      cohort.sessions.forEach((session, k) => {
        const at = [...path, "sessions", k];
        const starts = Date.parse(session.startsAt);
        const ends = Date.parse(session.endsAt);
        if (ends <= starts) report([...at, "endsAt"], "结束时间须晚于开始时间 / a session must end after it starts");
        else if (ends - starts > MAX_SESSION_HOURS * 3_600_000)
          report(
            [...at, "endsAt"],
            `一次课不能超过 ${MAX_SESSION_HOURS} 小时 / a session cannot last more than ${MAX_SESSION_HOURS} hours`,
          );
        if (k === 0 && starts < opens)
          report([...at, "startsAt"], "第一次课不能早于报名开始时间 / the first session cannot start before enrolment opens");
        else if (k > 0 && starts < previousEnd)
          report(
            [...at, "startsAt"],
            `须在 sessions[${k - 1}] 结束之后开始（按时间先后排列，不得重叠） / must start after sessions[${k - 1}] ends (sessions are in time order and do not overlap)`,
          );
        previousEnd = Math.max(previousEnd, ends);
      });
      const lastStart = Date.parse(cohort.sessions.at(-1)!.startsAt);
      if (closes > lastStart) {
        report(
          [...path, "enrolmentClosesAt"],
          "报名截止时间不能晚于最后一次课的开始时间 / enrolment cannot close after the last session starts",
        );
      }
    });
  });
}

function checkReferences(data: Shape, ctx: z.RefinementCtx): void {
  const report: Report = (path, message) => ctx.addIssue({ code: "custom", path, message });
  const districts = indexCodes(data.districts, "districts", "片区", report);
  const neighbourhoods = indexCodes(data.neighbourhoods, "neighbourhoods", "居民区", report);
  const roadCommittees = indexCodes(data.roadCommittees, "roadCommittees", "路管会", report);
  const roads = indexCodes(data.roads, "roads", "道路", report);
  checkCommittee(data, report);
  data.neighbourhoods.forEach((n, i) => {
    if (!districts.has(n.district))
      report(["neighbourhoods", i, "district"], `未知的片区代码“${n.district}” / unknown district code "${n.district}"`);
  });
  checkRoadCommittees(data, roads, report);
  checkSegments(data, districts, neighbourhoods, report);
  checkCategories(data, districts, roadCommittees, report);
  checkMerchants(data, roads, report);
  checkCompact(data, report);
  checkAlertDestinations(data, { districts, roadCommittees, categories: new Set(data.categories.map((c) => c.code)) }, report);
  checkCalendar(data, report);
  checkCourses(data, neighbourhoods, report);
}

/**
 * The whole town-data file. Field-level rules are checked first; the
 * cross-reference rules (codes that must exist, be unique, cover every road
 * exactly once, non-overlapping house numbers, one director and one deputy per
 * district, a fallback `other` category, category routes to existing
 * committees, merchants at house numbers their road has, compact clause
 * numbers unique and quoted by every category, no date both a holiday and a
 * make-up working day) run once the structure is valid, so a
 * file with typos is reported in two rounds at most.
 */
export const townDataSchema = townDataShape.superRefine(checkReferences).meta({
  title: "邻里镇网格数据 / Linli town data",
  description: help(
    "一个镇的网格地图：片区及片区治理委员会、居民区、道路门牌分段和路管会，以及街区公约的举报类别和道路上的商户。用 npm run import -- <文件> 导入。",
    "One town's grid map: districts and their committees, neighbourhoods, road house-number segments and road committees, plus the report categories of its street compact and the merchants on its roads. Load it with npm run import -- <file>.",
  ),
});

/**
 * A validated town-data file; boundary rings are closed and defaults (aliases,
 * parity, keywords, merchants, reference prefix, holidays) are filled in.
 * A category's escalation and deadline and a destination's `escalation` stay
 * optional; the import applies {@link ESCALATE_AFTER_MINUTES_DEFAULT},
 * {@link DEADLINE_WORKING_DAYS_DEFAULT} and false.
 */
export type TownData = z.output<typeof townDataSchema>;
/** A district with its committee office, optional closed boundary rings and committee seats. */
export type TownDistrict = TownData["districts"][number];
/** A committee seat, named by role title; `personName` only when the town publishes it. */
export type TownCommitteeMember = TownDistrict["members"][number];
/** A neighbourhood; `district` is the code of an existing district. */
export type TownNeighbourhood = TownData["neighbourhoods"][number];
/** A road committee; `roads` are codes of existing roads, each road in exactly one committee. */
export type TownRoadCommittee = TownData["roadCommittees"][number];
/** A road with its non-overlapping house-number segments. */
export type TownRoad = TownData["roads"][number];
/** A run of house numbers (`from` ≤ `to`) in one district and optionally one neighbourhood of that district. */
export type TownRoadSegment = TownRoad["segments"][number];
/**
 * A report category with its compact clause and suggestion keywords. Codes are
 * unique and exactly one is {@link FALLBACK_CATEGORY_CODE}; `routeTo`, when
 * present, names exactly one existing road committee or district.
 */
export type TownReportCategory = TownData["categories"][number];
/** A category's routing override: exactly one of `roadCommittee` or `district` is set. */
export type TownCategoryRoute = NonNullable<TownReportCategory["routeTo"]>;
/** A shop on an existing road; `houseNumber`, when present, lies in one of that road's segments. */
export type TownMerchant = TownData["merchants"][number];
/**
 * The street compact as the file states it: clause refs are unique and every
 * category's clause ref names one of them. Import turns changed content into
 * a new version.
 */
export type TownCompact = NonNullable<TownData["compact"]>;

/** A governance-academy course with its cohorts; cohort codes are unique in the town. */
export type TownCourse = TownData["courses"][number];
/**
 * A cohort: capacity ≥ 1, enrolment closing after it opens and no later than the
 * last session starts, sessions in time order without overlap, known neighbourhoods.
 * `completionShare` stays optional; the import applies {@link COMPLETION_SHARE_DEFAULT}.
 */
export type TownCohort = TownCourse["cohorts"][number];

/** A staff group chat receiving alerts, as the file describes it; `escalation` marks a director's group. */
export type TownAlertDestination = TownData["alertDestinations"][number];

/** One problem in a town-data document, at a path such as `["districts", 2, "members", 0, "role"]`. */
export interface TownDataIssue {
  path: (string | number)[];
  /** Chinese first, then English, separated by " / ". */
  message: string;
}

/** The outcome of {@link validateTownData}: the data, or every problem found. */
export type TownDataValidation = { success: true; data: TownData } | { success: false; issues: TownDataIssue[] };

const toPath = (path: readonly PropertyKey[]): (string | number)[] => path.map((key) => (typeof key === "number" ? key : String(key)));

// zod words a missing field as "expected string, received undefined"; the file's author needs plainer words.
const MISSING_FIELD = "缺少必填字段 / required field is missing";
const isMissing = (issue: z.core.$ZodRawIssue) => issue.code === "invalid_type" && issue.input === undefined;
const chineseErrors = z.locales.zhCN().localeError;

/**
 * Validates a parsed document (from YAML or JSON) against {@link townDataSchema}.
 * Built-in messages come back in Chinese and English; an unknown key is reported
 * at the key itself, so a typo such as `nmae` points at its own line.
 */
export function validateTownData(input: unknown): TownDataValidation {
  const english = townDataSchema.safeParse(input, { error: (issue) => (isMissing(issue) ? MISSING_FIELD : undefined) });
  if (english.success) return { success: true, data: english.data };
  // The same schema on the same input yields the same issues in the same order, only worded differently.
  const chinese =
    townDataSchema.safeParse(input, { error: (issue) => (isMissing(issue) ? MISSING_FIELD : chineseErrors(issue)) }).error?.issues ?? [];
  return {
    success: false,
    issues: english.error.issues.flatMap((issue, i) => {
      const zh = chinese[i]?.message;
      const message = zh && zh !== issue.message ? `${zh} / ${issue.message}` : issue.message;
      const path = toPath(issue.path);
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((key) => ({ path: [...path, key], message: `未知的字段“${key}” / unknown field "${key}"` }));
      }
      return [{ path, message }];
    }),
  };
}

/**
 * The JSON Schema of the town-data file for editors (draft-07, which the YAML
 * language server and most IDEs understand). It describes the file as written:
 * defaulted fields are optional. Cross-reference rules cannot be expressed in
 * JSON Schema and are only checked by {@link validateTownData}.
 */
export function townDataJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(townDataSchema, { target: "draft-07", io: "input" }) as Record<string, unknown>;
}
