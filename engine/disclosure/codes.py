"""The 政府信息公开条例's vocabulary: how a request arrives, what an answer may be and on which
ground, and where each answer is counted in the annual report (the national template of
国办公开办函〔2021〕30号, 三、收到和处理政府信息公开申请情况)."""

from __future__ import annotations

from dataclasses import dataclass

LAW = "《中华人民共和国政府信息公开条例》"
LOCAL = "《德宏州政府信息主动公开和依申请公开制度（试行）》"
PROCEDURE = "《德宏州政府办理申请公开政府信息工作规程（试行）》"

# art. 29: a request in writing, by letter, fax, email or online; the annual report's channels
CHANNELS = {"counter": "当面", "fax": "传真", "web": "网站", "email": "电子邮件", "mail": "信函", "other": "其他"}
CASE_CHANNEL = {"counter": "window", "fax": "mail", "web": "web", "email": "web", "mail": "mail", "other": "window"}
# the annual report's columns: 自然人 and the five kinds of 法人或其他组织
REQUESTER_KINDS = {"natural": "自然人", "business": "商业企业", "research": "科研机构", "nonprofit": "社会公益组织",
                   "legal_service": "法律服务机构", "other": "其他"}
MEDIA = {"paper": "纸质", "electronic": "电子文档"}
DELIVERIES = {"pickup": "自行领取", "post": "邮寄", "email": "电子邮件", "fax": "传真", "inspect": "当场查阅、抄录"}


@dataclass(frozen=True)
class Ground:
    label: str
    article: str


# art. 14–16: why information is withheld (不予公开), in the report's rows 1–7
WITHHOLD_GROUNDS = {
    "state_secret": Ground("属于国家秘密", "第十四条"),
    "law_prohibits": Ground("其他法律、行政法规禁止公开", "第十四条"),
    "security": Ground("公开后可能危及国家安全、公共安全、经济安全、社会稳定", "第十四条"),
    "third_party": Ground("涉及商业秘密、个人隐私等，公开会对第三方合法权益造成损害", "第十五条"),
    "internal": Ground("属于人事管理、后勤管理、内部工作流程等内部事务信息", "第十六条第一款"),
    "process": Ground("属于讨论记录、过程稿、磋商信函、请示报告等过程性信息", "第十六条第二款"),
    "enforcement": Ground("属于行政执法案卷信息", "第十六条第二款"),
}


@dataclass(frozen=True)
class AnswerType:
    label: str
    article: str
    row: str  # the annual report's row: disclosed / partial / withheld:<g> / unavailable:<g> / not_processed:<g> / other:<g>
    needs: tuple[str, ...] = ()  # fields the answer must carry
    assign: bool = True  # whether the bodies holding the information are asked first
    ground_from: dict | None = None  # the grounds one must be chosen from
    law: str = LAW  # the text the article is of

    @property
    def cite(self) -> str:
        return f"{self.law}{self.article}"


# arts. 36–39 and 35: every answer the 条例 allows, with what it must say
ANSWER_TYPES = {
    "published": AnswerType("已主动公开，告知获取方式和途径", "第三十六条第（一）项", "disclosed", ("published_where",),
                            assign=False),
    "disclosed": AnswerType("予以公开", "第三十六条第（二）项", "disclosed", ("disclosed_items",)),
    "partial": AnswerType("部分公开", "第三十七条", "partial", ("disclosed_items", "ground", "ground_detail"),
                          ground_from=WITHHOLD_GROUNDS),
    "withheld": AnswerType("不予公开", "第三十六条第（三）项", "withheld", ("ground", "ground_detail"),
                           ground_from=WITHHOLD_GROUNDS),
    "not_exist": AnswerType("经检索没有所申请公开的信息（信息不存在）", "第三十六条第（四）项", "unavailable:not_held"),
    "not_ours": AnswerType("不属于本机关负责公开", "第三十六条第（五）项", "unavailable:not_held",
                           ("competent_body",), assign=False),
    "needs_making": AnswerType("需要另行制作或者加工分析，不予提供", "第三十八条", "unavailable:needs_making",
                               ("ground_detail",)),
    "unclear": AnswerType("补正后申请内容仍不明确，无法提供", "第三十条", "unavailable:unclear", ("ground_detail",),
                          assign=False),
    "repeated": AnswerType("重复申请，不予重复处理", "第三十六条第（六）项", "not_processed:repeated", ("ground_detail",),
                           assign=False),
    "special_register": AnswerType("属于工商、不动产登记资料等有特别规定的信息，告知依照有关规定办理",
                                   "第三十六条第（七）项", "withheld:inquiry", ("ground_detail",), assign=False),
    "complaint": AnswerType("属于信访、投诉、举报等诉求，告知通过相应渠道提出", "第三十九条第一款",
                            "not_processed:complaint", ("ground_detail",), assign=False),
    "publication": AnswerType("要求提供公开出版物，告知获取途径", "第三十九条第二款", "not_processed:publication",
                              ("ground_detail",), assign=False),
    # not in the 条例: the State Council's opinion on requests lets the office not treat it as one
    "confirm": AnswerType("要求确认或者重新出具已获取的信息，不作为政府信息公开申请处理", "",
                          "not_processed:confirm", ("ground_detail",), assign=False,
                          law="《国务院办公厅关于做好政府信息依申请公开工作的意见》（国办发〔2010〕5号）"),
    "abusive": AnswerType("申请数量、频次明显超过合理范围且无正当理由，不予处理", "第三十五条",
                          "not_processed:abusive", ("ground_detail",), assign=False),
}
FIELD_LABELS = {"published_where": "已公开的位置和获取方式", "disclosed_items": "提供的信息", "ground": "不予公开的法定理由",
                "ground_detail": "理由说明", "competent_body": "负责公开的机关", "competent_contact": "该机关的联系方式"}

# the annual report's rows of 三、收到和处理政府信息公开申请情况 (国办公开办函〔2021〕30号)
REPORT_ROWS = [
    ("new", "一、本年新收政府信息公开申请数量"),
    ("carried_in", "二、上年结转政府信息公开申请数量"),
    ("disclosed", "三、本年度办理结果 （一）予以公开"),
    ("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("withheld:state_secret", "（三）不予公开 1.属于国家秘密"),
    ("withheld:law_prohibits", "2.其他法律行政法规禁止公开"),
    ("withheld:security", "3.危及“三安全一稳定”"),
    ("withheld:third_party", "4.保护第三方合法权益"),
    ("withheld:internal", "5.属于三类内部事务信息"),
    ("withheld:process", "6.属于四类过程性信息"),
    ("withheld:enforcement", "7.属于行政执法案卷"),
    ("withheld:inquiry", "8.属于行政查询事项"),
    ("unavailable:not_held", "（四）无法提供 1.本机关不掌握相关政府信息"),
    ("unavailable:needs_making", "2.没有现成信息需要另行制作"),
    ("unavailable:unclear", "3.补正后申请内容仍不明确"),
    ("not_processed:complaint", "（五）不予处理 1.信访举报投诉类申请"),
    ("not_processed:repeated", "2.重复申请"),
    ("not_processed:publication", "3.要求提供公开出版物"),
    ("not_processed:abusive", "4.无正当理由大量反复申请"),
    ("not_processed:confirm", "5.要求行政机关确认或重新出具已获取信息"),
    ("other:lapsed", "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other:unpaid", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other:other", "3.其他"),
    ("total", "（七）总计"),
    ("carried_out", "四、结转下年度继续办理"),
]


def report_row(answer_type: str, ground: str | None) -> str:
    row = ANSWER_TYPES[answer_type].row
    return f"withheld:{ground}" if row == "withheld" else row


# 主动公开: the 目录's categories (条例 arts. 19–20) and the themes of the column
CATEGORIES = {
    "01": "机构职能", "02": "法规文件", "03": "规划计划", "04": "行政许可", "05": "行政处罚和行政强制",
    "06": "财政预决算", "07": "政府采购", "08": "重大建设项目", "09": "民生保障", "10": "公共服务",
    "11": "人事信息", "12": "应急管理", "13": "统计信息", "14": "其他",
}
THEMES = {
    "01": "综合政务", "02": "国民经济管理、国有资产监管", "03": "财政、金融、审计", "04": "国土资源、能源",
    "05": "农业、林业、水利", "06": "工业、交通", "07": "商贸、海关、旅游", "08": "市场监管、安全生产监管",
    "09": "城乡建设、环境保护", "10": "科技、教育", "11": "文化、广电、新闻出版", "12": "卫生、体育",
    "13": "人口与计划生育、妇女儿童工作", "14": "劳动、人事、监察", "15": "公安、安全、司法", "16": "民政、扶贫、救灾",
    "17": "其他",
}
DOC_KINDS = {"rule": "规章", "normative": "行政规范性文件", "other": "其他政府信息"}
ENTRY_STATES = {"draft": "拟稿", "reviewing": "审查中", "published": "已公开", "superseded": "已被新版本替代",
                "withdrawn": "已撤回", "abandoned": "未发布"}
PUBLISH_CHANNELS = {"website": "政府网站", "gazette": "政府公报", "weibo": "政务微博", "wechat": "政务微信",
                    "reading_room": "政府信息查阅场所", "other": "其他"}

APPEAL_KINDS = {"review": "行政复议", "lawsuit": "行政诉讼（未经复议直接起诉）", "lawsuit_after_review": "行政诉讼（复议后起诉）"}
APPEAL_OUTCOMES = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结"}

# 索引号: 发布机关代码（统一社会信用代码，没有的用部门代码）-公开类别-年份-流水号, e.g. 11530900MB0000001X-02-2026-00012
INDEX_RULE = "索引号 = 发布机关统一社会信用代码 - 公开类别代码（两位）- 公开年份 - 本机关当年流水号（五位）"


def index_number(body_code: str, category: str, year: int, serial: int) -> str:
    return f"{body_code}-{category}-{year}-{serial:05d}"
