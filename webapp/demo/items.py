"""The demo county's items (事项), every field of domain.md §2. Codes follow the coding rule of
docs/bpmn.md: item type (2) + county division code (6) + serial (4).

Legal time (when the period starts, 补正, 延期), item by item:
- licences and the registration: the period runs from acceptance (行政许可法 art. 42). Their law
  sets the applicant no period to answer a 补正 and knows no 视为放弃申请 (art. 32 only obliges the
  office to tell everything at once), so correction_answer_days is 0: an unanswered 补正 leaves the
  application unaccepted, it never lapses by itself.
- 行政处罚: 90 days from 立案 (行政处罚法 art. 60); +30 with the head's approval, longer only by the
  heads' collective decision (市场监督管理行政处罚程序规定 art. 64).
- 政府信息公开申请: 20 working days from receipt (政府信息公开条例 arts. 31, 33), +20; a 补正 notice within
  7 working days of receipt, and art. 30 gives the applicant "a reasonable period": 15 working days
  here (the same period art. 32 gives a third party to answer; long enough to obtain a document by
  post), after which the request counts as abandoned (视为放弃申请); the reply period restarts at the
  corrected request.

The public column (政务服务专栏): 俗称 are the words people type (“开饭店”, not “食品经营许可”);
面向对象 and 办事主题 place the item under 个人办事/法人办事 and a life event (an individual opening a
shop is both a person starting a business and a market entity being set up); results_public marks
the non-licence items whose results are published (a licence's always are, 行政许可法 art. 40).
The internal items (督办, 法制审核) are never public and name no audience. Each item people apply for
on paper lists its 服务表格 (新办, 变更, 延续 … each a form to download with the item's application
fields).
"""

SUPERVISION_PHONE = "0883-6120012"

_MATERIALS_ID = {"name": "申请人身份证明", "format": "纸质或电子", "original": "原件", "count": 1, "required": True}


def _form(code, name, summary, note):
    return {"code": code, "name": name, "summary": summary, "note": note}


def _item(code, department, **fields):
    base = dict(category=code[:2], case_type="promised", subject_nature="法定机关", charges_fee=False,
                fee_basis="", fee_standard="不收费", limit_unit="workday", extension_limit=0,
                correction_notice_limit=5, clock_start="acceptance", correction_answer_days=0,
                correction_stops_clock_basis=None, place="阳光县政务服务中心一楼", supervision_phone=SUPERVISION_PHONE,
                online_url="", service_forms=[], faq=[], extra={}, aliases=[], audiences=[], themes=[],
                results_public=False)
    base.update(fields)
    return {"code": code, "department": department, "fields": base}


ITEMS = [
    _item(
        "075309300001", "scjgj", name="个体工商户设立登记", category="07", case_type="instant",
        process_key="individual_business_registration", section="登记注册股",
        legal_basis=[{"title": "促进个体工商户发展条例", "article": "第八条",
                      "text": "申请登记为个体工商户的，应当向经营场所所在地登记机关申请登记。"},
                     {"title": "市场主体登记管理条例", "article": "第十九条",
                      "text": "登记机关对申请材料进行形式审查。申请材料齐全、符合法定形式的予以确认并当场登记。"}],
        conditions="有经营能力的自然人，有固定经营场所，经营范围不属于法律法规禁止的行业。",
        legal_limit=3, promised_limit=0, phone="0883-6120315",
        materials=[_MATERIALS_ID,
                   {"name": "个体工商户登记（备案）申请书", "format": "纸质或电子", "original": "原件", "count": 1, "required": True},
                   {"name": "经营场所使用证明", "format": "纸质或电子", "original": "复印件", "count": 1, "required": True}],
        service_forms=[
            _form("GT-01", "个体工商户登记（备案）申请书", "经营者本人申请设立登记时填写",
                  "用黑色墨水笔或签字笔填写，字迹工整；经营者本人签字；名称可以不填，以经营者姓名登记"),
            _form("GT-02", "个体工商户登记（备案）申请书（委托代理人办理）", "经营者委托他人代为办理时填写",
                  "经营者签字后由代理人提交，代理人同时出示本人身份证件；其余与 GT-01 相同"),
        ],
        aliases=["开个体店", "办营业执照", "个体执照", "个体户登记", "开小店", "摆摊办照"],
        audiences=["person"], themes=["就业创业"],  # 个体工商户: a person in business, not a legal person
        results_public=True,  # 登记信息经国家企业信用信息公示系统向社会公示（市场主体登记管理条例第三十五条）
        faq=[{"q": "个体工商户可以起字号吗？", "a": "可以，也可以不起字号，以经营者姓名登记。"}],
    ),
    _item(
        "015309300002", "scjgj", name="食品经营许可", category="01", process_key="food_business_license",
        section="食品经营监管股", extension_limit=10,
        legal_basis=[{"title": "中华人民共和国食品安全法", "article": "第三十五条",
                      "text": "国家对食品生产经营实行许可制度。从事食品销售和餐饮服务，应当依法取得许可。"},
                     {"title": "食品经营许可和备案管理办法", "article": "第二十四条",
                      "text": "需要对申请材料的实质内容进行核实的，应当进行现场核查。"}],
        conditions="具有与经营的食品品种、数量相适应的经营场所、设施设备、食品安全管理人员和管理制度。",
        legal_limit=20, promised_limit=15, phone="0883-6120315",
        materials=[{"name": "食品经营许可申请书", "format": "纸质或电子", "original": "原件", "count": 1, "required": True},
                   {"name": "营业执照", "format": "纸质或电子", "original": "复印件", "count": 1, "required": True},
                   {"name": "经营场所平面图和设备布局图", "format": "纸质或电子", "original": "原件", "count": 1, "required": True},
                   {"name": "食品安全自查、从业人员健康管理等制度", "format": "纸质或电子", "original": "原件", "count": 1,
                    "required": True}],
        service_forms=[
            _form("SP-01", "食品经营许可申请书", "首次申请食品经营许可（新办）时填写",
                  "单位加盖公章，个体工商户由经营者签字；经营项目在所列项目中勾选，可多选"),
            _form("SP-02", "食品经营许可变更申请书", "经营场所面积、经营项目等许可事项变化时填写",
                  "填写变更后的内容；经营场所迁移的应重新申请许可，不适用本表"),
            _form("SP-03", "食品经营许可延续申请书", "许可证有效期届满需继续经营时填写",
                  "应在有效期届满前 90 个工作日至 15 个工作日期间提出；填写现有许可证上的信息"),
        ],
        aliases=["开饭店", "开餐馆", "办餐饮", "餐饮许可", "食品许可证", "开小吃店", "开超市", "卖食品", "开奶茶店"],
        audiences=["person", "company"], themes=["就业创业", "准营准办"],
        faq=[{"q": "仅销售预包装食品需要许可吗？", "a": "仅销售预包装食品的实行备案管理，不需现场核查。"}],
    ),
    _item(
        "015309300003", "wsjkj", name="公共场所卫生许可", category="01", process_key="public_place_hygiene_license",
        section="卫生监督所", extension_limit=10,
        legal_basis=[{"title": "公共场所卫生管理条例", "article": "第八条",
                      "text": "经营单位须取得“卫生许可证”后，方可向工商行政管理部门申请登记。"}],
        conditions="场所布局、设施设备符合卫生标准，从业人员持有效健康合格证明。",
        legal_limit=20, promised_limit=15, phone="0883-6120120",
        materials=[{"name": "卫生许可申请表", "format": "纸质或电子", "original": "原件", "count": 1, "required": True},
                   {"name": "法定代表人或负责人身份证明", "format": "纸质或电子", "original": "复印件", "count": 1,
                    "required": True},
                   {"name": "场所平面图和卫生设施布局图", "format": "纸质或电子", "original": "原件", "count": 1, "required": True},
                   {"name": "卫生检测（评价）报告", "format": "纸质或电子", "original": "原件", "count": 1, "required": True},
                   {"name": "卫生管理制度", "format": "纸质或电子", "original": "原件", "count": 1, "required": True},
                   {"name": "从业人员健康合格证明", "format": "纸质或电子", "original": "复印件", "count": 1, "required": True}],
        extra={"有效期": "4年"},
        service_forms=[
            _form("WS-01", "公共场所卫生许可申请表", "首次申请公共场所卫生许可时填写",
                  "场所类别在所列类别中勾选一项；单位加盖公章，个体工商户由经营者签字"),
            _form("WS-02", "公共场所卫生许可延续申请表", "卫生许可证 4 年有效期届满需继续经营时填写",
                  "应在有效期届满 30 日前提出；填写现有许可证上的信息"),
        ],
        aliases=["卫生许可证", "开宾馆", "开旅馆", "开民宿", "开理发店", "开美容院", "开浴室", "开游泳馆", "开KTV"],
        audiences=["person", "company"], themes=["就业创业", "准营准办"],
    ),
    _item(
        "015309300004", "zjj", name="建筑工程施工许可证核发", category="01", process_key="construction_permit",
        section="建筑业管理股", extension_limit=0,
        legal_basis=[{"title": "中华人民共和国建筑法", "article": "第七条、第八条",
                      "text": "建筑工程开工前，建设单位应当申请领取施工许可证；符合条件的，自收到申请之日起七日内颁发。"},
                     {"title": "建筑工程施工许可管理办法", "article": "第二条",
                      "text": "工程投资额在30万元以下或者建筑面积在300平方米以下的建筑工程，可以不申请办理施工许可证。"}],
        conditions="已办理用地、规划许可，施工场地具备施工条件，已确定施工企业，有保证工程质量和安全的具体措施。",
        legal_limit=7, promised_limit=5, limit_unit="day", phone="0883-6120230",
        materials=[{"name": "建筑工程施工许可证申请表", "format": "纸质或电子", "original": "原件", "count": 1, "required": True},
                   {"name": "建设工程规划许可证", "format": "纸质或电子", "original": "复印件", "count": 1, "required": True},
                   {"name": "施工合同", "format": "纸质或电子", "original": "复印件", "count": 1, "required": True}],
        service_forms=[
            _form("JS-01", "建筑工程施工许可证申请表", "建筑工程开工前，建设单位申请领取施工许可证时填写",
                  "建设单位加盖公章；合同价格和建筑面积与施工合同一致；工程投资额 30 万元以下或建筑面积 300 平方米以下的可以不申请"),
            _form("JS-02", "建筑工程施工许可证变更申请表", "建设单位、施工单位或工程规模等发生变化时填写",
                  "填写变更后的内容，并附变更的证明文件；建设单位加盖公章"),
        ],
        aliases=["建房", "盖房子", "施工许可", "施工证", "开工许可", "施工许可证", "工程开工"],
        audiences=["person", "company"], themes=["住房建房", "工程建设"],
    ),
    _item(
        "025309300005", "scjgj", name="行政处罚一般程序", category="02", process_key="administrative_penalty_general",
        section="执法稽查大队", correction_notice_limit=0, clock_start="filing", extension_limit=30,
        legal_basis=[{"title": "中华人民共和国行政处罚法", "article": "第五十四条至第六十五条",
                      "text": "除当场处罚外，行政机关发现公民、法人或者其他组织有依法应当给予行政处罚的行为的，"
                              "必须全面、客观、公正地调查，收集有关证据。"},
                     {"title": "中华人民共和国行政处罚法", "article": "第六十条",
                      "text": "行政机关应当自行政处罚案件立案之日起九十日内作出行政处罚决定。法律、法规、规章另有规定的，从其规定。"},
                     {"title": "市场监督管理行政处罚程序规定", "article": "第六十四条",
                      "text": "适用普通程序办理的案件应当自立案之日起九十日内作出处理决定。因案情复杂或者其他原因，不能在规定期限内"
                              "作出处理决定的，经市场监督管理部门负责人批准，可以延长三十日。案情特别复杂或者有其他特殊情况，经延期仍"
                              "不能作出处理决定的，应当由市场监督管理部门负责人集体讨论决定是否继续延期。"},
                     {"title": "中华人民共和国食品安全法", "article": "第一百二十四条第一款第五项",
                      "text": "生产经营标注虚假生产日期、保质期或者超过保质期的食品、食品添加剂的，没收违法所得和违法生产经营的食品、"
                              "食品添加剂……违法生产经营的食品、食品添加剂货值金额不足一万元的，并处五万元以上十万元以下罚款；"
                              "货值金额一万元以上的，并处货值金额十倍以上二十倍以下罚款；情节严重的，吊销许可证。"}],
        conditions="有违法事实，依法应当给予行政处罚，属于本机关管辖。",
        legal_limit=90, promised_limit=90, limit_unit="day", phone="0883-6120315",
        materials=[{"name": "案件来源登记表", "format": "纸质或电子", "original": "原件", "count": 1, "required": True}],
        extra={"处罚种类": ["警告", "通报批评", "罚款", "没收违法所得", "责令停产停业", "暂扣许可证件"],
               "处罚程序": "一般程序", "实施主体": "阳光县市场监督管理局",
               # 经营超过保质期的食品, 货值金额不足一万元 (食品安全法 art. 124 ①(五)): 50,000–100,000 yuan; the
               # standard divides that range (减轻处罚 below it only under 行政处罚法 art. 32, with reasons)
               "裁量基准": {"轻微": [50000, 65000], "一般": [65000, 85000], "严重": [85000, 100000]},
               "裁量基准说明": "经营超过保质期的食品，货值金额不足一万元的，依照《中华人民共和国食品安全法》第一百二十四条"
                             "第一款第五项，并处五万元以上十万元以下罚款：情节轻微的五万元至六万五千元，一般的六万五千元至"
                             "八万五千元，严重的八万五千元至十万元；货值金额一万元以上的，并处货值金额十倍以上二十倍以下罚款。"},
        aliases=["罚款", "行政处罚", "食品安全处罚", "处罚决定"],
        audiences=[], themes=[],  # 依职权: no one applies for it, it is not listed under 个人办事 or 法人办事
        results_public=True,  # 具有一定社会影响的行政处罚决定应当依法公开（行政处罚法第四十八条）
    ),
    _item(
        "205309300006", "zfb", name="政府信息公开申请", category="20", process_key="government_information_request",
        section="政务公开办", extension_limit=20, correction_notice_limit=7, clock_start="receipt",
        correction_answer_days=15,
        legal_basis=[{"title": "中华人民共和国政府信息公开条例", "article": "第三十三条",
                      "text": "不能当场答复的，应当自收到申请之日起20个工作日内予以答复；需要延长的，延长的期限最长不得超过20个工作日。"},
                     {"title": "中华人民共和国政府信息公开条例", "article": "第三十条",
                      "text": "政府信息公开申请内容不明确的，行政机关应当给予指导和释明，并自收到申请之日起7个工作日内一次性告知申请人"
                              "作出补正，说明需要补正的事项和合理的补正期限。答复期限自行政机关收到补正的申请之日起计算。申请人无正当理由"
                              "逾期不补正的，视为放弃申请，行政机关不再处理该政府信息公开申请。"}],
        conditions="公民、法人或者其他组织向行政机关申请获取政府信息。",
        legal_limit=20, promised_limit=20, phone="0883-6120100",
        materials=[{"name": "政府信息公开申请表", "format": "纸质或电子", "original": "原件", "count": 1, "required": True},
                   _MATERIALS_ID],
        fee_basis="《政府信息公开信息处理费管理办法》", fee_standard="一般不收费；申请数量、频次明显超过合理范围的按标准收取信息处理费",
        service_forms=[
            _form("ZF-01", "政府信息公开申请表（公民）", "公民申请获取政府信息时填写",
                  "所需信息的内容描述应尽量具体（文件名称、文号或便于查找的其他特征）；一份申请表可申请多项信息"),
            _form("ZF-02", "政府信息公开申请表（法人或者其他组织）", "法人或者其他组织申请获取政府信息时填写",
                  "申请人名称、证件号码按营业执照或登记证书填写，并写明联系人；加盖公章"),
        ],
        aliases=["信息公开", "依申请公开", "申请公开", "查政府文件", "政府信息查询"],
        audiences=["person", "company"], themes=["公共信息"],
    ),
    _item(
        "205309300097", "zfb", name="在线解答", category="20", process_key="online_question",
        section="政务公开办公室", phone="0883-6120100",
        legal_basis=[{"title": "云南省政务信息查询在线解答管理办法", "article": "第四条、第七条",
                      "text": "不属于本单位职权、职责范围的提问，可转发至同级政府办或指定部门，由其转至正确受理部门进行受理回复；"
                              "一般性问题在5个工作日内办结回复，重要复杂问题在10个工作日内回复。"}],
        conditions="公民、法人或者其他组织通过网上、96128 政务信息电话专线、窗口、图书馆或档案馆提出政务信息咨询。",
        legal_limit=5, promised_limit=5, materials=[], aliases=["在线咨询", "网上咨询", "咨询"],
    ),
    _item(
        "205309300096", "zfb", name="政府信息主动公开", category="20", process_key="proactive_publication",
        section="政务公开办公室", phone="0883-6120100",
        legal_basis=[{"title": "德宏州政府信息主动公开和依申请公开制度（试行）", "article": "第十二条",
                      "text": "属于主动公开范围的政府信息，应当自该政府信息形成或者变更之日起15个工作日内予以公开。"},
                     {"title": "德宏州政府信息主动公开和依申请公开制度（试行）", "article": "第七条",
                      "text": "主动公开政府信息应当进行保密审查；涉及第三方的，确定是否需要征求第三方意见。"}],
        conditions="本县行政机关制作或者获取的、属于主动公开范围的政府信息形成或者变更。",
        legal_limit=15, promised_limit=15, materials=[], aliases=["主动公开", "信息发布"],
    ),
    _item(
        "105309300099", "jwjw", name="电子监察督办", category="10", process_key="supervise_order",
        section="党风政风监督室", phone="0883-6120012",
        legal_basis=[{"title": "中华人民共和国监察法", "article": "第十一条",
                      "text": "监察委员会依照本法和有关法律规定履行监督、调查、处置职责。"}],
        conditions="电子监察发现预警、报警或者收到投诉，需要督促有关单位整改的。",
        legal_limit=15, promised_limit=15, materials=[], aliases=["督办", "督办单", "电子监察"],
    ),
    _item(
        "105309300098", "sfj", name="事项变更法制审核", category="10", process_key="item_review",
        section="法制股", phone="0883-6120148",
        legal_basis=[{"title": "重大行政决策程序暂行条例", "article": "第二十五条",
                      "text": "决策草案提交决策机关讨论前，应当由负责合法性审查的部门进行合法性审查。"}],
        conditions="事项及其权力运行流程图新增、变更、暂停或取消，须经法制审核后发布。",
        legal_limit=30, promised_limit=30, materials=[], aliases=["法制审核", "事项变更审核", "合法性审查"],
    ),
]
